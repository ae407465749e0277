"""A render step's cost a photo by the batch's photos and the parts a step is computed in.

    python benchmarks/batch_speed.py [--configs 16:all 16:256 32:256] [--steps 8]

Each config ``PHOTOS:CHUNK_CELLS`` (``all``: one part) is the workload's shared phase
(``workload.optimizer``) over PHOTOS copies of chelsea's 196 cells, each with its own tiles and
NMF groups, as a render job's batch. All are built in one process and timed in turn,
three ``--steps``-step calls each after a warm-up call; prints the median seconds a step and
milliseconds a photo-step.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from workload import optimizer, targets


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
    opts = {
        (photos, chunk): optimizer(features, cells, "shared", photos=photos, chunk_cells=chunk)
        for photos, chunk in configs
    }
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
        per_photo = 1000 * step / photos
        print(
            f"{photos:3d} photos, {parts:<20} {step:6.3f} s a step, {per_photo:5.1f} ms a photo-step"
        )


if __name__ == "__main__":
    main()
