"""Render speed at the notebook workload, peers side by side, and the fraction of the machine.

    python benchmarks/render_speed.py [--threads N] [--repeats 5] [--xplique]

Workload: chelsea at 224 px, EfficientNet-Lite0 block10_dw_relu (14x14 = 196 cells, 672
channels), W=48, batch 64, Lucid's transforms, cossim_pow 1. A cell-step is one tile carried
through one step: transforms, forward and backward to the layer, the parameter update. Rates are
the median over repeats of 16-step calls, after a warm-up call. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

from workload import BATCH, LAYER, TILE, cell_steps_per_second, model_rate, optimizer, targets


def line(name: str, value: str) -> None:
    print(f"{name:<44} {value}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="TF threads (0: all cores)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--xplique", action="store_true", help="also time Xplique (if installed)")
    args = parser.parse_args()

    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, args.threads))
    from flops import forward_backward_flops, matmul_peak

    line("machine", f"{platform.processor() or platform.machine()}, TF {tf.__version__}")
    line("date", time.strftime("%Y-%m-%d"))
    cells, features = targets()
    line("workload", f"{len(cells)} cells x {cells.shape[1]} channels, W={TILE}, batch {BATCH}")

    rates = {}
    for method in ("shared", "naive"):
        opt = optimizer(features, cells, method)
        rates[method] = cell_steps_per_second(opt.run, opt.cells_per_step, repeats=args.repeats)
        line(f"actgrid {method} cell-steps/s", f"{rates[method]:.0f}")

    opt = optimizer(features, cells, "naive", batch=len(cells))
    whole = cell_steps_per_second(opt.run, opt.cells_per_step, repeats=args.repeats)
    line(f"actgrid naive, batch {len(cells)} (all cells) cell-steps/s", f"{whole:.0f}")

    for batch, xla in ((BATCH, False), (BATCH, True), (len(cells), False)):
        rate = model_rate(features, cells, batch, xla)
        line(f"model alone fwd+bwd, batch {batch}{' +XLA' if xla else ''}, cells/s", f"{rate:.0f}")

    from eager_baseline import eager_loop

    from actgrid.models import from_config

    keras_layer = from_config().layer_function(LAYER)  # what a user calls: the Keras model
    eager = cell_steps_per_second(eager_loop(keras_layer, cells), BATCH, steps=4, repeats=3)
    line("plain eager TF2 loop cell-steps/s", f"{eager:.0f}")
    if args.xplique:
        from xplique_peer import xplique_rate

        peer = xplique_rate(cells)
        line("Xplique optimize cell-steps/s", f"{peer:.0f}")

    side = TILE + 12  # what the network sees: the tile after Lucid's transforms
    flops = forward_backward_flops(LAYER, side)
    peak = matmul_peak()
    best = max(rates.values())
    line("forward+backward FLOPs per cell-step", f"{flops / 1e6:.1f} M ({side}x{side} px)")
    line("fp32 matmul peak (measured)", f"{peak / 1e9:.1f} GFLOP/s")
    line("best actgrid, model FLOP/s", f"{best * flops / 1e9:.1f} GFLOP/s")
    line("fraction of the matmul peak", f"{100 * best * flops / peak:.0f} %")
    if args.xplique:
        line("actgrid / Xplique, batch 64 vs all cells", f"{best / peer:.2f}x")
        line("actgrid / Xplique, both all cells", f"{whole / peer:.2f}x")
    line("actgrid / plain eager", f"{best / eager:.1f}x")
    line("seconds for 1024 steps of the shared grid", f"{1024 * BATCH / rates['shared']:.0f}")


if __name__ == "__main__":
    sys.exit(main())
