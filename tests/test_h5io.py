import h5py
import numpy as np
import pytest

from actgrid import h5io


def test_round_trip(tmp_path):
    path = tmp_path / "a.h5"
    with h5io.atomic_h5(path, "thing") as f:
        f.create_dataset("x", data=np.arange(6.0).reshape(2, 3))
    with h5io.open_h5(path, "thing") as f:
        np.testing.assert_array_equal(h5io.read(f, "x"), np.arange(6.0).reshape(2, 3))
        with pytest.raises(h5io.H5Error, match="a.h5: dataset 'y' is missing"):
            h5io.read(f, "y")


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "b.h5"
    with pytest.raises(RuntimeError):
        with h5io.atomic_h5(path, "thing") as f:
            f.create_dataset("x", data=[1])
            raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_wrong_kind_and_version(tmp_path):
    path = tmp_path / "c.h5"
    with h5io.atomic_h5(path, "thing"):
        pass
    with pytest.raises(h5io.H5Error, match="expected an actgrid 'other' file"):
        h5io.open_h5(path, "other")
    with h5py.File(path, "a") as f:
        f.attrs["actgrid_format"] = 99
    with pytest.raises(h5io.H5Error, match="format 99"):
        h5io.open_h5(path, "thing")
    (tmp_path / "d.h5").write_text("not hdf5")
    with pytest.raises(h5io.H5Error, match="d.h5: cannot open"):
        h5io.open_h5(tmp_path / "d.h5", "thing")
