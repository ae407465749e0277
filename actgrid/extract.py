"""Stage 1: a photo's activations at one layer, written to a self-describing HDF5 file."""

from __future__ import annotations

import numpy as np

from actgrid import files, images
from actgrid.models import matching


def extract(image_path, out, model_cfg: dict, p: dict, max_pixels: int = images.MAX_PIXELS) -> None:
    """Run the model on the image up to ``layer``; write activations [H, W, C] and the input.

    ``p``: the model tag's parts (model, checksum, input_size, resize) and the layer.
    """
    input_size, resize, layer = p["input_size"], p["resize"], p["layer"]
    photo = images.load_rgb(image_path, max_pixels)
    rgb = images.fit_to_model(photo, input_size, resize, image_path)
    model = matching(model_cfg, f"{p['model']}-{p['checksum']}", input_size)
    features = model.features(layer)
    x = rgb.astype(np.float32) / 255.0
    acts = np.asarray(features(x[None]))[0].astype(np.float32)
    if not np.all(np.isfinite(acts)):
        raise FloatingPointError(f"{image_path}: {model.identity} gave NaN/Inf at layer {layer}")
    attrs = dict(
        model=model.name,
        model_type=model.cfg["type"],
        model_id=model.identity,
        model_weights_sha256=model.weights_sha256,
        layer=layer,
        input_size=input_size,
        resize=resize,
        value_range=np.asarray(model.value_range, np.float32),
        image_path=str(image_path),
        image_sha256=images.sha256(image_path),
        activation_min=float(acts.min()),
        activation_max=float(acts.max()),
    )
    files.write_activations(out, acts, rgb, attrs)


def features_for(attrs: dict, model_cfg: dict):
    """The features that made an activations file's, from the configured model."""
    model = matching(model_cfg, attrs["model_id"], int(attrs["input_size"]))
    return model.features(attrs["layer"])
