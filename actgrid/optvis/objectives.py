"""Objectives on a batch of layer activations."""

import tensorflow as tf


def direction(acts: tf.Tensor, targets: tf.Tensor, cossim_pow: float = 0.0) -> tf.Tensor:
    """Lucid's ``direction``: per tile, mean over positions of dot(activation, target).

    With ``cossim_pow`` > 0 each position's dot product is weighted by its cosine
    similarity to the target (floored at 0.1) to that power, as Lucid's option of the same
    name: it rewards pointing the right way over merely growing large.
    acts: [n, h, w, c]; targets: [n, c]. Returns [n].
    """
    dots = tf.einsum("nhwc,nc->nhw", acts, targets)
    if cossim_pow:
        eps = 1e-4  # as Lucid's _dot_cossim: dot / (eps + |a|) / (eps + |t|)
        cos = (
            dots / (eps + tf.norm(acts, axis=-1)) / (eps + tf.norm(targets, axis=-1)[:, None, None])
        )
        dots *= tf.maximum(cos, 0.1) ** cossim_pow
    return tf.reduce_mean(dots, axis=[1, 2])
