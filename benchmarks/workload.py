"""The notebook workload, built once for every benchmark: chelsea, 14x14 cells, W=48, batch 64."""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LAYER, TILE, BATCH, GROUPS = "block10_dw_relu", 48, 64, 6


def targets(input_size: int = 224, image: str = "chelsea") -> tuple[np.ndarray, object]:
    """The photo's activations at LAYER as [cells, channels], and the model's features."""
    from actgrid import images
    from actgrid.models import from_config

    model = from_config(input_size=input_size)
    features = model.features(LAYER)
    rgb = images.model_input(REPO / f"data/default/{image}.png", input_size, "stretch")
    acts = np.asarray(features(rgb[None].astype(np.float32) / 255.0))[0]
    return acts.reshape(-1, acts.shape[-1]), features


def optimizer(
    features,
    cells: np.ndarray,
    method: str,
    batch=BATCH,
    seed: int = 0,
    photos: int = 1,
    chunk_cells: int | None = None,
    **options,
):
    """The workflow's optimizer (``render.grid_optimizer``) at config.yaml's render settings,
    for ``method`` (shared: NMF groups trained jointly, as in phase one; naive: alone, ``batch``
    cells a step of each photo); ``photos``: copies of ``cells``, each with its own tiles and
    groups, as a render job's batch, in parts of ``chunk_cells``; ``options``: ``adam``,
    ``transforms``, ... instead of config.yaml's."""
    import yaml

    from actgrid import render
    from actgrid.factorize import factorize
    from actgrid.methods import method as method_named
    from actgrid.optvis.param import init_spectra
    from actgrid.optvis.state import AdamState
    from actgrid.params import RenderParams

    grouped = method_named(method).has_groups
    settings = yaml.safe_load((REPO / "config.yaml").read_text())["render"]
    settings.update(tile_size=TILE, batch_size=batch, **options)
    p = RenderParams.from_config(settings, "shared" if grouped else "naive_sampled")
    rng = np.random.default_rng(seed)
    unique = AdamState.start(init_spectra(rng, len(cells) * photos, TILE))
    shared = {}
    if grouped:
        weights = factorize(cells, GROUPS)[0]
        groups = AdamState.start(init_spectra(rng, GROUPS * photos, TILE))
        group_weights = render._block_diagonal([weights] * photos)
        shared = dict(group_weights=group_weights, groups=groups, train_groups=True)
    return render.grid_optimizer(
        p,
        features,
        np.concatenate([cells] * photos),
        unique,
        seed,
        cells_per_image=[len(cells)] * photos,
        chunk_cells=chunk_cells,
        **shared,
    )


def cell_steps_per_second(run, batch: int, steps: int = 16, repeats: int = 5) -> float:
    """Median rate of ``run(steps)`` calls after one warm-up call."""
    import tensorflow as tf

    run(tf.constant(steps))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.asarray(run(tf.constant(steps)))
        times.append(time.perf_counter() - start)
    return steps * batch / float(np.median(times))


def model_rate(features, cells: np.ndarray, batch: int = BATCH, jit_compile: bool = False):
    """Cells/s of the model alone: forward and backward to the input, objective included."""
    import tensorflow as tf

    from actgrid.optvis import objectives

    side = TILE + 12
    x = tf.random.uniform([batch, side, side, 3], seed=0)
    t = tf.constant(np.resize(cells, (batch, cells.shape[1])))
    net = tf.function(features, jit_compile=True) if jit_compile else features

    @tf.function
    def grad(x, steps):
        total = tf.zeros_like(x)
        for _ in tf.range(steps):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(objectives.direction(net(x), t, 1.0))
            total += tape.gradient(y, x)
        return total

    return cell_steps_per_second(lambda n: grad(x, n), batch, steps=4, repeats=3)
