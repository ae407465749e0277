"""Same inputs, same bits: a render batch rendered again in new processes gives identical files."""

import shutil

import h5py
import numpy as np
import pytest

from actgrid.files import sha256
from workflow_helpers import make_workdir, snakemake, write_config

pytestmark = pytest.mark.slow

# Two photos in one render batch at the default model, tile and batch sizes: 128 cells a step,
# the workload whose tiles drifted apart from one process to the next (docs/reproducibility.md).
CONFIG = {
    "datasets": {"pair": {"images": "images"}},
    "render": {"steps": 32, "n_shards": 2},
    "atlas": {"enabled": False},
}


def _arrays(path) -> dict:
    """Every dataset and attribute of an HDF5 file."""
    out = {}

    def add(name, item):  # returns None: visititems goes on
        if isinstance(item, h5py.Dataset):
            out[name] = item[()]

    with h5py.File(path, "r") as f:
        f.visititems(add)
        out.update({f"@{k}": v for k, v in f.attrs.items()})
    return out


def test_render_jobs_rerun_in_new_processes_give_identical_files(tmp_path):
    workdir = make_workdir(tmp_path, images=("chelsea", "coffee"))
    write_config(workdir, CONFIG)
    snakemake(workdir)
    (batch,) = (workdir / "results/pair/batches").glob("*/*/batch_*/*/W*")
    renders = sorted(batch.rglob("*.h5"))
    assert [p.name for p in renders] == ["shard0.h5", "shard1.h5", "shared.h5"]
    grids = sorted(batch.glob("grids/*/grid.png"))
    assert len(grids) == 2
    first = {p: sha256(p) for p in renders + grids}
    kept = tmp_path / "first"
    for i, path in enumerate(renders):
        shutil.copy2(path, kept.with_name(f"first{i}.h5"))
    # the rerun: the shared job and both shards, each a new process
    log = snakemake(workdir, "--forcerun", "render_shared")
    assert "render_shard" in log and "render_shared" in log
    for i, path in enumerate(renders):
        before, after = _arrays(kept.with_name(f"first{i}.h5")), _arrays(path)
        assert before.keys() == after.keys() and any("tiles" in k for k in after) == (i < 2)
        for name in before:
            np.testing.assert_array_equal(after[name], before[name], err_msg=f"{path}: {name}")
    assert {p: sha256(p) for p in renders + grids} == first  # and byte for byte


def test_a_photos_activations_do_not_depend_on_the_photos_beside_it(tmp_path, chelsea):
    """extract runs photos several a forward call: each photo's bits are those it gets alone."""
    from PIL import Image

    from actgrid import extract, files
    from actgrid.models import from_config

    rng = np.random.default_rng(0)
    paths = {"cat": tmp_path / "cat.png"}
    Image.fromarray(chelsea).save(paths["cat"])
    for i in range(extract.FORWARD_BATCH + 2):  # the cat's call full, and one more call
        paths[f"noise{i}"] = tmp_path / f"noise{i}.png"
        Image.fromarray(rng.integers(0, 255, (90, 120, 3), np.uint8)).save(paths[f"noise{i}"])
    model = from_config(input_size=96)

    def cat_in(order: list[str]) -> np.ndarray:
        out = tmp_path / f"{len(order)}-{order.index('cat')}.h5"
        extract.extract({n: paths[n] for n in order}, out, model, "block10_dw_relu")
        return files.read_activations(out, "cat")[0]

    others = [n for n in paths if n != "cat"]
    alone = cat_in(["cat"])
    np.testing.assert_array_equal(cat_in(["cat", *others]), alone)
    np.testing.assert_array_equal(cat_in([*others[:5], "cat", *others[5:]]), alone)  # 6th of 8
    np.testing.assert_array_equal(cat_in([*others, "cat"]), alone)  # in the last, short call
