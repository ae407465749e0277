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

import logging
import os
import time
from dataclasses import dataclass

import numpy as np

from actgrid import extract, factorize, h5io, metrics

SHARED_KIND, SHARD_KIND = "render_shared", "render_shard"
log = logging.getLogger("actgrid")


@dataclass
class Photo:
    """One photo of a batch: its name, its activations and (shared method) its NMF groups."""

    name: str
    activations: str
    groups: str | None = None


def photos(names: list[str], inputs) -> list[Photo]:
    """A batch's photos from a job's names and its inputs ``activations`` (and ``groups``)."""
    groups = inputs.get("groups") or [None] * len(names)
    return [Photo(*files) for files in zip(names, inputs["activations"], groups)]


def cell_slices(n_cells: int, n_shards: int) -> list[np.ndarray]:
    """Cell indices of each shard: contiguous, sizes differing by at most one."""
    if not 1 <= n_shards <= n_cells:
        raise ValueError(f"n_shards must be 1..{n_cells} (the grid's cells), got {n_shards}")
    return np.array_split(np.arange(n_cells), n_shards)


def phase_steps(p: dict) -> tuple[int, int]:
    """Steps of the shared job and of each shard."""
    if p["method"] != "shared":
        return 0, p["steps"]
    shared = int(round(p["steps"] * p["shared_fraction"]))
    return shared, p["steps"] - shared


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def _initial(n: int, size: int, seed: int, stream: int) -> np.ndarray:
    from actgrid.optvis.param import init_spectra

    return init_spectra(np.random.default_rng([seed, stream]), n, size)


def _load_batch(photos: list[Photo], model_cfg: dict):
    """Each photo's targets [N, C] and activations file contents, and the model cut at the layer.

    All photos must come from the same model, input size and layer.
    """
    loaded = [extract.load(photo.activations) for photo in photos]
    first = loaded[0][2]
    for photo, (_, _, attrs) in zip(photos, loaded):
        for key in ("model_id", "input_size", "layer"):
            if attrs[key] != first[key]:
                raise ValueError(
                    f"{photo.activations}: {key} {attrs[key]!r} differs from "
                    f"{photos[0].activations}'s {first[key]!r}; a batch renders one layer"
                )
    targets = [acts.reshape(-1, acts.shape[-1]) for acts, _, _ in loaded]
    return targets, loaded, extract.features_for(first, model_cfg)


def _adam(p: dict, *state):
    """Adam for rows of images with this grid's learning rate and kind (dense or per cell)."""
    from actgrid.optvis.adam import RowAdam

    return RowAdam(*state, lr=p["lr"], dense=p["adam"] == "dense")


def _block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    """[Σ rows, Σ cols] with each block on the diagonal, zeros elsewhere."""
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)), np.float32)
    r = c = 0
    for b in blocks:
        out[r : r + b.shape[0], c : c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def optimize(opt, steps: int, label: str, steps_per_call: int = 16) -> np.ndarray:
    """Run ``steps`` steps, a compiled call at a time, logging progress; returns the trace.

    A NaN or Inf objective stops the job with an error before anything is written.
    """
    import tensorflow as tf

    log.info(
        f"{label}: {len(opt.parts)} photo(s), {opt.n} cells, batch {opt.batch_size} "
        f"computed in {len(opt.chunk_bounds)} chunk(s)"
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


def _device_attrs() -> dict:
    """Where this job computed: recorded in its output."""
    return {"cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", "(unset)")}


def _shared_phase(photos: list[Photo], targets, features, p: dict, chunks: int):
    """Phase one: every photo's group images and unique images, jointly.

    Returns the unique and group images' optimizers (parameters and Adam state), their rows
    per photo, and the trace.
    """
    from actgrid.optvis.render import TileOptimizer

    weights = [factorize.load_weights(photo.groups) for photo in photos]
    size = p["size"]
    unique = _adam(p, np.concatenate([_initial(len(t), size, p["seed"], 0) for t in targets]))
    groups = _adam(p, np.concatenate([_initial(w.shape[1], size, p["seed"], 1) for w in weights]))
    opt = TileOptimizer(
        features,
        np.concatenate(targets),
        unique,
        size,
        p["batch"],
        _seed(p["seed"], 0),
        p["transforms"],
        _block_diagonal(weights),
        groups,
        train_groups=True,
        cossim_pow=p["cossim_pow"],
        chunks=chunks,
        cells_per_image=[len(t) for t in targets],
    )
    trace = optimize(opt, phase_steps(p)[0], "shared")
    cell_ends = np.cumsum([len(t) for t in targets])[:-1]
    group_ends = np.cumsum([w.shape[1] for w in weights])[:-1]
    state = {
        "unique": {k: np.split(v, cell_ends) for k, v in unique.state().items()},
        "groups": {k: np.split(v, group_ends) for k, v in groups.state().items()},
    }
    return state, trace


def run_shared(photos: list[Photo], out, p: dict, model_cfg: dict, chunks: int = 1) -> None:
    """The shared job (with more than one shard): phase one for every photo of a batch."""
    targets, _, features = _load_batch(photos, model_cfg)
    state, trace = _shared_phase(photos, targets, features, p, chunks)
    with h5io.atomic_h5(out, SHARED_KIND) as f:
        for name, arrays in state.items():
            for key, parts in arrays.items():
                for photo, part in zip(photos, parts):
                    f.create_dataset(f"images/{photo.name}/{name}/{key}", data=part)
        f.create_dataset("trace", data=trace)
        f.attrs.update(params=repr(p), images=[photo.name for photo in photos], **_device_attrs())


def _read_shared(shared_path, photos: list[Photo]) -> dict:
    """Phase one's state of every photo, from the shared job's file."""
    with h5io.open_h5(shared_path, SHARED_KIND) as f:
        return {
            name: {
                key: [h5io.read(f, f"images/{photo.name}/{name}/{key}") for photo in photos]
                for key in ("param", "m", "v", "t")
            }
            for name in ("unique", "groups")
        }


def run_shard(
    photos: list[Photo],
    shared_path,
    out,
    p: dict,
    shard: int,
    n_shards: int,
    model_cfg: dict,
    chunks: int = 1,
):
    """One shard: continue (shared) or render from scratch (naive) its part of every photo.

    For the shared method without ``shared_path`` (one shard), the job runs phase one itself
    first: the same steps as a shared job, without a process start and a file in between.
    """
    from actgrid.optvis.render import TileOptimizer

    all_targets, loaded, features = _load_batch(photos, model_cfg)
    size = p["size"]
    cells = [cell_slices(len(t), n_shards)[shard] for t in all_targets]
    targets = np.concatenate([t[c] for t, c in zip(all_targets, cells)])
    weights = groups = group_params = None
    if p["method"] == "shared":
        if shared_path is None:
            state, _ = _shared_phase(photos, all_targets, features, p, chunks)
        else:
            state = _read_shared(shared_path, photos)
        weights = _block_diagonal(
            [factorize.load_weights(photo.groups)[c] for photo, c in zip(photos, cells)]
        )
        group_params = state["groups"]["param"]
        groups = _adam(p, np.concatenate(group_params))
        unique = _adam(
            p,
            *(
                np.concatenate([part[c] for part, c in zip(state["unique"][k], cells)])
                for k in ("param", "m", "v", "t")
            ),
        )
    else:
        unique = _adam(
            p,
            np.concatenate(
                [_initial(len(t), size, p["seed"], 0)[c] for t, c in zip(all_targets, cells)]
            ),
        )
    if p["method"] == "naive":  # every cell, every step
        batches = [len(c) for c in cells]
    else:
        batches = [
            max(1, int(round(p["batch"] * len(c) / len(t)))) for t, c in zip(all_targets, cells)
        ]
    opt = TileOptimizer(
        features,
        targets,
        unique,
        size,
        batches,
        _seed(p["seed"], n_shards, shard + 1),
        p["transforms"],
        weights,
        groups,
        train_groups=False,
        cossim_pow=p["cossim_pow"],
        chunks=chunks,
        cells_per_image=[len(c) for c in cells],
    )
    label = f"shard {shard + 1}/{n_shards}"
    trace = optimize(opt, phase_steps(p)[1], label)
    tiles = opt.all_images()
    objective = opt.final_objective()
    if not np.all(np.isfinite(tiles)):
        raise FloatingPointError(f"{label}: tiles contain NaN/Inf")
    ends = np.cumsum([len(c) for c in cells])[:-1]
    per_photo = zip(*(np.split(a, ends) for a in (tiles, objective)))
    with h5io.atomic_h5(out, SHARD_KIND) as f:
        for j, (photo, c, t, (acts, image, _), (tile, obj)) in enumerate(
            zip(photos, cells, all_targets, loaded, per_photo)
        ):
            patches = metrics.photo_patches(image, acts.shape[:2], size)[c]
            g = f.create_group(f"images/{photo.name}")
            g.create_dataset("cells", data=c)
            g.create_dataset("tiles", data=tile, compression="lzf")
            g.create_dataset("objective", data=obj)
            for suffix, images in (("", tile), ("_photo", patches)):
                for name, values in metrics.target_figures(features, images, t, c).items():
                    g.create_dataset(name + suffix, data=values)
            if group_params is not None:
                g.create_dataset("groups", data=group_params[j])  # frozen: as phase one left them
            g.attrs["cells_total"] = len(t)
        f.create_dataset("trace", data=trace)
        f.attrs.update(
            params=repr(p),
            shard=shard,
            n_shards=n_shards,
            images=[photo.name for photo in photos],
            **_device_attrs(),
        )


SHARD_FIGURES = (
    "tiles",
    "objective",
    "faithfulness",
    "faithfulness_photo",
    "retrieval",
    "retrieval_photo",
)


def load_shards(paths, image: str) -> dict[str, np.ndarray]:
    """One photo's cells from all shards of its batch, in cell order.

    Returns ``tiles`` [N, W, W, 3], ``objective``, ``faithfulness``, ``retrieval`` (and the
    last two for the photo's patches, ``*_photo``) [N] and ``shard`` [N] (the shard each cell was rendered in). Every cell must be in exactly one
    shard.
    """
    parts = []
    for path in paths:
        with h5io.open_h5(path, SHARD_KIND) as f:
            if f"images/{image}" not in f:
                raise h5io.H5Error(f"{path}: holds no photo {image!r}")
            g = f[f"images/{image}"]
            total = int(g.attrs["cells_total"])
            parts.append(
                {k: h5io.read(f, f"images/{image}/{k}") for k in ("cells", *SHARD_FIGURES)}
            )
    cells = np.concatenate([part["cells"] for part in parts])
    counts = np.bincount(cells, minlength=total)
    if counts.min() < 1 or counts.max() > 1:
        missing = np.flatnonzero(counts == 0)
        raise ValueError(
            f"shards {list(map(str, paths))} miss cells {missing[:10].tolist()} of {total} "
            f"of photo {image!r}"
        )
    order = np.argsort(cells)
    out = {k: np.concatenate([part[k] for part in parts])[order] for k in SHARD_FIGURES}
    out["shard"] = np.concatenate([np.full(len(p["cells"]), i) for i, p in enumerate(parts)])[order]
    return out


def group_spectra(shard_path, image: str) -> np.ndarray:
    """One photo's NMF group images as phase one left them (Fourier parameters)."""
    with h5io.open_h5(shard_path, SHARD_KIND) as f:
        return h5io.read(f, f"images/{image}/groups")
