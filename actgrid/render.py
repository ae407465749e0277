"""Stage 3: render the grid's tiles, in a shared-groups job and n shard jobs.

Method ``shared`` (Lucid's less naive grid): the ``shared`` job optimizes the k group images
jointly with all cells' unique images for the first ``shared_fraction`` of the steps. Each
shard then freezes the group images and continues only its own cells' unique images (with
their Adam state) for the remaining steps. Frozen groups keep cells in different shards
coherent, and since every cell has its own Adam state and is sampled with the same
probability per step (shard batch = batch · shard cells / cells), a cell's result does not
depend on the number of shards other than by random noise.

Method ``naive``: independent tiles, shards only.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from actgrid import extract, factorize, h5io

SHARED_KIND, SHARD_KIND = "render_shared", "render_shard"
log = logging.getLogger("actgrid")


def cell_slices(n_cells: int, n_shards: int) -> list[np.ndarray]:
    """Cell indices of each shard: contiguous, sizes differing by at most one."""
    if not 1 <= n_shards <= n_cells:
        raise ValueError(f"n_shards must be 1..{n_cells} (the grid's cells), got {n_shards}")
    return np.array_split(np.arange(n_cells), n_shards)


def phase_steps(p: dict) -> tuple[int, int]:
    """Steps of the shared job and of each shard."""
    if p["method"] == "naive":
        return 0, p["steps"]
    shared = int(round(p["steps"] * p["shared_fraction"]))
    return shared, p["steps"] - shared


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def _initial(n: int, size: int, seed: int, stream: int) -> np.ndarray:
    from actgrid.optvis.param import init_spectra

    return init_spectra(np.random.default_rng([seed, stream]), n, size)


def _targets_and_features(activations_path, model_cfg: dict):
    """The cells' target vectors [N, C] and the model cut at their layer."""
    acts, _, attrs = extract.load(activations_path)
    features = extract.features_for(attrs, model_cfg)
    return acts.reshape(-1, acts.shape[-1]), features


def optimize(opt, steps: int, label: str, steps_per_call: int = 16) -> np.ndarray:
    """Run ``steps`` steps, a compiled call at a time, logging progress; returns the trace.

    A NaN or Inf objective stops the job with an error before anything is written.
    """
    import tensorflow as tf

    log.info(
        f"{label}: {opt.n} cells, batch {opt.batch_size} computed in "
        f"{len(opt.chunk_bounds)} chunk(s)"
    )
    trace, done, start = [], 0, time.time()
    while done < steps:
        n = min(steps_per_call, steps - done)
        part = opt.run(tf.constant(n)).numpy()
        if not np.all(np.isfinite(part)):
            raise FloatingPointError(f"{label}: objective became NaN/Inf near step {done + n}")
        trace.append(part)
        done += n
        rate = done * opt.batch_size / (time.time() - start)
        left = (steps - done) * opt.batch_size / rate
        log.info(
            f"{label} step {done}/{steps} objective {part[-1]:.4g} "
            f"{rate:.0f} cell-steps/s, {left:.0f} s left"
        )
    return np.concatenate(trace) if trace else np.zeros(0, np.float32)


def run_shared(
    activations_path, groups_path, out, p: dict, model_cfg: dict, chunks: int = 1
) -> None:
    """The shared job: group images and all unique images, jointly, for the first phase."""
    from actgrid.optvis.adam import RowAdam
    from actgrid.optvis.render import TileOptimizer

    targets, features = _targets_and_features(activations_path, model_cfg)
    weights = factorize.load_weights(groups_path)
    n, size = len(targets), p["size"]
    unique = RowAdam(_initial(n, size, p["seed"], 0), lr=p["lr"])
    groups = RowAdam(_initial(weights.shape[1], size, p["seed"], 1), lr=p["lr"])
    opt = TileOptimizer(
        features,
        targets,
        unique,
        size,
        p["batch"],
        _seed(p["seed"], 0),
        p["transforms"],
        weights,
        groups,
        train_groups=True,
        cossim_pow=p["cossim_pow"],
        chunks=chunks,
    )
    trace = optimize(opt, phase_steps(p)[0], "shared")
    with h5io.atomic_h5(out, SHARED_KIND) as f:
        for name, state in (("unique", unique.state()), ("groups", groups.state())):
            for key, value in state.items():
                f.create_dataset(f"{name}/{key}", data=value)
        f.create_dataset("trace", data=trace)
        f.attrs.update(params=repr(p), cells=n)


def run_shard(
    activations_path,
    groups_path,
    shared_path,
    out,
    p: dict,
    shard: int,
    n_shards: int,
    model_cfg: dict,
    chunks: int = 1,
):
    """One shard: continue (shared) or render from scratch (naive) a subset of cells."""
    from actgrid.optvis.adam import RowAdam
    from actgrid.optvis.render import TileOptimizer

    targets, features = _targets_and_features(activations_path, model_cfg)
    n, size = len(targets), p["size"]
    cells = cell_slices(n, n_shards)[shard]
    weights = groups = None
    if p["method"] == "shared":
        weights = factorize.load_weights(groups_path)[cells]
        with h5io.open_h5(shared_path, SHARED_KIND) as f:
            state = {k: h5io.read(f, f"unique/{k}")[cells] for k in ("param", "m", "v", "t")}
            groups = RowAdam(h5io.read(f, "groups/param"), lr=p["lr"])
        unique = RowAdam(state["param"], state["m"], state["v"], state["t"], lr=p["lr"])
    else:
        unique = RowAdam(_initial(n, size, p["seed"], 0)[cells], lr=p["lr"])
    batch = max(1, int(round(p["batch"] * len(cells) / n)))
    opt = TileOptimizer(
        features,
        targets[cells],
        unique,
        size,
        batch,
        _seed(p["seed"], n_shards, shard + 1),
        p["transforms"],
        weights,
        groups,
        train_groups=False,
        cossim_pow=p["cossim_pow"],
        chunks=chunks,
    )
    trace = optimize(opt, phase_steps(p)[1], f"shard {shard + 1}/{n_shards}")
    tiles = opt.all_images()
    objective = opt.final_objective()
    if not np.all(np.isfinite(tiles)):
        raise FloatingPointError(f"shard {shard + 1}/{n_shards}: tiles contain NaN/Inf")
    with h5io.atomic_h5(out, SHARD_KIND) as f:
        f.create_dataset("cells", data=cells)
        f.create_dataset("tiles", data=tiles, compression="gzip")
        f.create_dataset("objective", data=objective)
        f.create_dataset("trace", data=trace)
        f.attrs.update(params=repr(p), shard=shard, n_shards=n_shards, cells_total=n)


def load_shards(paths) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All shards' tiles [N, W, W, 3], objectives [N] and shard numbers [N], in cell order.

    Every cell must be in exactly one shard.
    """
    parts = []
    for path in paths:
        with h5io.open_h5(path, SHARD_KIND) as f:
            total = int(f.attrs["cells_total"])
            parts.append((h5io.read(f, "cells"), h5io.read(f, "tiles"), h5io.read(f, "objective")))
    cells = np.concatenate([c for c, _, _ in parts])
    counts = np.bincount(cells, minlength=total)
    if counts.min() < 1 or counts.max() > 1:
        missing = np.flatnonzero(counts == 0)
        raise ValueError(
            f"shards {list(map(str, paths))} miss cells {missing[:10].tolist()} of {total}"
        )
    order = np.argsort(cells)
    tiles = np.concatenate([t for _, t, _ in parts])[order]
    shard = np.concatenate([np.full(len(c), i) for i, (c, _, _) in enumerate(parts)])[order]
    return tiles, np.concatenate([o for _, _, o in parts])[order], shard
