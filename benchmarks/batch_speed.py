"""A render step's cost a photo by the batch's photos and the parts a step is computed in.

    python benchmarks/batch_speed.py [--configs 16:all 16:256 32:256] [--steps 8]

Each config ``PHOTOS:CHUNK_CELLS`` (``all``: one part) is the workload's shared phase
(``workload.optimizer``'s settings) over PHOTOS copies of chelsea's 196 cells, each with its own
tiles and NMF groups, as a render job's batch. All are built in one process and timed in turn,
three ``--steps``-step calls each after a warm-up call; prints the median seconds a step and
milliseconds a photo-step.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from workload import GROUPS, TILE, targets


def batch_optimizer(features, cells, photos: int, chunk_cells: int | None):
    """Phase one's optimizer for ``photos`` copies of ``cells``, in parts of ``chunk_cells``."""
    import yaml

    from actgrid import render
    from actgrid.factorize import factorize
    from actgrid.optvis.param import init_spectra
    from actgrid.optvis.state import AdamState
    from actgrid.params import RenderParams
    from workload import REPO

    settings = yaml.safe_load((REPO / "config.yaml").read_text())["render"]
    p = RenderParams.from_config({**settings, "tile_size": TILE}, "shared")
    rng = np.random.default_rng(0)
    weights = factorize(cells, GROUPS)[0]
    return render.grid_optimizer(
        p,
        features,
        np.concatenate([cells] * photos),
        AdamState.start(init_spectra(rng, len(cells) * photos, TILE)),
        0,
        cells_per_image=[len(cells)] * photos,
        groups=AdamState.start(init_spectra(rng, GROUPS * photos, TILE)),
        group_weights=render._block_diagonal([weights] * photos),
        train_groups=True,
        chunk_cells=chunk_cells,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["16:all", "16:256", "32:256"])
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    import tensorflow as tf

    cells, features = targets()
    configs = []
    for text in args.configs:
        photos, chunk = text.split(":")
        configs.append((int(photos), None if chunk == "all" else int(chunk)))
    opts = {c: batch_optimizer(features, cells, *c) for c in configs}
    times = {c: [] for c in configs}
    for opt in opts.values():
        opt.run(tf.constant(2)).numpy()  # trace and warm up
    for _ in range(3):
        for c, opt in opts.items():
            start = time.perf_counter()
            opt.run(tf.constant(args.steps)).numpy()
            times[c].append((time.perf_counter() - start) / args.steps)
    print(f"date {time.strftime('%Y-%m-%d')}; {args.steps}-step calls, median of 3")
    for (photos, chunk), t in times.items():
        step = float(np.median(t))
        parts = "one part" if chunk is None else f"parts of {chunk} cells"
        print(
            f"{photos:3d} photos, {parts:<20} {step:6.3f} s a step, {1000 * step / photos:5.1f} ms a photo-step"
        )


if __name__ == "__main__":
    main()
