"""The results API opens a real run's grids, by folder and by config, as the files hold them."""

import csv
import json

import h5py
import numpy as np
import pytest
from PIL import Image

from actgrid import images, results


def _shard_cells(shard_files, image: str, key: str) -> np.ndarray:
    """``key`` of every cell of ``image``, straight from the shard files, in cell order."""
    values, cells = [], []
    for path in shard_files:
        with h5py.File(path) as f:
            cells.append(f[f"images/{image}/cells"][()])
            values.append(f[f"images/{image}/{key}"][()])
    return np.concatenate(values)[np.argsort(np.concatenate(cells))]


def test_grids_by_config_and_by_folder_hold_what_the_files_hold(tiny_run):
    workdir, layer = tiny_run
    found = results.grids(workdir / "config.yaml", base=workdir)
    assert sorted(g.names["groups"] for g in found) == ["naive", "nmf4"]
    assert results.grids(workdir / "config.yaml", base=workdir, image="nope") == []
    for grid in found:
        again = results.open_grid(grid.folder)
        assert again.names == grid.names and again.params == grid.params
        assert grid.params.method == ("shared" if grid.names["groups"] == "nmf4" else "naive")

        with h5py.File(layer / "activations.h5") as f:
            acts, photo = f["photos/chelsea/activations"][()], f["photos/chelsea/image"][()]
        np.testing.assert_array_equal(grid.targets, acts)
        np.testing.assert_array_equal(grid.photo, photo)
        rows, cols = grid.shape
        assert (rows, cols) == (8, 8)

        np.testing.assert_array_equal(
            grid.picture, np.asarray(Image.open(grid.folder / "grid.png").convert("RGB"))
        )
        assert grid.metrics == json.loads((grid.folder / "metrics.json").read_text())
        assert len(grid.shard_files) == 2 and all(p.is_file() for p in grid.shard_files)

        assert grid.tiles.shape == (8, 8, 32, 32, 3)
        tiles = grid.tiles.reshape(64, 32, 32, 3)  # 8 bits, exactly as the grid shows them:
        assert np.array_equal(np.round(tiles * 255) / np.float32(255), tiles)
        cropped = images.crop_tiles(tiles, 2)  # the default assemble.crop
        np.testing.assert_array_equal(
            images.to_uint8(images.tile_grid(cropped, 8, 8)), grid.picture
        )
        with open(grid.folder / "cells.tsv") as f:
            table = list(csv.DictReader(f, delimiter="\t"))
        for key in ("faithfulness", "faithfulness_photo", "retrieval", "objective"):
            from_file = np.array([float(row[key]) for row in table]).reshape(rows, cols)
            np.testing.assert_allclose(grid.cells[key], from_file)
            np.testing.assert_allclose(
                grid.cells[key].ravel(), _shard_cells(grid.shard_files, "chelsea", key), rtol=1e-5
            )
        assert grid.cells["row"][3, 5] == 3 and grid.cells["col"][3, 5] == 5

        if grid.names["groups"] == "naive":
            assert grid.groups is None
            continue
        with h5py.File(layer / "nmf4/groups.h5") as f:
            weights, components = (
                f["photos/chelsea/weights"][()],
                f["photos/chelsea/components"][()],
            )
        np.testing.assert_array_equal(grid.groups.weights.reshape(weights.shape), weights)
        np.testing.assert_array_equal(grid.groups.components, components)
        assert grid.groups.images.shape == (4, 32, 32, 3)
        assert 0 < grid.groups.images.min() and grid.groups.images.max() < 1
        assert grid.groups.images.std() > 0.01  # pictures, not flat grey


def test_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no metrics.json here"):
        results.open_grid(tmp_path)
    (tmp_path / "config.yaml").write_text("datasets: {d: {images: x}}\nrender: {steps: 0}\n")
    with pytest.raises(ValueError, match="config.yaml: not an actgrid config: 0 is less than"):
        results.grids(tmp_path / "config.yaml")
