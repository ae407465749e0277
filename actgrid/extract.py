"""Stage 1: a batch of photos' activations at one layer, into one self-describing HDF5 file.

The model is built once per batch; each photo goes through it alone, so a photo's activations
are the same bits whichever photos share its batch.
"""

from __future__ import annotations

import numpy as np

from actgrid import files, images
from actgrid.models import matching


def extract(
    image_paths: dict[str, str], out, model_cfg: dict, p: dict, max_pixels: int = images.MAX_PIXELS
) -> None:
    """Run the model on each photo (name -> path) up to ``layer``; write each one's activations
    [H, W, C] and the input it saw.

    ``p``: the model tag's parts (model, checksum, input_size, resize) and the layer. A photo
    that cannot be read or used stops the batch with an error naming its file.
    """
    input_size, resize, layer = p["input_size"], p["resize"], p["layer"]
    model = matching(model_cfg, f"{p['model']}-{p['checksum']}", input_size)
    features = model.features(layer)
    photos = {}
    for name, path in image_paths.items():
        photo = images.load_rgb(path, max_pixels)
        rgb = images.fit_to_model(photo, input_size, resize, path)
        acts = np.asarray(features(rgb[None].astype(np.float32) / 255.0))[0].astype(np.float32)
        if not np.all(np.isfinite(acts)):
            raise FloatingPointError(f"{path}: {model.identity} gave NaN/Inf at layer {layer}")
        own = dict(
            image_path=str(path),
            image_sha256=images.sha256(path),
            activation_min=float(acts.min()),
            activation_max=float(acts.max()),
        )
        photos[name] = (acts, rgb, own)
    attrs = dict(
        model=model.name,
        model_type=model.cfg["type"],
        model_id=model.identity,
        model_weights_sha256=model.weights_sha256,
        layer=layer,
        input_size=input_size,
        resize=resize,
        value_range=np.asarray(model.value_range, np.float32),
    )
    files.write_activations(out, photos, attrs)


def features_for(attrs: dict, model_cfg: dict):
    """The features that made an activations file's, from the configured model."""
    model = matching(model_cfg, attrs["model_id"], int(attrs["input_size"]))
    return model.features(attrs["layer"])
