"""Xplique's feature visualization on the same workload (run in the benchmark venv, see README).

Xplique optimizes one image per direction every step (no random batch of cells), with its own
Lucid-style FFT parameterization and "standard" transformations, and needs a model with a fixed
input size: the embedded model cut at the layer is rebuilt for the transformed tile size.
"""

from __future__ import annotations

import time

import numpy as np

from workload import LAYER, TILE


def xplique_rate(cells: np.ndarray, steps: int = 16, repeats: int = 3) -> float:
    """Steady-state cell-steps/s: time of 2·steps minus time of ``steps`` steps (median of
    ``repeats`` such pairs).

    Each ``optimize`` call retraces (~2 s); its first few steps also cost next to nothing
    here (4 and 8 steps took 2.8 and 2.9 s, 16 and 32 took 4.9 and 9.0 s), so the difference
    of two longer calls is the honest per-step figure. One pair varies by ±15 % between runs.
    """
    import keras
    import tensorflow as tf
    from xplique.features_visualizations import Objective, optimize

    from actgrid.models import from_config

    full = from_config().keras_model
    cut = keras.Model(full.input, full.get_layer(LAYER).output)
    side = TILE + 12
    config = cut.get_config()  # the same network, rebuilt for a fixed input size
    config["layers"][0]["config"]["batch_shape"] = (None, side, side, 3)
    fixed = keras.Model.from_config(config)
    fixed.set_weights(cut.get_weights())
    h, w, c = fixed.get_layer(LAYER).output.shape[1:]
    vectors = [np.broadcast_to(v, (h, w, c)).astype(np.float32) for v in cells]
    objective = Objective.direction(fixed, LAYER, vectors)

    def timed(nb_steps: int) -> float:
        start = time.perf_counter()
        optimize(
            objective,
            optimizer=tf.keras.optimizers.Adam(0.05),
            nb_steps=nb_steps,
            custom_shape=(TILE, TILE),
        )
        return time.perf_counter() - start

    def extra_time() -> float:
        short = timed(steps)
        return timed(2 * steps) - short

    return len(cells) * steps / float(np.median([extra_time() for _ in range(repeats)]))
