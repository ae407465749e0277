"""Random transforms a tile (``standard``) or a batch (``standard_batch``, Lucid's draw): every
quality figure, and whether the seam figure tells settings apart.

    python benchmarks/transforms.py [--images chelsea coffee astronaut] [--seeds 0 1]
                                    [--no-notebook] [--workdir DIR]

On the shipped photos, renders with the workflow's own stage code (``quality.py``'s ``prepare``
and ``measure``), for each render seed: the defaults' shared grid (256 steps) with each
transforms setting, their naive grid (no group images: seams that should read worse), and
``configs/notebook.yaml``'s shared grid (1024 steps) with each transforms setting. Prints each
grid's means over the photos: faithfulness, coherence, top-1 retrieval, render seconds a photo
and the seam ratio with the tiles averaged over blocks of 1 (the figure itself), 2, 4 and 11
pixels first; then the seam ratios of the photos' own patches laid out as the grid (seamless),
and for pairs of settings their mean difference over photo × seed pairs and its t statistic.
A grid's figures are kept in ``--workdir`` (``<label>.json``): a later run reuses them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
BLOCKS = (1, 2, 4, 11)


def seams(folder: Path, rows: int, cols: int) -> dict:
    """The seam ratio of the grid in ``folder`` at each of ``BLOCKS``."""
    from PIL import Image

    from actgrid import metrics

    grid = np.asarray(Image.open(folder / "grid.png"), np.float32) / 255
    side = grid.shape[0] // rows
    tiles = (
        grid.reshape(rows, side, cols, side, 3).transpose(0, 2, 1, 3, 4).reshape(-1, side, side, 3)
    )
    return {str(b): metrics.seam(tiles, rows, cols, block=b)["ratio"] for b in BLOCKS}


def photo_seams(photo, tile: int, crop: int) -> dict:
    """The seam ratio of a photo's own patches (what the grid shows), at each of ``BLOCKS``."""
    from actgrid import files, images, metrics
    from actgrid.assemble import photo_patches

    acts, rgb, _ = files.read_activations(photo.targets, photo.name)
    rows, cols = acts.shape[:2]
    patches = images.crop_tiles(photo_patches(rgb, (rows, cols), tile), crop)
    return {str(b): metrics.seam(patches, rows, cols, block=b)["ratio"] for b in BLOCKS}


def settings(config: dict, notebook_cfg: dict, seeds: list[int], notebook: bool):
    """(label, group, params) of every grid: the defaults' shared grid with each transforms
    setting and their naive grid (the seam figure's check: no group images, worse seams), and
    the notebook's shared grid with each transforms setting."""
    from quality import params

    grids = [("defaults", config["render"])] + ([("notebook", notebook_cfg)] if notebook else [])
    out = []
    for grid, render_cfg in grids:
        methods = ("shared", "naive") if grid == "defaults" else ("shared",)
        for method in methods:
            for transforms in (
                ("standard", "standard_batch") if method == "shared" else ("standard",)
            ):
                for seed in seeds:
                    p = params(render_cfg, method, transforms=transforms, seed=seed)
                    out.append(
                        (f"{grid}_{method}_{transforms}_seed{seed}", (grid, method, transforms), p)
                    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="+", default=["chelsea", "coffee", "astronaut"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--no-notebook", action="store_true")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    from quality import measure, start

    workdir, config, notebook_cfg, photos, model_cfg = start(
        args.workdir, args.images, "transforms"
    )
    rows = []
    for label, group, p in settings(config, notebook_cfg, args.seeds, not args.no_notebook):
        done = workdir / f"{label}.json"  # kept: a later run with more settings reuses it
        if done.exists():
            row = json.loads(done.read_text())
        else:
            row = measure(workdir, photos, model_cfg, p, label)
            for photo in photos:
                report = json.loads((workdir / label / photo.name / "metrics.json").read_text())
                row["photos"][photo.name]["seams"] = seams(
                    workdir / label / photo.name, *report["grid"]
                )
            done.write_text(json.dumps(row, default=str))
        row["group"], row["seed"] = group, p.seed
        rows.append(row)
        print(line(row), flush=True)
    reference = {
        photo.name: photo_seams(photo, config["render"]["tile_size"], config["assemble"]["crop"])
        for photo in photos
    }
    print(f"\nthe photos' own patches, seam ratio at blocks {BLOCKS}:")
    for name, s in reference.items():
        print(f"  {name}: " + "  ".join(f"{s[str(b)]:.3f}" for b in BLOCKS))
    pairs = [
        (("defaults", "shared", "standard"), ("defaults", "shared", "standard_batch")),
        (("defaults", "naive", "standard"), ("defaults", "shared", "standard")),
        (("notebook", "shared", "standard"), ("defaults", "shared", "standard")),
        (("notebook", "shared", "standard"), ("notebook", "shared", "standard_batch")),
    ]
    groups = {r["group"] for r in rows}
    for a, b in pairs:
        if a in groups and b in groups:
            print(f"\n{' '.join(a)} minus {' '.join(b)}, seam ratio at blocks {BLOCKS}:")
            print("  " + "  ".join(separation(rows, a, b, block) for block in BLOCKS))


def line(row: dict) -> str:
    seam = {b: np.mean([f["seams"][str(b)] for f in row["photos"].values()]) for b in BLOCKS}
    return (
        f"{row['label']:36s} faithfulness {row['faithfulness']:.3f} coherence "
        f"{row['coherence']:.3f} retrieval {row['retrieval']:.3f} "
        f"{row['seconds_per_photo']:6.1f} s/photo  seam "
        + " ".join(f"{seam[b]:.3f}" for b in BLOCKS)
    )


def separation(rows: list[dict], a: tuple, b: tuple, block: int) -> str:
    """Mean seam ratio of grids ``a`` minus grids ``b`` over photo × seed pairs, and its t
    statistic (the difference over its standard error)."""
    by = {
        (r["group"], r["seed"], name): f["seams"][str(block)]
        for r in rows
        for name, f in r["photos"].items()
    }
    d = np.asarray([v - by[(b, s, n)] for (g, s, n), v in by.items() if g == a and (b, s, n) in by])
    t = d.mean() / (d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 and d.std() > 0 else np.nan
    return f"{block}px: {d.mean():+.3f} (t {t:.1f})"


if __name__ == "__main__":
    main()
