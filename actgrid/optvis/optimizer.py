"""The compiled optimization loop: many tiles, each pulled toward its own target vector.

Composed as Lucid composes a render: an ``objective``, a parameterization (Fourier tiles,
optionally mixed with shared group images by ``mix``) and ``transforms``; each is an argument,
and the step stays one fused computation over every sampled cell.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from actgrid.metrics import in_even_chunks
from actgrid.optvis import objectives, param, transform
from actgrid.optvis.adam import RowAdam


class TileOptimizer(tf.Module):
    """Optimizes one tile per target vector with random batches of cells, for one or more photos.

    Tiles are Fourier-parameterized. With ``group_weights`` and ``groups`` given, each tile is
    ``mix[0]·unique + mix[1]·Σ_j weight_j · group_j`` (Lucid's shared parameterization,
    ``param.SHARED_MIX``), and the group images are optimized too when ``train_groups`` is set;
    without them each tile is its own independent image (the naive method).

    ``objective(acts, targets)``: each tile's objective from its layer activations [n, h, w, c]
    and its target [n, c] (maximized; default ``objectives.direction``). ``transforms``: what
    the network sees of a tile, ``transform.Standard()`` (Lucid's standard transforms, each
    tile its own draw) or another object with its ``draw`` and ``apply``.

    ``cells_per_image`` splits the targets into photos (consecutive rows; default: one photo).
    Each photo samples its own ``batch_size`` cells a step (a number, or one per photo) and its
    loss has its own scale. The random draws are common to all photos: each step draws one key
    per cell position and one transform per batch place, and every photo takes the first of
    them that it has; so a photo's draws, and its tiles, are those it would get alone, whichever
    photos share its job, and the ops are the same for any number of photos. A shared grid's
    ``group_weights`` [cells, all photos' groups] are zero outside a cell's own photo's groups.

    ``unique`` (and ``groups``) is per-cell or dense Adam (``RowAdam``). ``chunks`` > 1
    computes each step's batch in that many parts (one Adam step after the last, with the same
    random draws): less memory for the same result. ``jit_compile``
    compiles each step with XLA.
    """

    def __init__(
        self,
        features,
        targets,
        unique: RowAdam,
        size: int,
        batch_size,
        seed: int,
        objective=objectives.direction,
        transforms=transform.TRANSFORMS["standard"],
        group_weights=None,
        groups: RowAdam | None = None,
        train_groups: bool = False,
        mix: tuple[float, float] = param.SHARED_MIX,
        chunks: int = 1,
        jit_compile: bool = False,
        cells_per_image=None,
    ):
        super().__init__()
        self.features = features
        self.targets = tf.constant(targets, tf.float32)
        self.n = int(targets.shape[0])
        counts = [self.n] if cells_per_image is None else [int(c) for c in cells_per_image]
        if sum(counts) != self.n:
            raise ValueError(f"cells_per_image {counts} do not add up to {self.n} targets")
        batch_sizes = [batch_size] * len(counts) if np.isscalar(batch_size) else batch_size
        batches = [min(int(b), c) for b, c in zip(batch_sizes, counts)]
        offsets = np.cumsum([0] + counts[:-1]).tolist()
        self.parts = list(zip(offsets, counts, batches))
        self.rng = tf.random.Generator.from_seed(seed)
        counts, batches = np.asarray(counts), np.asarray(batches)
        self.most_cells, self.most_batch = int(counts.max()), int(batches.max())
        self.padding = tf.constant(np.arange(self.most_cells)[None, :] >= counts[:, None])
        self.taken = tf.constant(np.arange(self.most_batch)[None, :] < batches[:, None])
        self.place = tf.constant(np.concatenate([np.arange(b) for b in batches]), tf.int32)
        self.place_offset = tf.constant(np.repeat(offsets, batches), tf.int32)
        # Adam's steps depend on the loss's scale only through its epsilon (1e-8), but where
        # gradients are near it, they do: layers whose activations are tiny (random weights give
        # ~1e-7) would stall. Their loss is lifted to the scale of unit-norm targets; layers of
        # trained networks (norms of 10 and more) keep Lucid's loss exactly. One scale a photo.
        scales = [
            1.0 / max(min(float(np.mean(np.sum(np.square(targets[o : o + c]), -1))), 1.0), 1e-30)
            for o, c, _ in self.parts
        ]
        self.loss_scale = tf.constant(np.repeat(scales, counts), tf.float32)
        self.unique, self.groups = unique, groups
        self.size, self.batch_size = size, sum(batches)
        self.objective, self.transforms, self.mix = objective, transforms, mix
        self.train_groups = train_groups and groups is not None
        self.shared = groups is not None
        edges = np.linspace(0, self.batch_size, min(chunks, self.batch_size) + 1).round()
        self.chunk_bounds = list(zip(edges[:-1].astype(int), edges[1:].astype(int)))
        self._compiled_step = (
            tf.function(self._step, jit_compile=True) if jit_compile else self._step
        )
        if self.shared:
            self.group_weights = tf.constant(group_weights, tf.float32)

    def _spectra(self, idx, unique_rows, group_params):
        if not self.shared:
            return unique_rows
        weights = tf.gather(self.group_weights, idx)
        flat = tf.reshape(group_params, [group_params.shape[0], -1])  # a plain matmul: 3x
        mixed = tf.reshape(weights @ flat, tf.shape(unique_rows))  # faster than an einsum
        return self.mix[0] * unique_rows + self.mix[1] * mixed

    def images(self, idx, unique_rows=None, group_params=None):
        """RGB tiles in (0, 1) for cells ``idx``."""
        if unique_rows is None:
            unique_rows = tf.gather(self.unique.param, idx)
        if group_params is None and self.shared:
            group_params = self.groups.param
        spectra = self._spectra(idx, unique_rows, group_params)
        return param.to_valid_rgb(param.spectra_to_images(spectra, self.size))

    def _objective(self, idx, images, warps=None):
        """Each tile's objective, seen through its random transform (``warps``) or none."""
        acts = self.features(self.transforms.apply(images, warps))
        return self.objective(acts, tf.gather(self.targets, idx))

    def _chunk(self, idx, warps, group_params):
        """Objectives of cells ``idx``, and the gradients of their rows and of the groups."""
        rows = tf.gather(self.unique.param, idx)
        with tf.GradientTape() as tape:
            tape.watch(rows)
            if self.train_groups:
                tape.watch(group_params)
            obj = self._objective(idx, self.images(idx, rows, group_params), warps)
            loss = -tf.reduce_sum(obj * tf.gather(self.loss_scale, idx))
        if self.train_groups:
            grad_rows, grad_groups = tape.gradient(loss, [rows, group_params])
        else:
            grad_rows, grad_groups = tape.gradient(loss, rows), None
        return obj, rows, grad_rows, grad_groups

    def _draw(self):
        """This step's cells (each photo's own sample) and their random transforms (or None)."""
        keys = tf.broadcast_to(self.rng.uniform([self.most_cells]), tf.shape(self.padding))
        keys = tf.where(self.padding, -1.0, keys)  # a photo's cells beyond its own: never taken
        top = tf.math.top_k(keys, self.most_batch).indices
        idx = self.place_offset + tf.boolean_mask(top, self.taken)
        warps = self.transforms.draw(self.rng, self.most_batch, self.size)
        return idx, None if warps is None else tf.gather(warps, self.place)

    def _step(self):
        idx, warps = self._draw()
        group_params = self.groups.param if self.shared else None
        objs, rows, grads, grad_groups = [], [], [], 0.0
        for lo, hi in self.chunk_bounds:  # unrolled when traced: a fixed, small number
            obj, chunk_rows, grad, grad_group = self._chunk(
                idx[lo:hi], None if warps is None else warps[lo:hi], group_params
            )
            objs.append(obj)
            rows.append(chunk_rows)
            grads.append(grad)
            if self.train_groups:
                grad_groups += grad_group
        self.unique.descend_rows(idx, tf.concat(rows, 0), tf.concat(grads, 0))
        if self.train_groups:
            self.groups.descend_all(grad_groups)
        return tf.reduce_mean(tf.concat(objs, 0))

    @tf.function(reduce_retracing=True, autograph=False)  # no control flow to convert: a
    def run(self, n_steps: tf.Tensor) -> tf.Tensor:  # shorter trace (AutoGraph took seconds)
        """Run ``n_steps`` optimization steps; returns each step's mean objective."""

        def step(s, trace):
            return s + 1, trace.write(s, self._compiled_step())

        trace = tf.TensorArray(tf.float32, size=n_steps)
        _, trace = tf.while_loop(lambda s, _: s < n_steps, step, (tf.constant(0), trace))
        return trace.stack()

    @tf.function(reduce_retracing=True, autograph=False)
    def _images(self, idx):
        return self.images(idx)

    @tf.function(reduce_retracing=True, autograph=False)
    def _seen(self, idx, tiles):
        """The objective of tiles ``tiles`` of cells ``idx`` (untransformed), and their layer
        activations averaged over positions: one forward pass for both."""
        acts = self.features(tiles)
        return self.objective(acts, tf.gather(self.targets, idx)), tf.reduce_mean(acts, [1, 2])

    def _in_chunks(self, compute, most: int, *per_cell: np.ndarray) -> list[np.ndarray]:
        """``compute(idx, *rows of per_cell)`` over every cell, a photo's cells at a time
        (``in_even_chunks`` of at most ``most``: one trace serves photos of a size, and a
        photo's calls, so its bits, are the same whichever photos share its job); each of its
        outputs, all cells'."""
        parts = []
        for offset, count, _ in self.parts:

            def call(rows):  # called at once, for this photo only
                idx = offset + rows
                return compute(tf.constant(idx, tf.int32), *(a[idx] for a in per_cell))

            parts.append(in_even_chunks(call, count, most))
        return [np.concatenate(outputs) for outputs in zip(*parts)]

    def all_images(self, most: int = 64) -> np.ndarray:
        """Every cell's tile, [n, size, size, 3] float32 in (0, 1)."""
        return self._in_chunks(self._images, most)[0]

    def final_figures(self, tiles: np.ndarray | None = None, most: int = 64):
        """Each cell's objective on its untransformed tile [n] and the tile's layer activation
        averaged over positions [n, C]; ``tiles``: the tiles to see (default: ``all_images``;
        the render jobs pass them as kept, in 8 bits)."""
        tiles = self.all_images(most) if tiles is None else tiles
        return tuple(self._in_chunks(self._seen, most, tiles.astype(np.float32)))
