"""The compiled optimization loop: many tiles, each pulled toward its own target vector.

Composed as Lucid composes a render: an ``objective``, a parameterization (``image_f`` of
``param.grid_tiles``), ``transforms`` and the optimizer (``RowAdam``), with a ``CellSampler``
choosing each step's cells; each is an argument, and the step stays one fused computation over
every sampled cell. ``actgrid.render.grid_optimizer`` builds one as a grid's parameters set it.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from actgrid.metrics import in_even_chunks
from actgrid.optvis.adam import RowAdam
from actgrid.optvis.sampling import CellSampler


class TileOptimizer(tf.Module):
    """Optimizes one tile per target vector with random batches of cells, for one or more photos.

    ``image_f(idx, unique_rows, group_params)``: the tiles of cells ``idx`` from their rows of
    ``unique.param`` and the group images ``groups.param`` (``param.grid_tiles``); the group
    images step too when ``train_groups`` is set. ``objective(acts, targets)``: each tile's
    objective from its layer activations [n, h, w, c] and its target [n, c] (maximized).
    ``transforms``: what the network sees of a tile (``transform.TRANSFORMS``). ``sampler``:
    each step's cells, a sample per photo (its ``parts``: each photo's rows), and its random
    transforms; each photo's loss has its own scale.

    ``unique`` (and ``groups``) is per-cell or dense Adam. ``chunk_cells``: the most cells a
    step sends through the network at once (default: all); a larger batch is computed in even
    parts, one after another (one Adam step after the last, with the same random draws): the
    memory of one part for the same result.
    """

    def __init__(
        self,
        features,
        targets,
        image_f,
        unique: RowAdam,
        sampler: CellSampler,
        size: int,
        objective,
        transforms,
        groups: RowAdam | None = None,
        train_groups: bool = False,
        chunk_cells: int | None = None,
    ):
        super().__init__()
        self.features, self.image_f, self.size = features, image_f, size
        self.targets = tf.constant(targets, tf.float32)
        self.n = int(targets.shape[0])
        self.sampler, self.parts = sampler, sampler.parts
        if sum(c for _, c, _ in self.parts) != self.n:
            raise ValueError(f"the sampler's photos do not add up to {self.n} targets")
        # Adam's steps depend on the loss's scale only through its epsilon (1e-8), but where
        # gradients are near it, they do: layers whose activations are tiny (random weights give
        # ~1e-7) would stall. Their loss is lifted to the scale of unit-norm targets; layers of
        # trained networks (norms of 10 and more) keep Lucid's loss exactly. One scale a photo.
        scales = [
            1.0 / max(min(float(np.mean(np.sum(np.square(targets[o : o + c]), -1))), 1.0), 1e-30)
            for o, c, _ in self.parts
        ]
        self.loss_scale = tf.constant(np.repeat(scales, [c for _, c, _ in self.parts]), tf.float32)
        self.unique, self.groups = unique, groups
        self.objective, self.transforms = objective, transforms
        self.train_groups = train_groups and groups is not None
        self.cells_per_step = sampler.cells_per_step
        self.chunks = 1 if chunk_cells is None else -(-self.cells_per_step // chunk_cells)

    def images(self, idx, unique_rows=None, group_params=None):
        """RGB tiles in (0, 1) for cells ``idx``."""
        if unique_rows is None:
            unique_rows = tf.gather(self.unique.param, idx)
        if group_params is None and self.groups is not None:
            group_params = self.groups.param
        return self.image_f(idx, unique_rows, group_params)

    def _objective(self, idx, images, warps=None):
        """Each tile's objective, seen through its random transform (``warps``) or none."""
        acts = self.features(self.transforms.apply(images, warps))
        return self.objective(acts, tf.gather(self.targets, idx))

    def _chunk(self, idx, warps, group_params, weight=None):
        """Objectives of cells ``idx``, and the gradients of their rows and of the groups;
        ``weight``: each cell's share of the loss (default 1; 0 for a chunk's padding)."""
        rows = tf.gather(self.unique.param, idx)
        scale = tf.gather(self.loss_scale, idx)
        if weight is not None:
            scale *= weight
        with tf.GradientTape() as tape:
            tape.watch(rows)
            if self.train_groups:
                tape.watch(group_params)
            obj = self._objective(idx, self.images(idx, rows, group_params), warps)
            loss = -tf.reduce_sum(obj * scale)
        if self.train_groups:
            grad_rows, grad_groups = tape.gradient(loss, [rows, group_params])
        else:
            grad_rows, grad_groups = tape.gradient(loss, rows), tf.zeros([])
        return obj, grad_rows, grad_groups

    def _in_sequence(self, idx, warps, group_params):
        """``_chunk`` over the step's cells in ``chunks`` even parts, one after another (a
        loop traced once, its parts never side by side: memory is one part's), the last one
        padded with weightless copies of the step's last cell; each cell's objective and row
        gradient, and the groups' gradient summed over the parts."""
        n, count = self.cells_per_step, self.chunks
        size = -(-n // count)
        pad = size * count - n
        idx = tf.concat([idx, tf.repeat(idx[-1:], pad)], 0)
        weight = tf.constant(np.arange(size * count) < n, tf.float32)
        if warps is not None:
            warps = tf.concat([warps, tf.repeat(warps[-1:], pad, axis=0)], 0)

        def part(i, objs, grads, grad_groups):
            lo = i * size
            obj, grad, grad_group = self._chunk(
                idx[lo : lo + size],
                None if warps is None else warps[lo : lo + size],
                group_params,
                weight[lo : lo + size],
            )
            return i + 1, objs.write(i, obj), grads.write(i, grad), grad_groups + grad_group

        no_groups = tf.zeros([]) if not self.train_groups else tf.zeros_like(group_params)
        _, objs, grads, grad_groups = tf.while_loop(
            lambda i, *_: i < count,
            part,
            (
                tf.constant(0),
                tf.TensorArray(tf.float32, size=count),
                tf.TensorArray(tf.float32, size=count),
                no_groups,
            ),
            parallel_iterations=1,
        )
        return objs.concat()[:n], grads.concat()[:n], grad_groups

    def _step(self):
        idx, warps = self.sampler.draw(self.transforms, self.size)
        group_params = None if self.groups is None else self.groups.param
        if self.chunks == 1:
            obj, grad, grad_groups = self._chunk(idx, warps, group_params)
        else:
            obj, grad, grad_groups = self._in_sequence(idx, warps, group_params)
        self.unique.descend_rows(idx, tf.gather(self.unique.param, idx), grad)
        if self.train_groups:
            self.groups.descend_all(grad_groups)
        return tf.reduce_mean(obj)

    @tf.function(reduce_retracing=True, autograph=False)  # no control flow to convert: a
    def run(self, n_steps: tf.Tensor) -> tf.Tensor:  # shorter trace (AutoGraph took seconds)
        """Run ``n_steps`` optimization steps; returns each step's mean objective."""

        def step(s, trace):
            return s + 1, trace.write(s, self._step())

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
