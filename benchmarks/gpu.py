"""The render loop on a GPU: cell-steps/s by batch, the notebook workload's time, peak GPU memory.

    python benchmarks/gpu.py [--largest 8192]

Runs where TensorFlow sees a GPU (install with `pip install -e '.[gpu]'`); elsewhere it prints
that it was skipped and why, and exits 0. On the first GPU, with memory growth on (as render
jobs run):

- cell-steps/s of the shared grid at batch 64 (the notebook's), 196 (all cells of one photo)
  and the largest batch that fits (doubling from 392 up to ``--largest`` until out of memory;
  larger batches hold the cells of several photos, as a render job over a batch of photos does);
- the notebook workload's wall time: 1024 steps of the shared grid at batch 64 for chelsea
  (14×14 cells, W=48), loop only, after tracing;
- peak GPU memory of each.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--largest", type=int, default=8192)
    args = parser.parse_args()

    import tensorflow as tf

    from actgrid import devices

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        built = "with" if tf.test.is_built_with_cuda() else "without"
        print(f"GPU benchmark skipped: TensorFlow {tf.__version__} ({built} CUDA) sees no GPU")
        return 0
    devices.limit_memory(tf)
    from workload import cell_steps_per_second, optimizer, targets

    name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
    print(f"GPU: {name}, TensorFlow {tf.__version__}", flush=True)
    cells, features = targets()

    def peak_mib() -> float:
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20

    def measure(batch: int) -> float:
        tf.config.experimental.reset_memory_stats("GPU:0")
        photos = max(1, -(-batch // len(cells)))  # several photos' cells for large batches
        many = np.concatenate([cells] * photos)
        opt = optimizer(features, many, "shared", batch=batch)
        return cell_steps_per_second(opt.run, opt.cells_per_step, repeats=3)

    for batch in (64, 196):
        print(f"batch {batch:5d}: {measure(batch):8.0f} cell-steps/s, peak {peak_mib():.0f} MiB")
    batch, largest = 392, None
    while batch <= args.largest:
        try:
            rate = measure(batch)
        except tf.errors.ResourceExhaustedError:
            break
        largest = batch
        print(f"batch {batch:5d}: {rate:8.0f} cell-steps/s, peak {peak_mib():.0f} MiB", flush=True)
        batch *= 2
    print(f"largest batch that fit: {largest} (tried up to {args.largest})")

    tf.config.experimental.reset_memory_stats("GPU:0")
    opt = optimizer(features, cells, "shared")
    opt.run(tf.constant(16))  # trace
    start = time.perf_counter()
    np.asarray(opt.run(tf.constant(1024)))
    seconds = time.perf_counter() - start
    print(f"notebook workload (1024 steps, batch 64): {seconds:.1f} s, peak {peak_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
