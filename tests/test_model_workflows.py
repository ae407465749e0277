"""Every model source type through the real workflow, on a tiny config (the embedded model:
test_workflow.py)."""

import copy

import numpy as np
import pytest
from PIL import Image

from actgrid import files
from actgrid.models import from_config
from tiny_models import INCEPTION_RANGE, inception_style_graph, small_keras_network
from workflow_helpers import (
    TINY,
    batch_layer,
    grid_folder,
    make_workdir,
    planned,
    snakemake,
    write_config,
)

# source -> (model entry, layer, its grid at 96 px)
SOURCES = {
    "keras_application": (
        {"type": "keras_application", "name": "MobileNetV2", "weights": None},
        "block_13_expand_relu",
        (6, 6),
    ),
    "keras_file": (
        {"type": "keras_file", "name": "small", "path": "models/small.keras"},
        "conv3",
        (12, 12),
    ),
    "frozen_graph": (
        {
            "type": "frozen_graph",
            "name": "inception_v1",
            "path": "models/inception_v1.pb",
            "value_range": list(INCEPTION_RANGE),
        },
        "mixed4d",
        (6, 6),
    ),
}


def _workdir(tmp_path, source, monkeypatch, layer=None):
    workdir = make_workdir(tmp_path / "wf", images=("chelsea",))
    (workdir / "models").mkdir()
    small_keras_network((64, 64, 3)).save(workdir / "models/small.keras")
    inception_style_graph(workdir / "models/inception_v1.pb")
    entry, default_layer, _ = SOURCES[source]
    config = copy.deepcopy(TINY)
    config["model"] = {**entry, "input_size": 96}
    config["layers"] = [layer or default_layer]
    config["render"]["methods"] = ["shared"]
    write_config(workdir, config)
    monkeypatch.setenv("ACTGRID_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(workdir)  # model paths in the config are relative to the workdir
    return workdir, config


@pytest.mark.parametrize("source", SOURCES)
def test_model_source_end_to_end(tmp_path, monkeypatch, source):
    workdir, config = _workdir(tmp_path, source, monkeypatch)
    _, layer, (rows, cols) = SOURCES[source]
    table = snakemake(workdir, "list_layers")
    assert any(line.split()[:2] == [layer, f"{rows}x{cols}"] for line in table.splitlines())

    snakemake(workdir)
    model = from_config(config["model"])
    layer_dir = batch_layer(workdir, layer=layer)
    assert layer_dir.parent.parent.name == f"{model.identity}_96px_stretch"
    acts, image, attrs = files.read_activations(layer_dir / "activations.h5", "chelsea")
    assert attrs["model_type"] == source and attrs["model_id"] == model.identity
    assert acts.shape[:2] == (rows, cols)
    expected = model.features(layer)(image[None].astype(np.float32) / 255)[0]
    np.testing.assert_allclose(acts, expected, rtol=1e-4, atol=1e-4)
    folder = grid_folder(layer_dir, "nmf3")
    grid = np.asarray(Image.open(folder / "grid.png"))
    assert grid.shape == (rows * 20, cols * 20, 3)  # 24 px tiles cropped by 2
    assert grid.std() > 3  # not flat grey (a stalled optimization measured 0.5)
    assert (folder / "metrics.json").exists()


def test_new_weights_never_reuse_old_results(tmp_path, monkeypatch):
    """Re-saving the model file with other weights gives a new identity: everything reruns."""
    workdir, config = _workdir(tmp_path, "keras_file", monkeypatch)
    old = from_config(config["model"]).identity
    small_keras_network((64, 64, 3), seed=1).save(workdir / "models/small.keras")
    new = from_config(config["model"]).identity
    assert new != old and new.startswith("small-")
    plan = planned(workdir)
    assert plan["extract"] == 1 and plan["render_shard"] == 2


def test_unknown_layer_fails_before_any_job(tmp_path, monkeypatch):
    workdir, _ = _workdir(tmp_path, "frozen_graph", monkeypatch, layer="mixed4x")
    out = snakemake(workdir, "-n", check=False)
    assert "has no layer 'mixed4x'; closest: mixed4d" in out
    assert "Job stats" not in out
