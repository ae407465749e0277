"""The real workflow, end to end, on a tiny config in a temporary directory."""

import json

import numpy as np
import pytest
from PIL import Image
from workflow_helpers import (
    REPO,
    TWO_METHODS,
    changed,
    grid_folder,
    job_counts,
    snakemake,
    write_config,
)

from actgrid.files import sha256

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tiny_run):
    return tiny_run


def test_every_output_exists_with_the_right_size(run):
    workdir, layer = run
    assert (layer / "activations.h5").exists() and (layer / "nmf4/groups.h5").exists()
    for groups in ("nmf4", "naive"):
        folder = grid_folder(layer, groups)
        grid = Image.open(folder / "grid.png")
        assert grid.size == (8 * 28, 8 * 28)  # 128 px input -> 8×8 cells, 32 px tiles cropped by 2
        assert Image.open(folder / "side_by_side.jpg").size[1] == 8 * 28
        batch_dir = folder.parent.parent
        assert len(list((batch_dir / "shards2").glob("shard*.h5"))) == 2
        assert np.asarray(grid).std() > 10  # not a flat grey picture
        assert (batch_dir / "shards2/logs/shard0.log").read_text().count("cell-steps/s") > 0


def test_faithfulness_beats_random_tiles(run):
    from actgrid import files, metrics
    from actgrid.models import from_config
    from actgrid.optvis import param

    _, layer = run
    report = json.loads((grid_folder(layer, "nmf4") / "metrics.json").read_text())
    acts, _, attrs = files.read_activations(layer / "activations.h5", "chelsea")
    targets = acts.reshape(-1, acts.shape[-1])
    features = from_config(input_size=128).features(attrs["layer"])
    spectra = param.init_spectra(np.random.default_rng(0), len(targets), 32)
    random_tiles = param.to_valid_rgb(param.spectra_to_images(spectra, 32)).numpy()
    cells = np.arange(len(targets))
    random = metrics.target_figures(metrics.layer_means(features, random_tiles), targets, cells)
    assert report["faithfulness"]["mean"] > random["faithfulness"].mean() + 0.03
    assert report["retrieval"]["mean"] > random["retrieval"].mean()
    assert 0 < report["seam"]["ratio"] < 1.5 and report["seam"]["jump"] > 0
    for figure in ("contrast", "colourfulness"):  # the tiles stand out, as the photo does
        assert 0.01 < report[figure]["mean"] < 0.5 and 0.01 < report[f"{figure}_photo"]["mean"]
    assert set(report) >= {"faithfulness_photo", "coherence", "coherence_across_shards"}
    assert report["grid"] == [8, 8] and report["render"]["steps"] == 128


def test_activations_file_describes_itself(run):
    import h5py

    _, layer = run
    with h5py.File(layer / "activations.h5") as f:
        photo = f["photos/chelsea"]
        assert (
            photo["activations"].shape == (8, 8, 672) and photo["activations"].dtype == np.float32
        )
        assert [name.decode() for name in f["photo_names"]] == ["chelsea"]
        attrs = {**f.attrs, **photo.attrs}
    assert attrs["layer"] == "block10_dw_relu" and attrs["input_size"] == 128
    assert attrs["image_sha256"] == sha256(REPO / "data/default/chelsea.png")
    assert len(attrs["model_weights_sha256"]) == 64
    assert {"model", "value_range", "image_path", "actgrid_version"} <= set(attrs)


def test_shard_count_changes_only_the_shards(run):
    workdir, layer = run
    folder = grid_folder(layer, "nmf4")
    batch_dir = folder.parent.parent
    upstream = [layer / "activations.h5", layer / "nmf4/groups.h5", batch_dir / "shared.h5"]
    before = [sha256(p) for p in upstream]
    config = changed("render", "n_shards", 3, base=TWO_METHODS)
    write_config(workdir, config)
    log = snakemake(workdir)
    assert [sha256(p) for p in upstream] == before
    assert job_counts(log) == {"render_shard": 6, "assemble": 2, "index": 1}
    assert len(list((batch_dir / "shards3").glob("shard*.h5"))) == 3
    assert Image.open(folder / "grid.png").size == (8 * 28, 8 * 28)
    write_config(workdir, TWO_METHODS)  # the session's run as other tests expect it
    assert job_counts(snakemake(workdir)) == {"assemble": 2, "index": 1}
