"""Lucid's standard transforms as one batched affine warp.

Lucid applies pad(12, 0.5), jitter(8), random scale (0.90..1.10), random rotation
(-10..10°, 0 weighted ×5 more) and jitter(4) in sequence. The composition of these is an
affine map, so one bilinear warp (``ImageProjectiveTransformV3``) applies all of them, with a
random draw for each tile (``standard``) or, as Lucid draws them, one for a step's whole batch
(``standard_batch``: neighbouring tiles jittered alike); the output keeps the size Lucid gets at
scale 1 (tile + 12) so shapes stay fixed and the step function never retraces.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

PAD, JITTER1, JITTER2 = 12, 8, 4
SCALES = np.asarray([1 + (i - 5) / 50.0 for i in range(11)], np.float32)
ANGLES = np.asarray(list(range(-10, 11)) + 5 * [0], np.float32)
FILL = 0.5


def output_size(size: int) -> int:
    """Side of a transformed tile."""
    return size + 2 * PAD - JITTER1 - JITTER2


def random_affine(draw, n: int, size: int) -> tf.Tensor:
    """[n, 8] projective transforms mapping output pixels to tile pixels.

    ``draw(kind, high)`` gives n random integers in [0, high), a new draw for each ``kind``
    (0..5): ``generator_draw`` wraps a ``tf.random.Generator``.
    """
    jit1 = tf.cast(tf.stack([draw(0, JITTER1 + 1), draw(1, JITTER1 + 1)], 1), tf.float32)
    jit2 = tf.cast(tf.stack([draw(2, JITTER2 + 1), draw(3, JITTER2 + 1)], 1), tf.float32)
    scale = tf.gather(tf.constant(SCALES), draw(4, len(SCALES)))
    theta = tf.gather(tf.constant(ANGLES), draw(5, len(ANGLES))) * (math.pi / 180.0)
    mid = (size + 2 * PAD - JITTER1 - 1) / 2.0  # centre of the jittered, padded tile
    # Output point p -> after jitter 2: q = p + jit2; undo rotation and scale about mid;
    # then undo jitter 1 and padding: tile point = R(-θ) (q - mid) / s + mid + jit1 - PAD.
    cos, sin = tf.cos(theta) / scale, tf.sin(theta) / scale
    off_x = jit2[:, 0] - mid
    off_y = jit2[:, 1] - mid
    tx = cos * off_x + sin * off_y + mid + jit1[:, 0] - PAD
    ty = -sin * off_x + cos * off_y + mid + jit1[:, 1] - PAD
    zeros = tf.zeros_like(cos)
    return tf.stack([cos, sin, tx, -sin, cos, ty, zeros, zeros], axis=1)


def generator_draw(rng: tf.random.Generator, n):
    """``random_affine``'s ``draw`` from a ``tf.random.Generator``."""
    return lambda kind, high: rng.uniform([n], 0, high, dtype=tf.int32)


def apply_affine(images: tf.Tensor, transforms: tf.Tensor, out_size: int) -> tf.Tensor:
    """Warp [n, h, w, 3] images with [n, 8] transforms; outside pixels are grey (0.5)."""
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.constant([out_size, out_size], tf.int32),
        fill_value=tf.constant(FILL, images.dtype),
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )


def center_pad(images: tf.Tensor) -> tf.Tensor:
    """The identity counterpart of the standard transforms (same output size, no randomness)."""
    size = images.shape[1]
    pad = (output_size(size) - size) // 2
    return tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], constant_values=FILL)


class Standard:
    """Lucid's standard transforms, each tile its own draw: a ``TileOptimizer``'s ``transforms``.

    ``draw`` gives n random warps; ``apply`` warps tiles with them, or with ``None`` shows them
    untransformed at the same size (the view the final figures use).
    """

    def draw(self, rng: tf.random.Generator, n: int, size: int) -> tf.Tensor:
        return random_affine(generator_draw(rng, n), n, size)

    def apply(self, images: tf.Tensor, warps: tf.Tensor | None) -> tf.Tensor:
        if warps is None:
            return center_pad(images)
        return apply_affine(images, warps, output_size(images.shape[1]))


class PerBatch(Standard):
    """Lucid's standard transforms as Lucid draws them: one draw for all ``n`` tiles."""

    def draw(self, rng: tf.random.Generator, n: int, size: int) -> tf.Tensor:
        return tf.tile(random_affine(generator_draw(rng, 1), 1, size), [n, 1])


class Untransformed(Standard):
    """No random transforms: every step sees the tiles as the final figures do."""

    def draw(self, rng, n, size):
        return None


#: config render.transforms
TRANSFORMS = {"standard": Standard(), "standard_batch": PerBatch(), "none": Untransformed()}
