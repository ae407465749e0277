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


def viewer_data(inputs, names: dict, render: dict) -> dict:
    """Everything a viewer page shows, from one grid's files.

    ``inputs``: its batch's ``activations``, its ``grid``, ``cells``, ``metrics``, and for the
    shared method its batch's ``groups`` and a ``shard`` (for the group images). ``names``:
    the grid's dataset, image, model, layer and groups; ``render``: its render parameters.
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
    }
    if "groups" in inputs:
        weights, components = files.read_groups(inputs["groups"], names["image"])
        data["groups"] = {
            "weights": np.round(weights, 4).tolist(),
            "top": top_channels(components),
            "images": group_images(inputs["shard"], names["image"]),
        }
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


def atlas_viewer_data(pictures, bins_path) -> dict:
    """Everything an atlas's viewer shows, from its files (``pictures``: ``atlas``,
    ``patches``, ``metrics``) and its bins: the two pictures, the figures, each filled bin's
    count, figures and patches (one sheet: a row per bin, a column per patch)."""
    report = files.read_json(pictures.metrics)
    patches = files.read_bins(bins_path)["patches"]
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


def write_index(dataset: str, dataset_dir, grid_dirs, out_html, out_tsv, atlas_dirs=()) -> None:
    """The dataset's index page (a sortable, paged table of its grids, their thumbnails linking
    their viewers, and a card per atlas) and metrics.tsv (the grids' figures).

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
    }
    files.write_text(out_html, page("index.html", data))
    columns.append("path")  # where its files are, from the dataset's folder
    lines = ["\t".join(columns)] + ["\t".join(str(row[c]) for c in columns) for row in rows]
    files.write_text(out_tsv, "\n".join(lines) + "\n")
