"""NaN or Inf anywhere stops the job with a clear message; nothing non-finite is written."""

import numpy as np
import pytest
import tensorflow as tf

from actgrid import extract, files, render
from actgrid.params import RenderParams
from actgrid.models import from_config


def _nan_features(layer_features):
    return lambda images: layer_features(images) * tf.math.log(-1.0)  # log of a negative: NaN


def _activations(path, model, seed=0, name="p"):
    """A random photo's activations (6×6 cells at 96 px), as extract writes a batch of one."""
    rgb = np.random.default_rng(seed).integers(0, 255, (96, 96, 3), np.uint8)
    acts = np.asarray(model.features("block10_dw_relu")(rgb[None] / 255.0))[0]
    attrs = dict(model_id=model.identity, input_size=96, layer="block10_dw_relu")
    files.write_activations(path, {name: (acts, rgb, {})}, attrs)
    return path


PARAMS = RenderParams("naive_sampled", 24, 8, 8, 0.05, None, 1.0, "per_cell", "standard", 0)


def test_nan_during_optimization_fails_the_shard_and_writes_nothing(tmp_path, monkeypatch):
    model = from_config(input_size=96)
    acts = _activations(tmp_path / "activations.h5", model)
    real = extract.features_for
    monkeypatch.setattr(extract, "features_for", lambda *a: _nan_features(real(*a)))
    out = tmp_path / "shard0.h5"
    with pytest.raises(FloatingPointError, match="shard 1/2: objective became NaN/Inf near step"):
        render.run_shard([render.Subject("p", acts)], None, out, PARAMS, 0, 2, {"input_size": 96})
    assert list(tmp_path.iterdir()) == [acts]  # no shard, no temporary file


def test_finite_run_of_the_same_shard_writes_it(tmp_path):
    acts = _activations(tmp_path / "activations.h5", from_config(input_size=96))
    photos = [render.Subject("p", acts)]
    render.run_shard(photos, None, tmp_path / "shard.h5", PARAMS, 0, 1, {"input_size": 96})
    cells = files.read_shards([tmp_path / "shard.h5"], "p")
    assert cells["tiles"].shape == (36, 24, 24, 3)
    assert all(np.isfinite(values).all() for values in cells.values())


def test_nan_activations_are_not_written(tmp_path, chelsea):
    from PIL import Image

    image = tmp_path / "cat.png"
    Image.fromarray(chelsea).save(image)
    model = from_config(input_size=96)
    layer_features = model.features
    model.features = lambda layer: _nan_features(layer_features(layer))
    out = tmp_path / "activations.h5"
    with pytest.raises(FloatingPointError, match="cat.png: efficientnet_lite0-.* gave NaN/Inf"):
        extract.extract({"cat": image}, out, model, "block10_dw_relu")
    assert not out.exists()
