import numpy as np
import pytest

from actgrid import files, images, metrics, render


def test_tile_grid_is_row_major():
    tiles = np.zeros((6, 2, 2, 3))
    for i in range(6):
        tiles[i] = i
    grid = images.tile_grid(tiles, 2, 3)
    assert grid.shape == (4, 6, 3)
    for i in range(6):
        r, c = divmod(i, 3)
        assert (grid[2 * r : 2 * r + 2, 2 * c : 2 * c + 2] == i).all()


def test_crop():
    tiles = np.random.rand(2, 48, 48, 3)
    out = images.crop_tiles(tiles, 2)
    assert out.shape == (2, 44, 44, 3)
    np.testing.assert_array_equal(out[0, 0, 0], tiles[0, 2, 2])


def _shard(path, cells, total, photos=("cat", "dog")):
    """A shard of a batch: each photo's cells, its tiles filled with cell number + photo · 100."""
    photo_cells = {}
    for offset, photo in enumerate(photos):
        values = np.asarray(cells, np.float32) + 100 * offset
        photo_cells[photo] = {
            "cells": np.asarray(cells),
            "cells_total": total,
            "tiles": np.stack([np.full((4, 4, 3), v, np.uint8) for v in values]),
            **{name: values for name in metrics.CELL_FIGURES},
        }
    files.write_shard(path, photo_cells, np.zeros(1), {})


def test_shards_are_merged_in_cell_order_for_each_photo(tmp_path):
    _shard(tmp_path / "b.h5", [2, 3], 4)
    _shard(tmp_path / "a.h5", [0, 1], 4)
    cells = files.read_shards([tmp_path / "b.h5", tmp_path / "a.h5"], "dog")
    for name in metrics.CELL_FIGURES:
        np.testing.assert_array_equal(cells[name], [100, 101, 102, 103])
    np.testing.assert_array_equal(cells["shard"], [1, 1, 0, 0])
    assert cells["tiles"][3, 0, 0, 0] == pytest.approx(103 / 255)  # 8 bits, read as [0, 1]
    with pytest.raises(files.H5Error, match="b.h5: holds no photo 'cow'"):
        files.read_shards([tmp_path / "b.h5", tmp_path / "a.h5"], "cow")


def test_missing_cell_is_an_error(tmp_path):
    _shard(tmp_path / "a.h5", [0, 1], 4)
    _shard(tmp_path / "b.h5", [3], 4)
    with pytest.raises(ValueError, match=r"miss cells \[2\] of 4 of photo 'cat'"):
        files.read_shards([tmp_path / "a.h5", tmp_path / "b.h5"], "cat")


def test_cell_slices():
    parts = render.cell_slices(10, 3)
    assert [len(p) for p in parts] == [4, 3, 3]
    np.testing.assert_array_equal(np.concatenate(parts), np.arange(10))
    with pytest.raises(ValueError, match="n_shards must be 1..10"):
        render.cell_slices(10, 11)


def test_coherence_rewards_matching_structure():
    rng = np.random.default_rng(0)
    protos = rng.random((4, 16, 16, 3))
    labels = np.repeat(np.arange(4), 10)
    targets = np.eye(4)[labels] + 0.05 * rng.random((40, 4))
    coherent = protos[labels] + 0.05 * rng.random((40, 16, 16, 3))
    shuffled = coherent[rng.permutation(40)]
    assert metrics.coherence(coherent, targets) > 0.3
    assert abs(metrics.coherence(shuffled, targets)) < 0.2
    halves = np.arange(40) % 2
    assert metrics.coherence(coherent, targets, halves) > 0.3


def test_spearman_is_scipys_with_ties():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a = rng.normal(size=500)
    b = a + rng.normal(size=500)
    a[::5], b[:100] = 1.0, 0.0  # ties in both
    assert metrics.spearman(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-12)
    assert np.isnan(metrics.spearman(np.ones(5), np.arange(5.0)))


def test_photo_patches_are_centred_on_cells():
    image = np.zeros((40, 40, 3), np.uint8)
    image[10:20, 30:40] = 255  # cell (0, 1) of a 2×2 grid spans rows 0..20, cols 20..40
    patches = images.photo_patches(image, (2, 2), 10)
    assert patches.shape == (4, 10, 10, 3)
    assert patches[1].mean() > patches[0].mean()


def test_seam_ratio_reads_a_photos_own_patches_as_smooth_and_random_tiles_as_not():
    rng = np.random.default_rng(0)
    photo = np.cumsum(rng.normal(size=(96, 96, 3)), axis=0).cumsum(axis=1)  # smooth, textured
    photo = (photo - photo.min()) / np.ptp(photo)
    patches = photo.reshape(6, 16, 6, 16, 3).transpose(0, 2, 1, 3, 4).reshape(36, 16, 16, 3)
    noise = rng.random((36, 16, 16, 3))
    for block in (1, 4):
        assert metrics.seam(patches, 6, 6, block=block)["ratio"] < 0.5
        assert metrics.seam(noise, 6, 6, block=block)["ratio"] == pytest.approx(1, abs=0.05)
    np.testing.assert_array_equal(
        metrics.block_means(np.arange(16.0).reshape(1, 4, 4), 2)[0], [[2.5, 4.5], [10.5, 12.5]]
    )


def test_colour_figures_of_grey_vivid_and_striped_tiles():
    grey = np.full((1, 8, 8, 3), 0.5)
    red = np.zeros((1, 8, 8, 3))
    red[..., 0] = 1
    stripes = np.zeros((1, 8, 8, 3))
    stripes[:, ::2] = 1  # black and white rows: luma 0 and 1
    f = {
        name: metrics.colour_figures(t)
        for name, t in [("grey", grey), ("red", red), ("stripes", stripes)]
    }
    assert f["grey"]["contrast"][0] == 0 and f["grey"]["colourfulness"][0] == 0
    assert f["stripes"]["contrast"][0] == pytest.approx(0.5)
    assert f["stripes"]["colourfulness"][0] == pytest.approx(0, abs=1e-6)  # contrast, no colour
    assert f["red"]["colourfulness"][0] == pytest.approx(0.3 * np.hypot(1, 0.5))  # mean, no spread
