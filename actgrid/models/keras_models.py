"""Keras networks: the ``keras.applications`` by name, and saved ``.keras`` / ``.h5`` files."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
from functools import cached_property

from actgrid.models import layer_cache
from actgrid.models.base import FromFile, Model, unknown_layer
from actgrid.files import sha256
from actgrid.models.sources import ModelError


def values_sha256(net) -> str:
    """Checksum of a network's weight values, in layer order."""
    import numpy as np

    digest = hashlib.sha256()
    for w in net.get_weights():
        digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest()


def spatial_layers(net) -> list:
    """Layers with one 4-D output (height, width, channels), in order; inputs left out."""
    import keras

    out = []
    for layer in net.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            output = layer.output
        except (AttributeError, ValueError):  # shared layers have no single output
            continue
        if isinstance(output, keras.KerasTensor) and len(output.shape) == 4:
            out.append(layer)
    return out


def cut(net, outputs):
    """``net`` from its input to ``outputs``, taking inputs of any height and width."""
    import keras

    sub = keras.Model(net.inputs[0], outputs)
    shape = tuple(net.inputs[0].shape)
    if shape[1:3] == (None, None):
        return sub
    flexible = keras.Input((None, None, shape[-1]), name="image")
    return keras.models.clone_model(sub, input_tensors=flexible, clone_function=lambda layer: layer)


class KerasModel(Model):
    """Common to Keras networks: layers are the Keras layers with a spatial output."""

    preprocess = None

    @cached_property
    def network(self):
        raise NotImplementedError

    @property
    def input_channels(self) -> int:
        if len(self.network.inputs) != 1:
            raise ModelError(f"model {self.name!r} has {len(self.network.inputs)} inputs, not 1")
        return self.check_channels(self.network.inputs[0].shape[-1])

    def describe(self, input_size: int):
        import numpy as np

        spatial = spatial_layers(self.network)
        net = cut(self.network, [layer.output for layer in spatial])
        x = np.zeros((1, input_size, input_size, self.input_channels), np.float32)
        outputs = net(self._preprocessed(x), training=False)
        return {layer.name: tuple(out.shape[1:]) for layer, out in zip(spatial, outputs)}

    def _preprocessed(self, x):
        return self.preprocess(x) if self.preprocess else x

    def layer_function(self, layer: str):
        names = [layer.name for layer in spatial_layers(self.network)]
        if layer not in names:
            raise unknown_layer(self.name, layer, names)
        net = cut(self.network, self.network.get_layer(layer).output)
        return lambda x: net(self._preprocessed(x), training=False)


class KerasApplication(KerasModel):
    """``keras.applications.<name>`` without its classifier top, with its own preprocessing.

    ``weights``: ``imagenet`` (Keras downloads them once), ``null`` (random, seeded by
    ``seed``), or a path to a weights file. The identity checksums the weight values.
    """

    value_range = (0.0, 255.0)  # what each application's preprocess_input expects
    options = {"weights", "seed"}

    def cache_key(self) -> dict:
        weights = self.cfg.get("weights", "imagenet")
        if weights not in (None, "imagenet"):
            weights = sha256(weights)
        return {
            "name": self.name,
            "weights": weights,
            "seed": self.cfg.get("seed", 0),
            "keras": importlib.metadata.version("keras"),
        }

    @cached_property
    def weights_sha256(self) -> str:
        """The weight values' checksum, as the layer table (computed with TF) records it."""
        return layer_cache.table(self, self.input_size)["weights_sha256"]

    def checksum_weights(self) -> str:
        return values_sha256(self.network)

    @cached_property
    def network(self):
        import keras

        build = getattr(keras.applications, self.name, None)
        if not callable(build):
            have = [n for n in dir(keras.applications) if n[0].isupper()]
            raise ModelError(
                f"model.name: keras.applications has no {self.name!r}; have: {', '.join(have)}"
            )
        self.preprocess = importlib.import_module(build.__module__).preprocess_input
        weights = self.cfg.get("weights", "imagenet")
        if weights is None:
            keras.utils.set_random_seed(self.cfg.get("seed", 0))
        try:
            net = build(weights=weights, include_top=False, input_shape=(None, None, 3))
        except Exception as e:
            if weights != "imagenet":
                raise ModelError(f"model {self.name!r} with weights {weights!r}: {e}") from e
            raise ModelError(
                f"model {self.name!r}: Keras could not get its imagenet weights ({e}). Without "
                "internet, copy the weights file Keras names into ~/.keras/models/, or set "
                "model.weights to a local weights file"
            ) from e
        return net


class KerasFile(FromFile, KerasModel):
    """A saved Keras model (``.keras`` or legacy ``.h5``) from ``path`` or ``url``.

    ``value_range`` says what the network expects for black..white (default [0, 1]).
    """

    options = {"path", "url", "sha256", "value_range"}
    sources = {"path", "url"}
    network_options = {"value_range": (0.0, 1.0)}

    @cached_property
    def network(self):
        import keras

        try:
            net = keras.models.load_model(self.file, compile=False)
        except Exception as e:
            raise ModelError(f"model.path: could not load {self.file} as a Keras model: {e}") from e
        if not isinstance(net, keras.Model) or not net.inputs:
            raise ModelError(f"model.path: {self.file} holds no functional or sequential model")
        return net
