"""HDF5 files written atomically and read with clear errors."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import h5py
import numpy as np

from actgrid import __version__

FORMAT_VERSION = 1


class H5Error(ValueError):
    """An HDF5 file that is missing, from another version, or lacks a dataset."""


@contextlib.contextmanager
def atomic_h5(path: str | Path, kind: str):
    """Open ``path`` for writing through a temporary file renamed into place on success.

    A crash leaves no file at ``path``, so a later run never trusts half-written output.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["actgrid_kind"] = kind
            f.attrs["actgrid_format"] = FORMAT_VERSION
            f.attrs["actgrid_version"] = __version__
            yield f
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def open_h5(path: str | Path, kind: str) -> h5py.File:
    """Open an actgrid HDF5 file of the given kind for reading, checking its format."""
    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except (OSError, FileNotFoundError) as e:
        raise H5Error(f"{path}: cannot open as HDF5 ({e})") from e
    if f.attrs.get("actgrid_kind") != kind:
        f.close()
        raise H5Error(f"{path}: expected an actgrid {kind!r} file")
    if f.attrs.get("actgrid_format") != FORMAT_VERSION:
        found = f.attrs.get("actgrid_format")
        f.close()
        raise H5Error(
            f"{path}: written in format {found}, this actgrid reads {FORMAT_VERSION}; rerun its stage"
        )
    return f


def read(f: h5py.File, name: str) -> np.ndarray:
    """Dataset ``name`` of an open file as an array, or a clear error naming file and dataset."""
    if name not in f:
        raise H5Error(f"{f.filename}: dataset {name!r} is missing")
    return f[name][()]
