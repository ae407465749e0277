"""Atlas icons that stand out: contrast, colourfulness and faithfulness of an atlas's icons
rendered several ways, at the cost each takes.

    python benchmarks/atlas_icons.py BINS [--groups GROUPS] [--out DIR]

``BINS``: an atlas's ``bins.h5`` (``GROUPS``: its ``groups.h5``, for the shared method, as the
workflow renders atlases). Renders every filled bin's icon with the workflow's render code
(``render.run_shard``, one shard) for each variant: the atlas as the workflow renders it
(the config's shared method), the naive method (no group images shared between bins),
``cossim_pow`` 2 (Activation Atlas's icons), targets whitened by the inverse covariance of the
bins' vectors (Activation Atlas's ``S``, regularized), and twice the steps. Prints each one's
contrast and colourfulness (``metrics.colour_figures``, means over the icons), faithfulness
against the bins' own mean vectors (also for the whitened variant) and seconds; writes each
variant's icons as one picture, ``<variant>.png``, in ``--out``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def whitened(targets: np.ndarray, ridge: float = 0.1) -> np.ndarray:
    """Each target times the inverse covariance of all of them (Activation Atlas's ``S``),
    with ``ridge`` × the mean variance added to the diagonal (fewer vectors than channels
    leave the covariance singular), scaled back to its own length."""
    cov = np.cov(targets.T)
    cov += ridge * np.trace(cov) / len(cov) * np.eye(len(cov))
    out = targets @ np.linalg.inv(cov)
    out *= np.linalg.norm(targets, axis=1, keepdims=True) / np.linalg.norm(
        out, axis=1, keepdims=True
    )
    return np.maximum(out, 0).astype(np.float32)  # a post-ReLU layer: no negative targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bins", type=Path)
    parser.add_argument("--groups", type=Path)
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="atlas-icons-")))
    parser.add_argument("--only", nargs="+", help="the variants to render (their labels)")
    args = parser.parse_args()
    from actgrid.devices import start_tensorflow

    start_tensorflow(os.cpu_count())
    from actgrid import extract, files, images, metrics, render
    from actgrid.atlas import NAME
    from actgrid.params import RenderParams

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    model_cfg = {"type": "embedded", **config["model"]}
    targets, attrs, _ = files.read_targets(args.bins, NAME)
    args.out.mkdir(parents=True, exist_ok=True)
    white = args.out / "bins_whitened.h5"
    shutil.copy(args.bins, white)
    with h5py.File(white, "r+") as f:
        f["targets"][...] = whitened(targets)
    base = config["render"]
    variants = [
        ("workflow (shared)", "shared", {}, args.bins),
        ("naive", "naive", {}, args.bins),
        ("naive, cossim_pow 2", "naive", {"cossim_pow": 2}, args.bins),
        ("naive, whitened", "naive", {}, white),
        ("naive, whitened, cossim_pow 2", "naive", {"cossim_pow": 2}, white),
        ("naive, 2x steps", "naive", {"steps": 2 * base["steps"]}, args.bins),
        ("naive, 4x steps", "naive", {"steps": 4 * base["steps"]}, args.bins),
        ("workflow (shared), 2x steps", "shared", {"steps": 2 * base["steps"]}, args.bins),
        ("workflow (shared), 4x steps", "shared", {"steps": 4 * base["steps"]}, args.bins),
    ]
    if args.only:
        variants = [v for v in variants if v[0] in args.only]
    features = extract.features_for(attrs, model_cfg)
    print(f"{len(targets)} icons, {base['steps']} steps, W={base['tile_size']}")
    for label, method, changes, bins in variants:
        if method == "shared" and args.groups is None:
            continue
        p = RenderParams.from_config({**base, **changes}, method)
        shard = args.out / f"{label}.h5"
        start = time.perf_counter()
        groups = str(args.groups) if method == "shared" else None
        render.run_shard(render.subjects([NAME], bins, groups), None, shard, p, 0, 1, model_cfg)
        seconds = time.perf_counter() - start
        rendered = files.read_shards([shard], NAME)["tiles"]
        tiles = images.crop_tiles(rendered, 2)
        colour = {k: float(v.mean()) for k, v in metrics.colour_figures(tiles).items()}
        means = metrics.layer_means(features, rendered)
        faith = float(np.mean(np.sum(metrics.unit_rows(means) * metrics.unit_rows(targets), 1)))
        side = int(np.ceil(np.sqrt(len(tiles))))
        padded = np.concatenate([tiles, np.ones((side * side - len(tiles), *tiles.shape[1:]))])
        picture = images.to_uint8(images.tile_grid(padded, side, side))
        files.write_png(args.out / f"{label.replace(' ', '_').replace(',', '')}.png", picture)
        print(
            f"{label:32s} contrast {colour['contrast']:.3f} colourfulness "
            f"{colour['colourfulness']:.3f} faithfulness {faith:.3f} {seconds:6.1f} s",
            flush=True,
        )
    print(f"pictures in {args.out}")


if __name__ == "__main__":
    sys.exit(main())
