"""Render batches: stable under dataset changes, and a photo's tiles independent of its batch."""

import numpy as np
import pytest

from actgrid import batches, files, render
from actgrid.params import RenderParams

NAMES = [f"photo_{i:03d}" for i in range(200)]


def test_batches_cover_every_photo_once_in_bounded_sizes():
    split = batches.split(NAMES, 8)
    members = [name for photos in split.values() for name in photos]
    assert sorted(members) == NAMES
    sizes = [len(photos) for photos in split.values()]
    assert max(sizes) <= 16 and 5 <= np.mean(sizes) <= 12
    assert all(name == batches.batch_name(photos) for name, photos in split.items())
    assert batches.split(NAMES, 1) == {batches.batch_name([n]): [n] for n in NAMES}


@pytest.mark.parametrize("change", ["add", "remove"])
def test_a_dataset_change_touches_one_batch(change):
    before = batches.split(NAMES, 8)
    for i in range(0, 200, 7):
        names = NAMES + [f"photo_{i:03d}b"] if change == "add" else NAMES[:i] + NAMES[i + 1 :]
        after = batches.split(names, 8)
        gone, new = set(before) - set(after), set(after) - set(before)
        assert len(gone) <= 2 and len(new) <= 2  # the photo's batch (rarely its neighbour too)
        assert sum(len(after[b]) for b in new) <= 33


def _photos(tmp_path, model, names):
    """Activations of random photos (36 cells of 96 px) and their NMF groups."""
    from test_numerics import _activations

    from actgrid import factorize

    photos = []
    for i, name in enumerate(names):
        acts = _activations(tmp_path / f"{name}.h5", model, seed=i, name=name)
        groups = tmp_path / f"{name}_groups.h5"
        factorize.run(acts, [name], groups, 3, "error", seed=0)
        photos.append(render.Subject(name, str(acts), str(groups)))
    return photos


PARAMS = RenderParams("shared", 24, 8, 8, 0.05, 0.5, 1.0, "per_cell", "standard", 0)


def test_a_photos_tiles_do_not_depend_on_its_batch_nor_on_one_job_or_two(tmp_path):
    """cat alone and in a batch with dog and fox, phase one in its own job or in the shard's."""
    from actgrid.models import from_config

    model = from_config(input_size=96)
    cat, dog, fox = _photos(tmp_path, model, ["cat", "dog", "fox"])
    cfg = {"input_size": 96}
    results = {}
    for label, photos, own_job in (
        ("alone", [cat], True),
        ("batch", [dog, cat, fox], True),
        ("one job", [dog, cat, fox], False),
    ):
        shared, shard = tmp_path / f"{label}_shared.h5", tmp_path / f"{label}_shard.h5"
        if own_job:
            render.run_shared(photos, shared, PARAMS, cfg)
        render.run_shard(photos, shared if own_job else None, shard, PARAMS, 0, 1, cfg)
        results[label] = files.read_shards([shard], "cat"), files.read_group_images(shard, "cat")
    alone, groups_alone = results["alone"]
    for label in ("batch", "one job"):
        cells, groups = results[label]
        # Float noise only: a batch's size changes the order of the network's sums on some
        # CPUs, which may move a pixel of the 8-bit pictures by one step and, through it, a
        # tile's faithfulness by a few thousandths (0.0038 on one of 36 cells on CI's machine).
        np.testing.assert_allclose(groups.astype(int), groups_alone.astype(int), atol=1)
        np.testing.assert_allclose(cells["tiles"], alone["tiles"], atol=1.01 / 255)
        moved = np.abs(cells["faithfulness"] - alone["faithfulness"])
        assert moved.max() < 0.01 and moved.mean() < 1e-3, (label, moved.max(), moved.mean())
    dog_tiles = files.read_shards([tmp_path / "batch_shard.h5"], "dog")["tiles"]
    assert not np.allclose(dog_tiles, alone["tiles"], atol=0.05)
