"""The compiled optimization loop: many tiles, each pulled toward its own target vector."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from actgrid.optvis import objectives, param, transform
from actgrid.optvis.adam import RowAdam

UNIQUE_WEIGHT, GROUP_WEIGHT = 0.7, 0.5


class TileOptimizer(tf.Module):
    """Optimizes one tile per target vector with random batches of cells.

    Tiles are Fourier-parameterized. With ``group_weights`` and ``groups`` given, each tile is
    ``0.7·unique + 0.5·Σ_j weight_j · group_j`` (Lucid's shared parameterization), and the
    group images are optimized too when ``train_groups`` is set; without them each tile is
    its own independent image (the naive method).

    ``chunks`` > 1 computes each step's batch in that many parts (the gradients add up to the
    same step, with the same random draws): less memory for the same result. ``jit_compile``
    compiles each step with XLA.
    """

    def __init__(
        self,
        features,
        targets,
        unique: RowAdam,
        size: int,
        batch_size: int,
        seed: int,
        transforms: bool = True,
        group_weights=None,
        groups: RowAdam | None = None,
        train_groups: bool = False,
        cossim_pow: float = 0.0,
        chunks: int = 1,
        jit_compile: bool = False,
    ):
        super().__init__()
        self.features = features
        self.targets = tf.constant(targets, tf.float32)
        # Adam's steps depend on the loss's scale only through its epsilon (1e-8), but where
        # gradients are near it, they do: layers whose activations are tiny (random weights give
        # ~1e-7) would stall. Their loss is lifted to the scale of unit-norm targets; layers of
        # trained networks (norms of 10 and more) keep Lucid's loss exactly.
        mean_sq_norm = float(np.mean(np.sum(np.square(targets), -1)))
        self.loss_scale = 1.0 / max(min(mean_sq_norm, 1.0), 1e-30)
        self.n = int(targets.shape[0])
        self.unique, self.groups = unique, groups
        self.size, self.batch_size = size, min(batch_size, self.n)
        self.transforms = transforms
        self.cossim_pow = cossim_pow
        self.train_groups = train_groups and groups is not None
        self.shared = groups is not None
        edges = np.linspace(0, self.batch_size, min(chunks, self.batch_size) + 1).round()
        self.chunk_bounds = list(zip(edges[:-1].astype(int), edges[1:].astype(int)))
        self._compiled_step = (
            tf.function(self._step, jit_compile=True) if jit_compile else self._step
        )
        if self.shared:
            self.group_weights = tf.constant(group_weights, tf.float32)
        self.rng = tf.random.Generator.from_seed(seed)

    def _spectra(self, idx, unique_rows, group_params):
        if not self.shared:
            return unique_rows
        weights = tf.gather(self.group_weights, idx)
        flat = tf.reshape(group_params, [group_params.shape[0], -1])  # a plain matmul: 3x
        mixed = tf.reshape(weights @ flat, tf.shape(unique_rows))  # faster than an einsum
        return UNIQUE_WEIGHT * unique_rows + GROUP_WEIGHT * mixed

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
        if warps is not None:
            images = transform.apply_affine(images, warps, transform.output_size(self.size))
        else:
            images = transform.center_pad(images)
        acts = self.features(images)
        return objectives.direction(acts, tf.gather(self.targets, idx), self.cossim_pow)

    def _chunk(self, idx, warps, group_params):
        """Objectives of cells ``idx``; updates their rows; returns the groups' gradient too."""
        rows = tf.gather(self.unique.param, idx)
        with tf.GradientTape() as tape:
            tape.watch(rows)
            if self.train_groups:
                tape.watch(group_params)
            obj = self._objective(idx, self.images(idx, rows, group_params), warps)
            loss = -tf.reduce_sum(obj) * self.loss_scale
        if self.train_groups:
            grad_rows, grad_groups = tape.gradient(loss, [rows, group_params])
        else:
            grad_rows, grad_groups = tape.gradient(loss, rows), None
        self.unique.descend_rows(idx, rows, grad_rows)
        return obj, grad_groups

    def _step(self):
        idx = tf.math.top_k(self.rng.uniform([self.n]), self.batch_size).indices
        warps = None
        if self.transforms:
            warps = transform.random_affine(self.rng, self.batch_size, self.size)
        group_params = self.groups.param if self.shared else None
        objs, grad_groups = [], 0.0
        for lo, hi in self.chunk_bounds:  # unrolled when traced: a fixed, small number
            obj, grad = self._chunk(
                idx[lo:hi], None if warps is None else warps[lo:hi], group_params
            )
            objs.append(obj)
            if self.train_groups:
                grad_groups += grad
        if self.train_groups:
            self.groups.descend_all(grad_groups)
        return tf.reduce_mean(tf.concat(objs, 0))

    @tf.function(reduce_retracing=True)
    def run(self, n_steps: tf.Tensor) -> tf.Tensor:
        """Run ``n_steps`` optimization steps; returns each step's mean objective."""
        trace = tf.TensorArray(tf.float32, size=n_steps)
        for s in tf.range(n_steps):
            trace = trace.write(s, self._compiled_step())
        return trace.stack()

    def all_images(self, chunk: int = 64) -> np.ndarray:
        """Every cell's tile, [n, size, size, 3] float32 in (0, 1)."""
        return np.concatenate(
            [
                self.images(tf.range(i, min(i + chunk, self.n))).numpy()
                for i in range(0, self.n, chunk)
            ]
        )

    def final_objective(self, chunk: int = 64) -> np.ndarray:
        """Each cell's objective on its untransformed tile."""
        out = []
        for i in range(0, self.n, chunk):
            idx = tf.range(i, min(i + chunk, self.n))
            out.append(self._objective(idx, self.images(idx)).numpy())
        return np.concatenate(out)
