"""Peak memory of a render shard for a 196-cell and a 784-cell grid: set by the batch, not the cells.

    python benchmarks/memory.py [--steps 64]

Each size runs in its own process (TF import, model build, the layer's activations for chelsea at
224 px = 14x14 cells or 448 px = 28x28 cells, a naive shard of every cell: its steps, the final
tiles and objectives), and the process's peak resident memory is read from the OS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(input_size: int, steps: int) -> None:
    import tensorflow as tf

    from workload import optimizer, targets

    cells, features = targets(input_size)
    opt = optimizer(features, cells, "naive")
    opt.run(tf.constant(steps))
    tiles = opt.all_images()
    objective, _ = opt.final_figures(tiles)
    gpu = 0
    if tf.config.list_physical_devices("GPU"):
        gpu = tf.config.experimental.get_memory_info("GPU:0")["peak"]
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"cells": len(cells), "rss_mib": peak_kib / 1024, "gpu_mib": gpu / 2**20}))
    assert tiles.shape[0] == len(objective) == len(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.steps)
    peaks = {}
    for size in (224, 448):
        cmd = [sys.executable, __file__, "--child", str(size), "--steps", str(args.steps)]
        out = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, check=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        peaks[size] = figures["rss_mib"]
        print(
            f"{figures['cells']:>4} cells ({size} px): peak RSS {figures['rss_mib']:.0f} MiB, "
            f"GPU peak {figures['gpu_mib']:.0f} MiB",
            flush=True,
        )
    print(f"784-cell / 196-cell peak RSS: {peaks[448] / peaks[224]:.2f}")


if __name__ == "__main__":
    main()
