import h5py
import numpy as np
import pytest

from actgrid import files


def test_round_trip(tmp_path):
    path = tmp_path / "a.h5"
    with files.write_h5(path, "thing") as f:
        f.create_dataset("x", data=np.arange(6.0).reshape(2, 3))
    with files.open_h5(path, "thing") as f:
        np.testing.assert_array_equal(files.read(f, "x"), np.arange(6.0).reshape(2, 3))
        with pytest.raises(files.H5Error, match="a.h5: dataset 'y' is missing"):
            files.read(f, "y")


def test_activations_compressed_here_read_back_exactly_through_hdf5s_own_gzip(tmp_path):
    rng = np.random.default_rng(0)
    acts = np.maximum(rng.normal(size=(7, 5, 33)), 0).astype(np.float32)  # rectified: zeros
    image = rng.integers(0, 256, (28, 20, 3), dtype=np.uint8)
    path = tmp_path / "activations.h5"
    photos = {name: (acts * i, image, {"image_path": f"{name}.png"}) for i, name in enumerate("ba")}
    files.write_activations(path, photos, {"layer": "l"})
    assert files.activations_photos(path) == ["b", "a"]
    for i, photo in enumerate("ba"):
        got, seen, attrs = files.read_activations(path, photo)
        np.testing.assert_array_equal(got, acts * i)
        np.testing.assert_array_equal(seen, image)
        assert got.dtype == np.float32 and attrs["layer"] == "l"
        assert attrs["image_path"] == f"{photo}.png"
    with h5py.File(path) as f:
        dataset = f["photos/a/activations"]
        assert dataset.compression == "gzip" and dataset.chunks == acts.shape
        assert dataset.id.get_storage_size() < acts.nbytes * 0.8


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "b.h5"
    with pytest.raises(RuntimeError):
        with files.write_h5(path, "thing") as f:
            f.create_dataset("x", data=[1])
            raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_wrong_kind_and_version(tmp_path):
    path = tmp_path / "c.h5"
    with files.write_h5(path, "thing"):
        pass
    with pytest.raises(files.H5Error, match="expected an actgrid 'other' file"):
        files.open_h5(path, "other")
    with h5py.File(path, "a") as f:
        f.attrs["actgrid_format"] = 99
    with pytest.raises(files.H5Error, match="format 99"):
        files.open_h5(path, "thing")
    (tmp_path / "d.h5").write_text("not hdf5")
    with pytest.raises(files.H5Error, match="d.h5: cannot open"):
        files.open_h5(tmp_path / "d.h5", "thing")


@pytest.mark.parametrize("write", ["text", "png", "json"])
def test_every_writer_is_atomic(tmp_path, write, monkeypatch):
    """A writer that fails half-way leaves the previous file untouched and no temporary file."""
    path = tmp_path / f"out.{ {'text': 'txt', 'png': 'png', 'json': 'json'}[write]}"
    path.write_bytes(b"finished")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        if write == "text":
            files.write_text(path, "new")
        elif write == "png":
            files.write_png(path, np.zeros((2, 2, 3), np.uint8))
        else:
            files.write_json(path, {"a": 1})
    assert path.read_bytes() == b"finished"
    assert list(tmp_path.iterdir()) == [path]


def test_cells_round_trip_and_wrong_columns(tmp_path):
    rows, cols = 2, 3
    cells = {"shard": np.array([0, 0, 0, 1, 1, 1])}
    cells.update({k: np.linspace(0, 1, 6) + i for i, k in enumerate(files.CELL_FIGURES)})
    files.write_cells(tmp_path / "cells.tsv", rows, cols, cells)
    back = files.read_cells(tmp_path / "cells.tsv")
    assert tuple(back) == files.CELL_COLUMNS
    np.testing.assert_array_equal(back["row"], [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(back["col"], [0, 1, 2, 0, 1, 2])
    for k in files.CELL_FIGURES:
        np.testing.assert_allclose(back[k], cells[k], rtol=1e-5)
    (tmp_path / "old.tsv").write_text("cell\trow\tcol\tshard\tobjective\n0\t0\t0\t0\t1\n")
    with pytest.raises(ValueError, match="old.tsv: columns"):
        files.read_cells(tmp_path / "old.tsv")


@pytest.fixture
def small_disk(tmp_path):
    """A real 256 KiB filesystem (a tmpfs: needs root, as CI has)."""
    import os
    import subprocess

    folder = tmp_path / "disk"
    folder.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True
        ).returncode
    ):
        pytest.skip("a size-limited tmpfs needs root")
    yield folder
    subprocess.run(["umount", str(folder)])


JOB = """
import sys, numpy as np
from actgrid.logs import to_log
to_log(sys.argv[1] + "/job.log")
from actgrid import files
{writer}
"""


@pytest.mark.parametrize(
    "writer,message",
    [  # too big to start: refused before a byte is written; no size given (or the disk filled
        # by others meanwhile): it fails as HDF5 fills the disk
        (
            "files.write_png(sys.argv[1] + '/big.png', np.zeros((600, 600, 3), np.uint8))",
            "needs about",
        ),
        (
            "with files.write_h5(sys.argv[1] + '/a.h5', 'thing') as f:\n"
            "    f.create_dataset('x', data=np.random.rand(300, 300))",
            "needs more than",
        ),
    ],
)
def test_full_disk_ends_a_job_with_one_line_naming_the_file(small_disk, writer, message):
    import subprocess
    import sys

    (small_disk / "filler").write_bytes(b"x" * (64 << 10))
    done = subprocess.run(
        [sys.executable, "-c", JOB.format(writer=writer), str(small_disk)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()  # on the console: the log may be on the full disk
    assert line.startswith(f"actgrid: disk full: {small_disk}/") and message in line, line
    assert "free space and rerun" in line
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "job.log"]  # no partial file
