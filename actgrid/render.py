"""Stage 3: render the tiles of a batch of photos, in a shared-groups job and n shard jobs.

A render job works on a *batch*: the photos ``batches.split`` puts together. Every cell keeps
its own target, parameters and Adam state, and every photo its own random draws and group
images, so a photo's tiles are the same whichever photos share its job; the job pays its
fixed cost (imports, model build, tracing) once for all of them, and each step's batch holds
every photo's sampled cells.

Method ``shared`` (Lucid's less naive grid): the ``shared`` job optimizes each photo's k group
images jointly with all its cells' unique images for the first ``shared_fraction`` of the
steps. Each shard then freezes the group images and continues its part of every photo's cells
(with their Adam state) for the remaining steps. Frozen groups keep cells in different shards
coherent, and since every cell has its own Adam state and is sampled with the same probability
per step (shard batch = batch · shard cells / cells), a cell's result does not depend on the
number of shards other than by random noise.

Method ``naive`` (the notebook's very naive grid): independent tiles, every cell optimized at
every step, shards only. ``naive_sampled``: independent tiles, ``batch`` random cells a step.

``adam``: ``dense`` (Lucid's: every cell's image steps every step, unsampled ones on their
momentum) or ``per_cell`` (only the sampled cells step). Either way a cell's trajectory depends
only on its own gradients and the step count, so neither depends on the shards.

Each shard also measures its tiles' faithfulness (and that of the photo patches) with the model
it already holds, so assembling the grid needs no network.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from dataclasses import dataclass
from functools import partial

import numpy as np

from actgrid import extract, files, metrics
from actgrid.images import to_uint8
from actgrid.optvis.param import spectra_to_rgb
from actgrid.optvis.state import AdamState
from actgrid.params import RenderParams

log = logging.getLogger("actgrid")


@dataclass
class Subject:
    """What a render job renders, by name: a photo of a batch (its cells' targets in the
    batch's ``activations.h5``) or an atlas (its bins' targets in ``bins.h5``, as one subject);
    for the shared method also its groups file."""

    name: str
    targets: str
    groups: str | None = None


def subjects(names: list[str], targets: str, groups: str | None = None) -> list[Subject]:
    """A render job's subjects (a batch's photos, or an atlas): their names, and the targets
    (and groups) file that holds them all."""
    return [Subject(name, str(targets), groups and str(groups)) for name in names]


def cell_slices(n_cells: int, n_shards: int) -> list[np.ndarray]:
    """Cell indices of each shard: contiguous, sizes differing by at most one."""
    if not 1 <= n_shards <= n_cells:
        raise ValueError(f"n_shards must be 1..{n_cells} (the grid's cells), got {n_shards}")
    return np.array_split(np.arange(n_cells), n_shards)


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def _initial(n: int, size: int, seed: int, stream: int) -> np.ndarray:
    from actgrid.optvis.param import init_spectra

    return init_spectra(np.random.default_rng([seed, stream]), n, size)


def _load_batch(subjects: list[Subject], model_cfg: dict):
    """Each photo's targets [N, C] and reference pictures (``files.read_targets``), and the
    model cut at the layer.

    All photos must come from the same model, input size and layer.
    """
    loaded = [files.read_targets(subject.targets, subject.name) for subject in subjects]
    first = (subjects[0].targets, loaded[0][1])
    for subject, (_, attrs, _) in zip(subjects, loaded):
        files.check_same_layer(first, subject.targets, attrs)
    targets, _, references = zip(*loaded)
    return list(targets), list(references), extract.features_for(first[1], model_cfg)


def grid_optimizer(
    p: RenderParams,
    features,
    targets: np.ndarray,
    unique: AdamState,
    seed: int,
    *,
    batch=None,
    cells_per_image=None,
    groups: AdamState | None = None,
    group_weights=None,
    train_groups: bool = False,
    chunk_cells: int | None = None,
):
    """The optimizer of a grid's tiles as the workflow runs it (the render jobs, benchmarks and
    tests all build it here): the parameterization (``param.grid_tiles``), objective (Lucid's
    ``direction`` at ``p.cossim_pow``), transforms and Adam (``p.learning_rate``, dense or per
    cell) that ``p`` sets, from ``unique`` (the cells' spectra and Adam state) and for a shared
    grid the ``groups``' with ``group_weights`` [cells, groups] (stepping with
    ``train_groups``). ``targets`` [cells, C] split into photos by ``cells_per_image``
    (default: one photo); ``batch``: cells a step of each photo (a number or one per photo;
    default ``p.batch_size``, or every cell for a method that does not sample); ``seed``: the
    steps' random draws; ``chunk_cells``: as ``TileOptimizer``'s."""
    from actgrid.optvis import objectives, param, transform
    from actgrid.optvis.adam import RowAdam
    from actgrid.optvis.optimizer import TileOptimizer
    from actgrid.optvis.sampling import CellSampler

    counts = [len(targets)] if cells_per_image is None else [int(c) for c in cells_per_image]
    if batch is None:
        batch = counts if p.batch_size is None else p.batch_size
    batches = [batch] * len(counts) if np.isscalar(batch) else list(batch)
    group_start = None if groups is None else groups.param
    (unique_var, groups_var), image_f = param.grid_tiles(
        unique.param, p.tile_size, group_start, group_weights
    )

    def adam(variable, state):
        return RowAdam(variable, state, lr=p.learning_rate, dense=p.adam == "dense")

    return TileOptimizer(
        features,
        targets,
        image_f,
        adam(unique_var, unique),
        CellSampler(counts, batches, seed),
        p.tile_size,
        objective=partial(objectives.direction, cossim_pow=p.cossim_pow),
        transforms=transform.TRANSFORMS[p.transforms],
        groups=None if groups is None else adam(groups_var, groups),
        train_groups=train_groups,
        chunk_cells=chunk_cells,
    )


def _block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    """[Σ rows, Σ cols] with each block on the diagonal, zeros elsewhere."""
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)), np.float32)
    r = c = 0
    for b in blocks:
        out[r : r + b.shape[0], c : c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


STEPS_PER_CALL = 16  # steps a compiled call runs: progress lines this often


def optimize(opt, steps: int, label: str) -> np.ndarray:
    """Run ``steps`` steps, a compiled call at a time, logging progress; returns the trace.

    The first call runs one step: it traces and warms the computation up, so the calls after it
    (up to each multiple of ``STEPS_PER_CALL``) time the loop at its steady rate, which the
    last line logs. How calls split the steps changes no bit. A NaN or Inf objective stops the
    job with an error before anything is written.
    """
    import tensorflow as tf

    log.info(
        f"{label}: {len(opt.parts)} photo(s), {opt.n} cells, batch {opt.cells_per_step} "
        f"computed in {opt.chunks} chunk(s)"
    )
    trace, done, first, start = [], 0, 0.0, time.time()
    while done < steps:
        n = min(1 if done == 0 else STEPS_PER_CALL - done % STEPS_PER_CALL, steps - done)
        part = opt.run(tf.constant(n)).numpy()
        if not np.all(np.isfinite(part)):
            raise FloatingPointError(f"{label}: objective became NaN/Inf near step {done + n}")
        trace.append(part)
        done += n
        if done == 1:
            first, start = time.time() - start, time.time()
            continue
        rate = (done - 1) * opt.cells_per_step / (time.time() - start)
        left = (steps - done) * opt.cells_per_step / rate
        log.info(
            f"{label} step {done}/{steps} objective {part[-1]:.4g} "
            f"{rate:.0f} cell-steps/s, {left:.0f} s left"
        )
    if steps > 1:
        per_step = (time.time() - start) / (steps - 1)
        log.info(
            f"{label} loop: {steps} steps in {per_step * steps:.3f} s at the steady rate; "
            f"first call {first - per_step:.3f} s more (tracing, warm-up)"
        )
    return np.concatenate(trace) if trace else np.zeros(0, np.float32)


def space_needed(p: RenderParams, cells: int, groups: int, shared_state: bool) -> int:
    """About the most a render job's file takes: every cell's tile (or, ``shared_state``, its
    Adam state), the group images and a margin for the figures and the rest."""
    from actgrid.optvis.param import spectrum_shape

    spectrum = 4 * int(np.prod(spectrum_shape(p.tile_size)))
    per_cell = 4 * spectrum if shared_state else 3 * p.tile_size**2 + 64
    return cells * per_cell + groups * 4 * spectrum + (1 << 20)


def _group_count(subjects: list[Subject]) -> int:
    return sum(files.read_groups(subject.groups, subject.name)[0].shape[1] for subject in subjects)


def _device_attrs() -> dict:
    """Where this job computed: recorded in its output."""
    return {"cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", "(unset)")}


def _shared_phase(
    subjects: list[Subject], targets, features, p: RenderParams, chunk_cells: int | None
):
    """Phase one: every photo's group images and unique images, jointly.

    Returns each photo's state, ``state[photo]["unique"|"groups"]`` (``AdamState``s), and
    the trace.
    """
    weights = [files.read_groups(subject.groups, subject.name)[0] for subject in subjects]
    size, seed = p.tile_size, p.seed
    cells, groups = [len(t) for t in targets], [w.shape[1] for w in weights]
    opt = grid_optimizer(
        p,
        features,
        np.concatenate(targets),
        AdamState.start(np.concatenate([_initial(n, size, seed, 0) for n in cells])),
        _seed(seed, 0),
        cells_per_image=cells,
        groups=AdamState.start(np.concatenate([_initial(k, size, seed, 1) for k in groups])),
        group_weights=_block_diagonal(weights),
        train_groups=True,
        chunk_cells=chunk_cells,
    )
    trace = optimize(opt, p.phase_steps[0], "shared")
    parts = zip(subjects, opt.unique.state().split(cells), opt.groups.state().split(groups))
    return {subject.name: {"unique": u, "groups": g} for subject, u, g in parts}, trace


def in_memory(compute, chunk_cells: int | None, retries: int):
    """``compute(chunk_cells)``, run again from its start with half the cells a part each time
    TensorFlow runs out of memory (a GPU's, most often), at most ``retries`` times; returns its
    result and the ``chunk_cells`` it took (None: a whole step at once, not retried). A job
    killed from outside (the OOM killer) is Snakemake's to retry."""
    import tensorflow as tf

    for attempt in range(retries + 1):
        try:
            return compute(chunk_cells), chunk_cells
        except tf.errors.ResourceExhaustedError as e:
            if attempt == retries or chunk_cells in (None, 1):
                raise
            half = -(-chunk_cells // 2)
            first_line = e.message.splitlines()[0]
            log.warning(f"out of memory in parts of {chunk_cells} cells ({first_line})")
            log.warning(f"starting again in parts of {half} cells: less memory, the same steps")
            chunk_cells = half


def run_shared(
    subjects: list[Subject],
    out,
    p: RenderParams,
    model_cfg: dict,
    chunk_cells: int | None = None,
    retries: int = 0,
):
    """The shared job (with more than one shard): phase one for every photo of a batch."""
    targets, _, features = _load_batch(subjects, model_cfg)
    cells = sum(map(len, targets))
    files.check_space(out, space_needed(p, cells, _group_count(subjects), shared_state=True))
    phase_one = lambda c: _shared_phase(subjects, targets, features, p, c)  # noqa: E731
    (state, trace), chunk_cells = in_memory(phase_one, chunk_cells, retries)
    attrs = dict(params=repr(p), chunk_cells=chunk_cells or "all", **_device_attrs())
    files.write_shared(out, state, trace, attrs)


def run_shard(
    subjects: list[Subject],
    shared_path,
    out,
    p: RenderParams,
    shard: int,
    n_shards: int,
    model_cfg: dict,
    chunk_cells: int | None = None,
    retries: int = 0,
):
    """One shard: continue (shared) or render from scratch (naive) its part of every photo:
    phase one's state (``_phase_one``), the shard's optimizer (``_shard_optimizer``) and its
    steps, then its tiles and their figures (``_shard_results``) into ``out``.

    For the shared method without ``shared_path`` (one shard), the job runs phase one itself
    first: the same steps as a shared job, without a process start and a file in between.
    ``chunk_cells`` and ``retries``: as ``in_memory``.
    """
    all_targets, references, features = _load_batch(subjects, model_cfg)
    cells = [cell_slices(len(t), n_shards)[shard] for t in all_targets]
    groups = _group_count(subjects) if p.method_spec.has_groups else 0
    files.check_space(out, space_needed(p, sum(map(len, cells)), groups, shared_state=False))
    label, seed = f"shard {shard + 1}/{n_shards}", _seed(p.seed, n_shards, shard + 1)

    def render(chunk_cells: int | None):
        """The shard's optimizer after its steps, its trace and phase one's group images."""
        state = _phase_one(subjects, shared_path, all_targets, features, p, chunk_cells)
        opt = _shard_optimizer(subjects, all_targets, cells, state, features, p, seed, chunk_cells)
        groups = {name: s["groups"] for name, s in state.items()}
        del state  # the cells' phase-one copies: 17 MB a photo, not held through the steps
        gc.collect()  # nor phase one's optimizer (its traced functions hold it in cycles)
        return opt, optimize(opt, p.phase_steps[1], label), groups

    (opt, trace, groups), chunk_cells = in_memory(render, chunk_cells, retries)

    tiles = opt.all_images()
    if not np.all(np.isfinite(tiles)):
        raise FloatingPointError(f"{label}: tiles contain NaN/Inf")
    results = _shard_results(opt, tiles, subjects, all_targets, references, cells, groups, p)
    parts = chunk_cells or "all"
    attrs = dict(
        params=repr(p), shard=shard, n_shards=n_shards, chunk_cells=parts, **_device_attrs()
    )
    files.write_shard(out, results, trace, attrs)


def _phase_one(subjects, shared_path, all_targets, features, p: RenderParams, chunk_cells):
    """Each photo's state after phase one (``_shared_phase``): read from the shared job's
    ``shared_path``, or run here when there is none; {} for a method without the phase."""
    if not p.method_spec.has_shared_phase:
        return {}
    if shared_path is None:
        return _shared_phase(subjects, all_targets, features, p, chunk_cells)[0]
    return files.read_shared(shared_path, [subject.name for subject in subjects])


def _shard_optimizer(
    subjects, all_targets, cells, state, features, p: RenderParams, seed, chunk_cells
):
    """The optimizer of the shard's ``cells`` of every photo: for the shared method from phase
    one's ``state`` on the frozen group images, else from each cell's initial spectrum; each
    photo samples its share of ``p.batch_size`` (shard cells / cells)."""
    targets = np.concatenate([t[c] for t, c in zip(all_targets, cells)])
    shared = {}
    if p.method_spec.has_shared_phase:
        weights = [files.read_groups(ph.groups, ph.name)[0][c] for ph, c in zip(subjects, cells)]
        group_params = np.concatenate([state[subject.name]["groups"].param for subject in subjects])
        shared = dict(groups=AdamState.start(group_params), group_weights=_block_diagonal(weights))
        unique = AdamState.concatenate(
            [state[subject.name]["unique"].rows(c) for subject, c in zip(subjects, cells)]
        )
    else:
        size = p.tile_size
        unique = AdamState.start(
            np.concatenate(
                [_initial(len(t), size, p.seed, 0)[c] for t, c in zip(all_targets, cells)]
            )
        )
    batch = None  # every cell, every step
    if p.method_spec.samples_cells:
        batch = [max(1, round(p.batch_size * len(c) / len(t))) for t, c in zip(all_targets, cells)]
    counts = [len(c) for c in cells]
    return grid_optimizer(
        p,
        features,
        targets,
        unique,
        seed,
        batch=batch,
        cells_per_image=counts,
        chunk_cells=chunk_cells,
        **shared,
    )


def _shard_results(opt, tiles, subjects, all_targets, references, cells, groups, p: RenderParams):
    """Each photo's part of the shard file: its cells' ``tiles`` (8-bit, as the grid shows them),
    their objective, the figures of the tiles and of the photo's own patches against the
    targets, and for a method with groups its group images as phase one left them (``groups``:
    each photo's ``AdamState``)."""
    import tensorflow as tf

    tiles = to_uint8(tiles)  # kept as the grid shows them: a quarter of the bytes
    objective, tile_means = opt.final_figures(tiles / np.float32(255))  # the tiles as kept
    compiled = tf.function(opt.features, reduce_retracing=True)
    patch_means = [  # a photo at a time: its bits do not depend on its batch
        None if r is None else metrics.layer_means(compiled, r(p.tile_size)[c])
        for r, c in zip(references, cells)
    ]
    ends = np.cumsum([len(c) for c in cells])[:-1]
    per_photo = zip(*(np.split(a, ends) for a in (tiles, objective, tile_means)), patch_means)
    results = {}
    for subject, c, t, (tile, obj, *means) in zip(subjects, cells, all_targets, per_photo):
        arrays = {"cells": c, "cells_total": len(t), "tiles": tile, "objective": obj}
        for suffix, m in zip(("", "_photo"), means):
            figures = metrics.no_figures(len(c)) if m is None else metrics.target_figures(m, t, c)
            for name, values in figures.items():
                arrays[name + suffix] = values
        if p.method_spec.has_groups:  # frozen: as phase one left them
            group_params = groups[subject.name].param
            arrays["group_images"] = to_uint8(spectra_to_rgb(group_params, p.tile_size))
        results[subject.name] = arrays
    return results
