"""The baseline a user would write: a plain eager TF2 loop over random batches of cells.

Same model (its Keras layers, as a user would call them), layer, tile size, cells, batch,
Fourier parameterization and objective as actgrid;
Lucid's transforms written with Keras preprocessing layers (one draw per batch); Keras's Adam
over the whole parameter tensor; no tf.function.
"""

from __future__ import annotations

import numpy as np

from workload import BATCH, TILE


def eager_loop(features, cells: np.ndarray, seed: int = 0):
    """A ``run(steps)`` callable doing ``steps`` eager optimization steps."""
    import keras
    import tensorflow as tf

    from actgrid.optvis import objectives, param

    rng = np.random.default_rng(seed)
    spectra = tf.Variable(param.init_spectra(rng, len(cells), TILE))
    targets = tf.constant(cells)
    adam = keras.optimizers.Adam(0.05)
    zoom = keras.layers.RandomZoom((-0.1, 0.1), fill_mode="constant", fill_value=0.5)
    rotate = keras.layers.RandomRotation(10 / 360, fill_mode="constant", fill_value=0.5)

    def step():
        idx = rng.choice(len(cells), BATCH, replace=False)
        with tf.GradientTape() as tape:
            images = param.to_valid_rgb(param.spectra_to_images(tf.gather(spectra, idx), TILE))
            images = tf.pad(images, [[0, 0], [12, 12], [12, 12], [0, 0]], constant_values=0.5)
            images = tf.image.random_crop(images, [BATCH, TILE + 16, TILE + 16, 3])
            images = rotate(zoom(images, training=True), training=True)
            images = tf.image.random_crop(images, [BATCH, TILE + 12, TILE + 12, 3])
            acts = features(images)
            loss = -tf.reduce_sum(objectives.direction(acts, tf.gather(targets, idx), 1.0))
        adam.apply_gradients([(tape.gradient(loss, spectra), spectra)])
        return -loss / BATCH

    def run(steps):
        return [step() for _ in range(int(steps))]

    return run
