"""Stage 4: tile the rendered cells into grid.png, a side-by-side picture, metrics.json and
cells.tsv (each cell's figures)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from actgrid import extract, metrics, render


def crop_tiles(tiles: np.ndarray, crop: int) -> np.ndarray:
    return tiles[:, crop : tiles.shape[1] - crop, crop : tiles.shape[2] - crop] if crop else tiles


def tile_grid(tiles: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """[rows·cols, h, w, 3] tiles in row-major cell order -> one [rows·h, cols·w, 3] picture."""
    n, h, w, ch = tiles.shape
    if n != rows * cols:
        raise ValueError(f"{n} tiles cannot fill a {rows}×{cols} grid")
    return (
        tiles.reshape(rows, cols, h, w, ch).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, ch)
    )


def to_uint8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def side_by_side(photo: np.ndarray, grid: np.ndarray, gap: int = 8) -> np.ndarray:
    """The photo scaled to the grid's height, a white gap, then the grid (uint8)."""
    h = grid.shape[0]
    w = int(round(photo.shape[1] * h / photo.shape[0]))
    scaled = np.asarray(Image.fromarray(photo).resize((w, h), Image.BICUBIC))
    white = np.full((h, gap, 3), 255, np.uint8)
    return np.concatenate([scaled, white, grid], axis=1)


def _save_png(array: np.ndarray, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}.png")
    Image.fromarray(array).save(tmp)
    os.replace(tmp, path)


def write_text(path, text: str) -> None:
    """Write ``text`` through a temporary file beside ``path``: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


CELL_COLUMNS = ["cell", "row", "col", "shard", *render.SHARD_FIGURES[1:]]


def write_cells(path: Path, rows: int, cols: int, cells: dict) -> None:
    """One line per cell (row-major): where it is, its shard and its figures."""
    lines = ["\t".join(CELL_COLUMNS)]
    for i in range(rows * cols):
        lines.append(
            "\t".join([str(i), str(i // cols), str(i % cols), str(int(cells["shard"][i]))])
            + "".join(f"\t{cells[k][i]:.6g}" for k in CELL_COLUMNS[4:])
        )
    write_text(path, "\n".join(lines) + "\n")


def read_cells(path) -> dict[str, np.ndarray]:
    """cells.tsv as columns."""
    table = np.loadtxt(path, delimiter="\t", skiprows=1, ndmin=2)
    return {name: table[:, i] for i, name in enumerate(CELL_COLUMNS)}


def assemble(activations_path, shard_paths, image: str, out, p: dict) -> dict:
    """Check every cell of photo ``image`` is there, write the pictures and quality figures.

    ``shard_paths``: its batch's shards. ``out`` names the outputs: ``grid``,
    ``side_by_side``, ``metrics`` and ``cells``. Needs no network: the shards hold the figures
    measured with it.
    """
    acts, photo, attrs = extract.load(activations_path)
    rows, cols, _ = acts.shape
    cells = render.load_shards(shard_paths, image)
    tiles = cells["tiles"]
    if len(tiles) != rows * cols:
        raise ValueError(f"shards hold {len(tiles)} cells, {activations_path} has {rows}×{cols}")
    cropped = crop_tiles(tiles, p["crop"])
    grid = to_uint8(tile_grid(cropped, rows, cols))
    targets = acts.reshape(rows * cols, -1)
    size, side = tiles.shape[1], p["coherence_side"]
    patches = metrics.photo_patches(photo, (rows, cols), size)
    report = {
        "image": attrs["image_path"],
        "model": attrs["model_id"],
        "layer": attrs["layer"],
        "grid": [int(rows), int(cols)],
        "tile_size": int(size),
        "render": p["render"],
        "faithfulness": metrics.summary(cells["faithfulness"]),
        "faithfulness_photo_patches": metrics.summary(cells["faithfulness_photo"]),
        "retrieval_top1": float(np.mean(cells["retrieval"])),
        "retrieval_top1_photo_patches": float(np.mean(cells["retrieval_photo"])),
        "coherence": metrics.coherence(cropped, targets, side=side),
        "coherence_across_shards": metrics.coherence(cropped, targets, cells["shard"], side),
        "coherence_photo_patches": metrics.coherence(patches, targets, side=side),
        "seam": metrics.seam(cropped, rows, cols),
        "objective": metrics.summary(cells["objective"]),
    }
    Path(out.grid).parent.mkdir(parents=True, exist_ok=True)
    _save_png(grid, Path(out.grid))
    _save_png(side_by_side(photo, grid), Path(out.side_by_side))
    write_cells(Path(out.cells), rows, cols, cells)
    write_text(out.metrics, json.dumps(report, indent=2) + "\n")
    return report
