"""What every model offers the workflow: an identity, its layers, and features from RGB in [0, 1]."""

from __future__ import annotations

import difflib
import hashlib
import json
from functools import cached_property

from actgrid.models import layer_cache
from actgrid.files import sha256
from actgrid.models.sources import ModelError, local_file

LayerShapes = dict[str, tuple[int, int, int]]


def unknown_layer(model: str, layer: str, names: list[str]) -> ModelError:
    """The error for a layer name the model lacks, naming the closest valid ones."""
    close = difflib.get_close_matches(layer, names, n=5, cutoff=0.5) or names[:5]
    return ModelError(
        f"model {model!r} has no layer {layer!r}; closest: {', '.join(close)} "
        f"({len(names)} layers: list them with `snakemake list_layers`)"
    )


class Model:
    """A network configured by a ``model:`` config entry (see README, "Models")."""

    #: the pixel values the network expects for black and white
    value_range: tuple[float, float] = (0.0, 1.0)
    #: config keys this type takes besides type, name, input_size and resize
    options: set[str] = set()
    #: one of these must be given
    sources: set[str] = set()
    #: the options (and their defaults) that change what the network computes from the same
    #: weights: part of the identity, so every result keyed by it
    network_options: dict = {}
    input_channels: int = 3

    def __init__(self, cfg: dict):
        kind = cfg["type"]
        extra = set(cfg) - {"type", "name", "input_size", "resize"} - self.options
        if extra:
            raise ModelError(
                f"model: {', '.join(sorted(extra))} does not apply to type {kind}; it takes "
                f"{', '.join(sorted(self.options)) or 'only name, input_size and resize'}"
            )
        if self.sources and len(self.sources & set(cfg)) != 1:
            raise ModelError(
                f"model: type {kind} needs exactly one of {' or '.join(sorted(self.sources))}"
            )
        self.cfg = cfg
        self.name = cfg["name"]
        self.input_size = int(cfg.get("input_size", 224))

    # --- subclasses provide ------------------------------------------------------------------
    @cached_property
    def weights_sha256(self) -> str:
        """Checksum of the weights: two different weight files never share results."""
        raise NotImplementedError

    def describe(self, input_size: int) -> LayerShapes:
        """Every layer with a spatial output and its (height, width, channels); needs TF."""
        raise NotImplementedError

    def layer_function(self, layer: str):
        """A callable from the network's own input (value range, channels) to ``layer``; needs TF."""
        raise NotImplementedError

    def checksum_weights(self) -> str:
        """Compute the weights' checksum in this process (may need TF); the layer table keeps it."""
        return self.weights_sha256

    def cache_key(self) -> dict:
        """What determines the layer table besides the input size (not where the file is)."""
        settings = {
            k: v for k, v in self.cfg.items() if k not in ("input_size", "resize", "path", "url")
        }
        return {**settings, "weights_sha256": self.weights_sha256}

    # --- shared ------------------------------------------------------------------------------
    def network_settings(self) -> dict:
        """The network options set to other than their defaults (lists as lists of floats)."""
        settings = {}
        for key, default in self.network_options.items():
            value = self.cfg.get(key, default)
            if isinstance(value, (list, tuple)):
                value, default = [float(v) for v in value], [float(v) for v in default]
            if value != default:
                settings[key] = value
        return settings

    @cached_property
    def identity(self) -> str:
        """Name plus a short checksum of the weights and the network settings, as used in result
        paths: another network, or the same weights fed otherwise, never shares a result."""
        settings = self.network_settings()
        if not settings:  # the weights' checksum alone, as before network settings were keyed
            return f"{self.name}-{self.weights_sha256[:8]}"
        key = json.dumps({"weights_sha256": self.weights_sha256, **settings}, sort_keys=True)
        return f"{self.name}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"

    def layer_shapes(self, input_size: int | None = None) -> LayerShapes:
        """Every layer with a spatial output and its (height, width, channels), from the cached
        layer table: this process never imports TensorFlow for it."""
        table = layer_cache.table(self, input_size or self.input_size)
        return {name: tuple(shape) for name, shape in table["layers"]}

    def check_layer(self, layer: str, input_size: int | None = None) -> tuple[int, int, int]:
        """``layer``'s output shape; an error naming the closest layers if there is none."""
        shapes = self.layer_shapes(input_size)
        if layer not in shapes:
            raise unknown_layer(self.name, layer, list(shapes))
        return shapes[layer]

    def features(self, layer: str, redirect_relu: bool = False):
        """A callable from RGB tiles in [0, 1], [n, h, w, 3], to ``layer``'s activations.

        It is traced once for any batch and size, with the network's variables folded into
        constants: forward and backward run ~10 % faster than through Keras' layers, which
        read each variable and reshape each bias on every call. ``redirect_relu``: with Lucid's
        redirected ReLU gradients (``optvis.relu``).
        """
        import tensorflow as tf
        from tensorflow.python.framework.convert_to_constants import (
            convert_variables_to_constants_v2,
        )

        net = self.layer_function(layer)
        lo, hi = self.value_range
        gray = self.input_channels == 1

        def features(rgb):
            x = tf.image.rgb_to_grayscale(rgb) if gray else rgb
            return net(x * (hi - lo) + lo)

        spec = tf.TensorSpec([None, None, None, 3], tf.float32)
        frozen = convert_variables_to_constants_v2(
            tf.function(features).get_concrete_function(spec)
        )
        if redirect_relu:
            from actgrid.optvis.relu import redirected

            relus = redirected(frozen, spec)
            return lambda rgb: relus(tf.convert_to_tensor(rgb, tf.float32))
        return lambda rgb: frozen(tf.convert_to_tensor(rgb, tf.float32))[0]

    def check_channels(self, channels) -> int:
        """The network's input channels: RGB (3) or grayscale (1, fed the photo's luminance)."""
        if channels not in (1, 3):
            raise ModelError(
                f"model {self.name!r} takes {channels} input channels; actgrid feeds RGB (3) "
                "or grayscale (1) images"
            )
        return channels


class FromFile:
    """Mixin for models stored in a file or directory: ``path`` or ``url``, and ``value_range``."""

    def __init__(self, cfg: dict):
        super().__init__(cfg)
        self.value_range = tuple(cfg.get("value_range", (0.0, 1.0)))

    @cached_property
    def file(self):
        return local_file(self.cfg)

    @cached_property
    def weights_sha256(self) -> str:
        return sha256(self.file)
