"""Stage 1: a batch of photos' activations at one layer, into one self-describing HDF5 file.

The model is built once per batch, and the photos go through it ``FORWARD_BATCH`` at a time
(padded to that many with black: one shape for every call). A photo's activations do not depend
on the photos beside it in a call (tests/test_determinism.py checks it bit for bit), so they are the
same whichever photos share its batch. With ``resize: none`` photos differ in size and go one
at a time. Photos are read and decoded in a thread beside the network's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from actgrid import files, images
from actgrid.models import matching

FORWARD_BATCH = 8  # photos a forward pass: ~2x the photos a second of one at a time (2 cores)


def _forward_batches(features, loaded, batch: int):
    """(path, rgb, activations) for each loaded (path, rgb), ``batch`` photos a call."""
    pending = []
    for item in loaded:
        pending.append(item)
        if len(pending) == batch:
            yield from _forward(features, pending, batch)
            pending = []
    if pending:
        yield from _forward(features, pending, batch)


def _forward(features, items: list, batch: int):
    rgbs = np.stack([rgb for _, rgb in items]).astype(np.float32) / np.float32(255)
    padded = np.concatenate([rgbs, np.zeros((batch - len(items), *rgbs.shape[1:]), np.float32)])
    acts = np.asarray(features(padded))[: len(items)].astype(np.float32)
    for (path, rgb), a in zip(items, acts):
        yield path, rgb, a


def run_model(image_paths: dict[str, str], model_cfg: dict, p: dict, max_pixels: int):
    """The model of ``p`` (the model tag's parts and the layer) and an iterator of (name, path,
    image the model saw, activations [H, W, C]) for each photo (name -> path), in order. A photo
    that cannot be read or used stops it with an error naming its file."""
    input_size, resize, layer = p["input_size"], p["resize"], p["layer"]
    model = matching(model_cfg, f"{p['model']}-{p['checksum']}", input_size)
    features = model.features(layer)

    def load(path):
        return path, images.model_input(path, input_size, resize, max_pixels)

    def photos():
        batch = 1 if resize == "none" else FORWARD_BATCH
        with ThreadPoolExecutor(1) as reader:
            done = _forward_batches(features, reader.map(load, image_paths.values()), batch)
            for name, (path, rgb, acts) in zip(image_paths, done):
                if not np.all(np.isfinite(acts)):
                    raise FloatingPointError(
                        f"{path}: {model.identity} gave NaN/Inf at layer {layer}"
                    )
                yield name, path, rgb, acts

    return model, photos()


def origin_attrs(model, p: dict) -> dict:
    """What activations of ``model`` at ``p``'s layer share: model, layer, input size, ..."""
    return dict(
        model=model.name,
        model_type=model.cfg["type"],
        model_id=model.identity,
        model_weights_sha256=model.weights_sha256,
        layer=p["layer"],
        input_size=p["input_size"],
        resize=p["resize"],
        value_range=np.asarray(model.value_range, np.float32),
    )


def extract(
    image_paths: dict[str, str], out, model_cfg: dict, p: dict, max_pixels: int = images.MAX_PIXELS
) -> None:
    """Run the model on each photo (name -> path) up to ``p["layer"]`` (see ``run_model``);
    write each one's activations [H, W, C] and the input it saw."""
    model, done = run_model(image_paths, model_cfg, p, max_pixels)
    photos = {}
    for name, path, rgb, acts in done:
        own = dict(
            image_path=str(path),
            image_sha256=images.sha256(path),
            activation_min=float(acts.min()),
            activation_max=float(acts.max()),
        )
        photos[name] = (acts, rgb, own)
    files.write_activations(out, photos, origin_attrs(model, p))


def features_for(attrs: dict, model_cfg: dict):
    """The features that made an activations file's, from the configured model."""
    model = matching(model_cfg, attrs["model_id"], int(attrs["input_size"]))
    return model.features(attrs["layer"])
