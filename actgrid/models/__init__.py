"""Models behind one small interface: identity, input size, value range, layers, features."""

from __future__ import annotations

from actgrid.models.efficientnet_lite import PACKAGES, EfficientNetLite

MODELS = {name: EfficientNetLite for name in PACKAGES}


def get_model(name: str, input_size: int | None = None):
    """The model registered under ``name``."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    model = MODELS[name](name=name)
    if input_size:
        model.input_size = input_size
    return model


def feature_model(model, layer: str):
    """A Keras model from RGB in [0, 1] to ``layer``'s activations.

    Models whose input value range is not [0, 1] get a rescaling in front.
    """
    import keras

    if layer not in model.layer_names():
        raise ValueError(f"model {model.name!r} has no layer {layer!r}")
    full = model.keras_model
    sub = keras.Model(full.input, full.get_layer(layer).output, name=f"{model.name}_{layer}")
    lo, hi = model.value_range
    if (lo, hi) == (0.0, 1.0):
        return sub
    rgb = keras.Input((None, None, 3), name="rgb01")
    return keras.Model(rgb, sub(keras.layers.Rescaling(hi - lo, offset=lo)(rgb)))
