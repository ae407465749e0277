"""HTML pages to explore grids: a viewer per grid (and atlas) and an index per dataset.

A grid's viewer embeds its figures (a JSON block) and its small pictures (the photo, the
group images) and shows the ``grid.png`` beside it, which it does not copy; an atlas's viewer
embeds all of its pictures. Either works offline, opened straight from disk, with no CDN. An
index embeds its table's figures and links what lies in the results tree beside it (the
grids' thumbnails and viewers), so that it stays small for datasets of many thousand grids.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import re
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image

from actgrid import files, metrics, paths, tags

TOP_CHANNELS = 6


def png_uri(image: np.ndarray | Image.Image, fmt: str = "png") -> str:
    """A data URI of an RGB uint8 array or a Pillow image: PNG, or ``fmt="jpeg"`` (quality
    90, for photo patches)."""
    image = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    options = {"optimize": True} if fmt == "png" else {"quality": 90}
    image.save(buffer, format=fmt.upper(), **options)
    return f"data:image/{fmt};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def top_channels(vectors: np.ndarray, n: int = TOP_CHANNELS) -> list[list[list[float]]]:
    """Per row of [rows, C]: its n largest channels as [channel, value], largest first."""
    order = np.argsort(-vectors, axis=1)[:, :n]
    return [
        [[int(c), round(float(v), 4)] for c, v in zip(idx, row[idx])]
        for idx, row in zip(order, vectors)
    ]


def group_images(shard_path, image: str) -> list[str]:
    """Each NMF group's image, as phase one left it (Lucid's "semantic dictionary")."""
    return [png_uri(image) for image in files.read_group_images(shard_path, image)]


def channel_maps(vectors: np.ndarray, *tops) -> dict[str, list[int]]:
    """Where each channel of the ``top_channels`` lists ``tops`` is active: for each, its value
    at every row of ``vectors`` [rows, C] over its largest there, in 0..255 (a heat map)."""
    shown = sorted({c for top in tops for row in top for c, _ in row})
    maps = {}
    for c in shown:
        values = np.maximum(vectors[:, c], 0)
        peak = values.max()
        scaled = values / peak if peak > 0 else values
        maps[str(c)] = np.round(255 * scaled).astype(int).tolist()
    return maps


def viewer_data(inputs, names: dict, render: dict, icons: str | None = None) -> dict:
    """Everything a viewer page shows, from one grid's files.

    ``inputs``: its batch's ``activations``, its ``grid``, ``cells``, ``metrics``, and for the
    shared method its batch's ``groups`` and a ``shard`` (for the group images). ``names``:
    the grid's dataset, image, model, layer and groups; ``render``: its render parameters;
    ``icons``: the link of its layer's icons.js (the semantic dictionary), if there is one.
    """
    acts, photo, _ = files.read_activations(inputs["activations"], names["image"])
    rows, cols, _ = acts.shape
    flat = acts.reshape(rows * cols, -1)
    cells = files.read_cells(inputs["cells"])
    if len(cells["cell"]) != rows * cols:
        raise ValueError(f"{inputs['cells']}: {len(cells['cell'])} cells, expected {rows}×{cols}")
    data = {
        "title": f"{names['image']} · {names['layer']} · {tags.method_name(names['groups'])}",
        "names": {k: names[k] for k in ("dataset", "image", "model", "layer", "groups")},
        "render": render,
        "grid": [int(rows), int(cols)],
        "channels": int(flat.shape[1]),
        "photo": png_uri(photo, "jpeg"),
        "gridImage": Path(inputs["grid"]).name,  # the viewer sits beside its grid: not copied
        "metrics": files.read_json(inputs["metrics"]),
        "cells": {
            **{k: np.round(cells[k], 4).tolist() for k in metrics.CELL_FIGURES},
            "shard": cells["shard"].astype(int).tolist(),
            "norm": np.round(np.linalg.norm(flat, axis=1), 4).tolist(),
            "top": top_channels(flat),
        },
        "groups": None,
        "icons": icons,
    }
    tops = [data["cells"]["top"]]
    if "groups" in inputs:
        weights, components = files.read_groups(inputs["groups"], names["image"])
        data["groups"] = {
            "weights": np.round(weights, 4).tolist(),
            "top": top_channels(components),
            "images": group_images(inputs["shard"], names["image"]),
        }
        tops.append(data["groups"]["top"])
    data["channelMaps"] = channel_maps(flat, *tops)
    return data


def _finite(value):
    """``value`` with every NaN or infinity (e.g. coherence of too few cell pairs) as None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# Inside a script element, "<", ">" and "&" in names could end or confuse it: JSON escapes them.
SCRIPT_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def page(template: str, data: dict) -> str:
    """The page ``template`` with ``data`` as its JSON block and its escaped title."""
    text = resources.files("actgrid").joinpath("templates", template).read_text(encoding="utf-8")
    payload = json.dumps(_finite(data), separators=(",", ":"), allow_nan=False)
    payload = re.sub("[<>&]", lambda m: SCRIPT_SAFE[m[0]], payload)
    fills = {"__TITLE__": html.escape(data["title"]), "__DATA__": payload}
    return re.sub("__TITLE__|__DATA__", lambda m: fills[m[0]], text)


def write_viewer(out, data: dict) -> None:
    files.write_text(out, page("viewer.html", data))


def atlas_viewer_data(pictures, bins_path, icons: str | None = None) -> dict:
    """Everything an atlas's viewer shows, from its files (``pictures``: ``atlas``,
    ``patches``, ``metrics``) and its bins: the two pictures, the figures, each filled bin's
    count, figures, strongest channels (with where in the atlas each is active) and patches
    (one sheet: a row per bin, a column per patch); ``icons``: the link of the layer's
    icons.js, if there is one."""
    report = files.read_json(pictures.metrics)
    bins = files.read_bins(bins_path)
    patches, strongest = bins["patches"], top_channels(bins["targets"])
    b, top, size = patches.shape[:3]
    sheet = patches.transpose(0, 2, 1, 3, 4).reshape(b * size, top * size, 3)
    method = tags.method_name(report["groups"])
    return {
        "title": f"atlas · {report['dataset']} · {report['layer']} · {method}",
        "atlas": report,
        "atlasImage": png_uri(files.read_png(pictures.atlas)),
        "patchesImage": png_uri(files.read_png(pictures.patches), "jpeg"),
        "patchSheet": png_uri(sheet, "jpeg"),
        "patchSize": int(size),
        "top": strongest,
        "channelMaps": channel_maps(bins["targets"], strongest),
        "icons": icons,
    }


def write_atlas_viewer(out, data: dict) -> None:
    files.write_text(out, page("atlas.html", data))


NAME_COLUMNS = ["image", "model", "layer", "method", "render"]
# The index's figures: their places in metrics.json, joined by "_" as metrics.tsv's columns.
FIGURES = {
    "_".join(keys): keys
    for keys in (
        ("faithfulness", "mean"),
        ("faithfulness", "median"),
        ("faithfulness", "min"),
        ("faithfulness_photo", "mean"),
        ("retrieval", "mean"),
        ("retrieval_photo", "mean"),
        ("coherence",),
        ("coherence_across_shards",),
        ("coherence_photo",),
        ("seam", "ratio"),
        ("contrast", "mean"),
        ("colourfulness", "mean"),
        ("objective", "mean"),
    )
}


def figure(figures: dict, keys: tuple[str, ...], digits: int | None = 4) -> float:
    """The figure at ``keys`` of a metrics.json, rounded; NaN (shown "–") where it has none
    (made by an older version)."""
    for key in keys:
        if key not in figures:
            return float("nan")
        figures = figures[key]
    return float(figures) if digits is None else round(float(figures), digits)


def index_rows(dataset_dir, grid_dirs) -> list[dict]:
    """One row per grid of a dataset: its names, its figures and its folder's link from the
    dataset's folder."""
    rows = []
    for folder in grid_dirs:
        names = paths.grid_names(folder)
        figures = files.read_json(Path(folder) / paths.METRICS)
        rows.append(
            {
                **{k: names[k] for k in ("image", "model", "layer", "render")},
                "method": tags.method_name(names["groups"]),
                **{name: figure(figures, keys) for name, keys in FIGURES.items()},
                "folder": paths.link(folder, dataset_dir),
                "path": os.path.relpath(folder, dataset_dir),
            }
        )
    return rows


def atlas_cards(dataset_dir, atlas_dirs) -> list[dict]:
    """One card per atlas of a dataset: what it shows, and links to its thumbnail and viewer."""
    cards = []
    for folder in map(Path, atlas_dirs):
        report = files.read_json(folder / paths.ATLAS_FIGURES)
        cards.append(
            {
                "what": f"{report['layer']} · {tags.method_name(report['groups'])} · "
                f"{folder.name}",
                "figures": f"{report['bins_filled']} bins · {report['samples']} vectors · "
                f"faithfulness {figure(report, ('faithfulness', 'mean'), 3)}",
                "viewer": paths.link(folder / paths.VIEWER, dataset_dir),
                "thumbnail": paths.link(folder / paths.THUMBNAIL, dataset_dir),
            }
        )
    return cards


def write_index(
    dataset: str, dataset_dir, grid_dirs, out_html, out_tsv, atlas_dirs=(), layer_dirs=()
) -> None:
    """The dataset's index page (a sortable, paged table of its grids, their thumbnails linking
    their viewers, a card per atlas and a link per layer page) and metrics.tsv (the grids'
    figures).

    The thumbnails are the grids' own files, linked, and each name is written once: the page
    stays small (about 150 bytes a grid) and loads only the thumbnails of the page shown."""
    rows = index_rows(dataset_dir, grid_dirs)
    columns = NAME_COLUMNS + list(FIGURES)
    strings: dict[str, int] = {}  # each name and link part once, rows hold their indices

    def code(text: str) -> int:
        return strings.setdefault(text, len(strings))

    data = {
        "title": f"actgrid · {dataset}",
        "columns": columns,
        "rows": [
            [code(row[c]) for c in NAME_COLUMNS]
            + [row[f] for f in FIGURES]
            + [[code(part) for part in row["folder"].split("/")]]
            for row in rows
        ],
        "strings": list(strings),
        "figures": list(FIGURES),
        "viewer": paths.VIEWER,
        "thumbnail": paths.THUMBNAIL,
        "atlases": atlas_cards(dataset_dir, atlas_dirs),
        "layers": [
            {
                "what": f"{Path(folder).name} · {Path(folder).parent.name}",
                "page": paths.link(Path(folder) / paths.LAYER_PAGE, dataset_dir),
            }
            for folder in layer_dirs
        ],
    }
    files.write_text(out_html, page("index.html", data))
    columns.append("path")  # where its files are, from the dataset's folder
    lines = ["\t".join(columns)] + ["\t".join(str(row[c]) for c in columns) for row in rows]
    files.write_text(out_tsv, "\n".join(lines) + "\n")


def write_layer_page(activation_paths, out, names: dict, top: int, patch_size: int) -> None:
    """A dataset's page of a layer's channels (``out.page``) and their strongest photo patches
    (``out.patches``, ``dictionary.patch_sheet``): for each channel its icon, its patches and
    how often it is among a cell's ``TOP_CHANNELS`` strongest; sortable and paged, so that a
    layer of thousands of channels stays usable. ``names``: dataset, model (tag) and layer."""
    from actgrid import dictionary

    stats = dictionary.channel_stats(activation_paths, top, TOP_CHANNELS)
    files.write_jpeg(out.patches, dictionary.patch_sheet(stats, patch_size))
    folder = Path(out.page).parent
    dataset_dir = folder.parents[2]
    data = {
        "title": f"{names['layer']} · {names['dataset']} · channels",
        "names": names,
        "cells": int(stats["cells"]),
        "lead": TOP_CHANNELS,
        "photos": [name for name, _ in stats["photos"]],
        "values": np.round(stats["values"], 3).tolist(),
        "origin": stats["origin"].tolist(),
        "leads": stats["leads"].tolist(),
        "patches": paths.CHANNEL_PATCHES,
        "patchSize": int(patch_size),
        "patchColumns": dictionary.PATCH_COLUMNS * top,
        "icons": paths.icons_link(folder, "layer", names["model"], names["layer"]),
        "index": paths.link(dataset_dir / paths.INDEX, folder),
    }
    files.write_text(out.page, page("layer.html", data))
