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

from actgrid import files, images, tags
from actgrid.models import matching

FORWARD_BATCH = 8  # photos a forward pass: ~2x the photos a second of one at a time (2 cores)


def _forward_batches(features, loaded, batch: int):
    """(path, checksum, rgb, activations) for each loaded (path, checksum, rgb), ``batch``
    photos a call."""
    pending = []
    for item in loaded:
        pending.append(item)
        if len(pending) == batch:
            yield from _forward(features, pending, batch)
            pending = []
    if pending:
        yield from _forward(features, pending, batch)


def _forward(features, items: list, batch: int):
    rgbs = np.stack([rgb for *_, rgb in items]).astype(np.float32) / np.float32(255)
    padded = np.concatenate([rgbs, np.zeros((batch - len(items), *rgbs.shape[1:]), np.float32)])
    acts = np.asarray(features(padded))[: len(items)].astype(np.float32)
    for (path, checksum, rgb), a in zip(items, acts):
        yield path, checksum, rgb, a


def tagged_model(model_cfg: dict, model_tag: str):
    """The configured model that a results path's model tag names (checked: an error if the
    config's model is another) at the tag's input size, and the tag's resize mode."""
    t = tags.parse_model_tag(model_tag)
    return matching(model_cfg, f"{t['model']}-{t['checksum']}", t["input_size"]), t["resize"]


def run_model(image_paths: dict[str, str], model, layer: str, resize: str, max_pixels: int):
    """An iterator of (name, path, its file's SHA-256, image the model saw, activations
    [H, W, C] at ``layer``) for each photo (name -> path), in order, at ``model.input_size`` (``resize``: how a photo
    is fitted to it). A photo that cannot be read or used stops it with an error naming its
    file."""
    features = model.features(layer)

    def load(path):
        rgb = images.model_input(path, model.input_size, resize, max_pixels)
        return path, files.sha256(path), rgb

    batch = 1 if resize == "none" else FORWARD_BATCH
    with ThreadPoolExecutor(1) as reader:
        done = _forward_batches(features, reader.map(load, image_paths.values()), batch)
        for name, (path, checksum, rgb, acts) in zip(image_paths, done):
            if not np.all(np.isfinite(acts)):
                raise FloatingPointError(f"{path}: {model.identity} gave NaN/Inf at layer {layer}")
            yield name, path, checksum, rgb, acts


def origin_attrs(model, layer: str, resize: str) -> dict:
    """What activations of ``model`` at ``layer`` share: model, layer, input size, ..."""
    return dict(
        model=model.name,
        model_type=model.cfg["type"],
        model_id=model.identity,
        model_weights_sha256=model.weights_sha256,
        layer=layer,
        input_size=model.input_size,
        resize=resize,
        value_range=np.asarray(model.value_range, np.float32),
    )


def extract(
    image_paths: dict[str, str],
    out,
    model,
    layer: str,
    resize: str = "stretch",
    max_pixels: int = images.MAX_PIXELS,
) -> None:
    """Run ``model`` on each photo (name -> path) up to ``layer`` (see ``run_model``); write
    each one's activations [H, W, C] and the input it saw, in a thread beside the network."""
    images_size = len(image_paths) * model.input_size**2 * 3  # the file is about twice that
    attrs = origin_attrs(model, layer, resize)
    with files.activations_writer(out, attrs, 2 * images_size) as write:
        with ThreadPoolExecutor(1) as writer:
            written = [
                writer.submit(write, name, acts, rgb, _own_attrs(path, checksum, acts))
                for name, path, checksum, rgb, acts in run_model(
                    image_paths, model, layer, resize, max_pixels
                )
            ]
            for done in written:
                done.result()


def _own_attrs(path, checksum: str, acts: np.ndarray) -> dict:
    return dict(
        image_path=str(path),
        image_sha256=checksum,
        activation_min=float(acts.min()),
        activation_max=float(acts.max()),
    )


def features_for(attrs: dict, model_cfg: dict):
    """The features that made an activations file's (or a targets file's), from the configured
    model; with Lucid's redirected ReLU gradients where the file asks for them (a dictionary's
    channels: ``relu_gradient``)."""
    model = matching(model_cfg, attrs["model_id"], int(attrs["input_size"]))
    return model.features(attrs["layer"], attrs.get("relu_gradient") == "redirected")
