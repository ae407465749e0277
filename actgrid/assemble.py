"""Stage 4: tile the rendered cells into grid.png, a side-by-side picture (JPEG) and a thumbnail;
write metrics.json and cells.tsv (each cell's figures)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image

from actgrid import files, metrics, paths
from actgrid.images import crop_tiles, photo_patches, tile_grid, to_uint8


def side_by_side(photo: np.ndarray, grid: np.ndarray, gap: int = 8) -> np.ndarray:
    """The photo scaled to the grid's height, a white gap, then the grid (uint8)."""
    h = grid.shape[0]
    w = int(round(photo.shape[1] * h / photo.shape[0]))
    scaled = np.asarray(Image.fromarray(photo).resize((w, h), Image.BICUBIC))
    white = np.full((h, gap, 3), 255, np.uint8)
    return np.concatenate([scaled, white, grid], axis=1)


def assemble(
    activations_path, shard_paths, image: str, out, render: dict, *, crop: int, coherence_side: int
) -> dict:
    """Check every cell of photo ``image`` is there, write the pictures and quality figures.

    ``activations_path``, ``shard_paths``: its batch's activations and shards. ``out`` names
    the outputs: ``grid``, ``side_by_side``, ``thumbnail``, ``metrics`` and ``cells``.
    ``render``: the render parameters, recorded; ``crop``: pixels cut from each tile's border;
    ``coherence_side``: the side tiles are averaged down to for coherence. Needs no network:
    the shards hold the figures measured with it.
    """
    acts, photo, attrs = files.read_activations(activations_path, image)
    rows, cols, _ = acts.shape
    cells = files.read_shards(shard_paths, image)
    tiles = cells["tiles"]
    if len(tiles) != rows * cols:
        raise ValueError(f"shards hold {len(tiles)} cells, {activations_path} has {rows}×{cols}")
    cropped = crop_tiles(tiles, crop)
    grid = to_uint8(tile_grid(cropped, rows, cols))
    targets = acts.reshape(rows * cols, -1)
    size, side = tiles.shape[1], coherence_side
    patches = photo_patches(photo, (rows, cols), size)
    report = {
        "image": attrs["image_path"],
        "model": attrs["model_id"],
        "layer": attrs["layer"],
        "grid": [int(rows), int(cols)],
        "tile_size": int(size),
        "render": render,
        **{name: metrics.summary(cells[name]) for name in metrics.CELL_FIGURES},
        "coherence": metrics.coherence(cropped, targets, side=side),
        "coherence_across_shards": metrics.coherence(cropped, targets, cells["shard"], side),
        "coherence_photo": metrics.coherence(patches, targets, side=side),
        "seam": metrics.seam(cropped, rows, cols),
        **metrics.colour_summaries(cropped, crop_tiles(patches, crop)),
        # the files its cells came from, relative to this grid's folder
        "shards": [os.path.relpath(path, Path(out.metrics).parent) for path in shard_paths],
    }
    files.write_png(out.grid, grid)
    files.write_jpeg(out.side_by_side, side_by_side(photo, grid))
    files.write_thumbnail(out.thumbnail, grid)
    files.write_cells(out.cells, rows, cols, cells)
    files.write_json(out.metrics, report)
    return report


def assemble_batch(
    activations_path,
    groups_path,
    shard_paths,
    out_dir,
    images: list[str],
    names: dict,
    render: dict,
    dictionary: bool = False,
    **settings,
) -> dict:
    """Every grid of a batch (its photos ``images``), each in its own folder of ``out_dir``:
    its pictures and figures (``assemble``, which takes ``render`` and the ``settings``) and
    its viewer (showing the layer's icons with ``dictionary``). ``names``: where the grids
    come from (dataset, model, layer, groups).

    Returns each photo's figures."""
    from actgrid import viewer

    reports = {}
    for image in images:
        folder = Path(out_dir) / image
        folder.mkdir(parents=True, exist_ok=True)
        out = SimpleNamespace(
            grid=folder / paths.GRID,
            side_by_side=folder / paths.SIDE_BY_SIDE,
            thumbnail=folder / paths.THUMBNAIL,
            metrics=folder / paths.METRICS,
            cells=folder / paths.CELLS,
        )
        reports[image] = assemble(activations_path, shard_paths, image, out, render, **settings)
        inputs = {"activations": activations_path, "grid": out.grid, "cells": out.cells}
        inputs["metrics"] = out.metrics
        if groups_path:
            inputs.update(groups=groups_path, shard=shard_paths[0])
        icons = dictionary and paths.icons_link(folder, "grid", names["model"], names["layer"])
        data = viewer.viewer_data(inputs, {**names, "image": image}, render, icons or None)
        viewer.write_viewer(folder / paths.VIEWER, data)
    return reports
