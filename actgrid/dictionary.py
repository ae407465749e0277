"""The semantic dictionary of a layer (Olah et al. 2018): an icon a channel, rendered once per
model and layer for every dataset, and a dataset's view of the layer's channels.

The icons are Lucid's channel visualizations: the channel objective (its mean activation, the
``direction`` of its unit vector without ``cossim_pow``) with Lucid's redirected ReLU gradients
(``optvis.relu``: at a ReLU, a channel that is 0 on the grey starting image would get no
gradient and its icon would stay grey), Lucid's parameterization and transforms, every channel
of the layer one cell of one render (the naive method: every icon every step) through the
render shards (``actgrid.render``), ``render.chunk_cells`` icons at a time.

A dataset's layer page (``channel_stats``) adds, from the activations its batches hold, each
channel's strongest photo patches and how often the channel is among a cell's strongest
(``viewer.TOP_CHANNELS``): one pass, memory bounded by the channels times the patches kept.
"""

from __future__ import annotations

import json

import numpy as np

from actgrid import files, paths
from actgrid.images import crop_tiles, photo_patches, tile_grid, to_uint8
from actgrid.params import RenderParams

NAME = "dictionary"  # the icons' name in their render files (where a batch names its photos)
ICON_COLUMNS = 32  # icons a row of icons.png
PATCH_COLUMNS = 8  # channels a row of patches.jpg (each its strongest patches side by side)


def render_params(cfg: dict) -> RenderParams:
    """The icons' render parameters from a (validated) ``dictionary:`` config entry."""
    return RenderParams(
        method="naive",
        tile_size=int(cfg["tile_size"]),
        steps=int(cfg["steps"]),
        batch_size=None,
        learning_rate=float(cfg["learning_rate"]),
        shared_fraction=None,
        cossim_pow=0.0,
        adam="dense",
        transforms=cfg["transforms"],
        seed=int(cfg["seed"]),
    )


def sheet(images: np.ndarray, columns: int) -> np.ndarray:
    """[n, s, s, 3] uint8 images in rows of ``columns`` (the last row padded with black)."""
    rows = -(-len(images) // columns)
    padding = np.zeros((rows * columns - len(images), *images.shape[1:]), np.uint8)
    return tile_grid(np.concatenate([images, padding]), rows, columns)


def icons_script(data: dict) -> str:
    """``icons.js``: a layer's icons for any page, opened from disk or served (a script
    element, which a page from disk may load where it may not read JSON): it adds ``data``
    to ``window.actgridIcons`` under "model/layer"."""
    key = json.dumps(f"{data['model']}/{data['layer']}")
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return f"(window.actgridIcons = window.actgridIcons || {{}})[{key}] = {payload};\n"


def assemble(channels_path, shard_paths, out, names: dict, crop: int, render: dict) -> dict:
    """The icons of a layer's channels from their shards: ``out.icons`` (icons.png, channel
    ``c`` at row ``c // ICON_COLUMNS``), ``out.script`` (icons.js: their layout and figures)
    and ``out.figures`` (dictionary.json). ``names``: the dictionary's model (tag) and layer,
    which pages look its icons up by. Returns the figures."""
    with files.open_h5(channels_path, files.CHANNELS) as f:
        attrs = dict(f.attrs)
    found = files.read_shards(shard_paths, NAME)
    icons = to_uint8(crop_tiles(found["tiles"], crop))
    figures = {
        "objective": np.round(found["objective"], 4).tolist(),
        "faithfulness": np.round(found["faithfulness"], 4).tolist(),
        "strongest": found["retrieval"].astype(int).tolist(),
    }
    report = {
        "model": names["model"],
        "model_id": str(attrs["model_id"]),
        "layer": names["layer"],
        "channels": len(icons),
        "icon_size": int(icons.shape[1]),
        "columns": ICON_COLUMNS,
        "image": paths.ICONS,
        "render": render,
        "summary": {
            "objective_mean": float(np.mean(found["objective"])),
            "faithfulness_mean": float(np.mean(found["faithfulness"])),
            "strongest_share": float(np.mean(found["retrieval"])),
        },
        **figures,
    }
    files.write_png(out.icons, sheet(icons, ICON_COLUMNS))
    files.write_json(out.figures, report)
    files.write_text(out.script, icons_script(report))
    return report


def channel_stats(activation_paths, top: int, lead: int) -> dict:
    """Over every photo of ``activation_paths`` (a dataset's batches at one layer): each
    channel's ``top`` strongest cells, ``values`` [C, top] (largest first, 0 where fewer cells
    fire) and ``origin`` [C, top, 2] (photo index, cell; -1 for none), how often it is among a
    cell's ``lead`` strongest channels (``leads`` [C]), ``cells`` in all and the ``photos``
    (name and activations file)."""
    values = origin = leads = None
    photos, cells = [], 0
    for path in activation_paths:
        for name in files.activations_photos(path):
            acts = files.read_activations(path, name)[0]
            flat = acts.reshape(-1, acts.shape[-1])
            if values is None:
                channels = flat.shape[1]
                values = np.zeros((channels, top), np.float32)
                origin = np.full((channels, top, 2), -1, np.int64)
                leads = np.zeros(channels, np.int64)
            n_lead = min(lead, flat.shape[1])
            strongest = np.argpartition(-flat, n_lead - 1, axis=1)[:, :n_lead]
            leads += np.bincount(strongest.ravel(), minlength=len(leads))
            k = min(top, len(flat))
            best = np.argpartition(-flat, k - 1, axis=0)[:k].T  # [C, k] this photo's cells
            here = np.take_along_axis(flat.T, best, 1)
            found = np.stack([np.full_like(best, len(photos)), best], -1)
            here_origin = np.where((here > 0)[..., None], found, -1)
            merged = np.concatenate([values, np.maximum(here, 0)], 1)
            order = np.argsort(-merged, axis=1, kind="stable")[:, :top]
            values = np.take_along_axis(merged, order, 1)
            origin = np.take_along_axis(
                np.concatenate([origin, here_origin], 1), order[..., None], 1
            )
            photos.append((name, str(path)))
            cells += len(flat)
    if values is None:
        raise ValueError("a layer page needs at least one photo's activations")
    return dict(values=values, origin=origin, leads=leads, cells=cells, photos=photos)


def patch_sheet(stats: dict, size: int) -> np.ndarray:
    """Each channel's strongest patches (``channel_stats``), ``size`` pixels, in rows of
    ``PATCH_COLUMNS`` channels: patch ``j`` of channel ``c`` is image ``c·top + j``."""
    origin = stats["origin"]
    channels, top = origin.shape[:2]
    patches = np.zeros((channels * top, size, size, 3), np.uint8)
    for p, (name, path) in enumerate(stats["photos"]):
        where = np.argwhere(origin[..., 0] == p)
        if not len(where):
            continue
        acts, image, _ = files.read_activations(path, name)
        cut = photo_patches(image, acts.shape[:2], size, origin[where[:, 0], where[:, 1], 1])
        patches[where[:, 0] * top + where[:, 1]] = to_uint8(cut)
    return sheet(patches, PATCH_COLUMNS * top)
