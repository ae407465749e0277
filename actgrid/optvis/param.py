"""Image parameterizations: Lucid's Fourier-space image and decorrelated colour.

TensorFlow is imported by the functions that use it, so the NumPy parts (initial spectra, the
finished tiles' pictures in ``spectra_to_rgb``) load without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import tensorflow as tf

# Square root of the colour correlation of ImageNet, as used by Lucid.
COLOR_CORRELATION_SVD_SQRT = np.asarray(
    [[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype=np.float32
)
COLOR_DECORRELATION = COLOR_CORRELATION_SVD_SQRT / np.max(
    np.linalg.norm(COLOR_CORRELATION_SVD_SQRT, axis=0)
)
INIT_SD = 0.01
SHARED_MIX = (0.7, 0.5)  # tile = 0.7·unique + 0.5·Σ weight_j·group_j (Lucid's shared grid)


def rfft2d_freqs(h: int, w: int) -> np.ndarray:
    """Frequency magnitude of each bin of a real 2-D FFT of an h×w image."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[: w // 2 + 1 + (w % 2)]
    return np.sqrt(fx * fx + fy * fy)


def spectrum_shape(size: int) -> tuple[int, int, int, int]:
    """Shape of one tile's spectrum parameters: (re/im, channel, fy, fx)."""
    fh, fw = rfft2d_freqs(size, size).shape
    return (2, 3, fh, fw)


def spectrum_scale(size: int, decay_power: float = 1.0) -> np.ndarray:
    """Per-frequency scale: 1/max(freq, 1/size)^decay · sqrt(size²), as Lucid's fft_image."""
    freqs = rfft2d_freqs(size, size)
    scale = 1.0 / np.maximum(freqs, 1.0 / size) ** decay_power
    return (scale * size).astype(np.float32)


def init_spectra(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Random spectra for n tiles, standard deviation 0.01 as Lucid initialises them."""
    return (INIT_SD * rng.standard_normal((n, *spectrum_shape(size)))).astype(np.float32)


def spectra_to_images(spectra: tf.Tensor, size: int) -> tf.Tensor:
    """[n, 2, 3, fh, fw] spectra -> [n, size, size, 3] images in the decorrelated space."""
    import tensorflow as tf

    scale = tf.constant(spectrum_scale(size))
    real, imag = tf.unstack(spectra, axis=1)  # slicing instead: a slow StridedSliceGrad
    spectrum = tf.complex(real * scale, imag * scale)
    img = tf.signal.irfft2d(spectrum, fft_length=[size, _fft_width(size)])[..., :size]
    return tf.transpose(img, [0, 2, 3, 1]) / 4.0


def _fft_width(size: int) -> int:
    """Width of the inverse FFT, cropped to ``size`` after: Lucid's (size + 1 for odd sizes,
    which keeps the last column of the spectrum)."""
    return 2 * (rfft2d_freqs(size, size).shape[1] - 1)


def decorrelate_colors(images: tf.Tensor) -> tf.Tensor:
    """Map decorrelated colour coordinates to RGB (last axis).

    One [pixels, 3] x [3, 3] matmul: ``tf.linalg.matvec`` broadcasts a tiny matmul per pixel,
    ten times slower.
    """
    import tensorflow as tf

    flat = tf.reshape(images, [-1, 3]) @ tf.constant(COLOR_DECORRELATION.T)
    return tf.reshape(flat, tf.shape(images))


def to_valid_rgb(images: tf.Tensor) -> tf.Tensor:
    """Lucid's to_valid_rgb(decorrelate=True, sigmoid=True): RGB in (0, 1)."""
    import tensorflow as tf

    return tf.sigmoid(decorrelate_colors(images))


def spectra_to_rgb(spectra: np.ndarray, size: int) -> np.ndarray:
    """NumPy twin of ``to_valid_rgb(spectra_to_images(spectra, size))``, for finished tiles."""
    spectrum = (spectra[:, 0] + 1j * spectra[:, 1]) * spectrum_scale(size)
    images = np.fft.irfft2(spectrum, s=(size, _fft_width(size)))[..., :size]
    images = images.transpose(0, 2, 3, 1) / 4.0
    return 1.0 / (1.0 + np.exp(-(images @ COLOR_DECORRELATION.T)))


def grid_tiles(unique: np.ndarray, size: int, groups=None, group_weights=None, mix=SHARED_MIX):
    """A grid's tiles as Lucid parameterizes them (Lucent's ``params, image_f = param_f()``):
    the variables, ``(unique, groups)``, each cell's Fourier spectrum [n, *spectrum_shape] and
    for a shared grid the group images' (None without), and the image function
    ``image_f(idx, unique_rows, group_params)``: RGB tiles in (0, 1) of cells ``idx`` from
    their spectra ``unique_rows`` and the groups' ``group_params``. With groups, a tile is
    ``mix[0]·unique + mix[1]·Σ_j weight_j·group_j`` (``group_weights`` [n, groups], Lucid's
    shared grid); without, each tile is its own image (the naive grid)."""
    import tensorflow as tf

    unique_var = tf.Variable(unique, name="unique")
    if groups is None:

        def image_f(idx, unique_rows, group_params=None):
            return to_valid_rgb(spectra_to_images(unique_rows, size))

        return (unique_var, None), image_f
    groups_var = tf.Variable(groups, name="groups")
    weights_of_cells = tf.constant(group_weights, tf.float32)

    def image_f(idx, unique_rows, group_params):
        weights = tf.gather(weights_of_cells, idx)
        flat = tf.reshape(group_params, [group_params.shape[0], -1])  # a plain matmul: 3x
        mixed = tf.reshape(weights @ flat, tf.shape(unique_rows))  # faster than an einsum
        return to_valid_rgb(spectra_to_images(mix[0] * unique_rows + mix[1] * mixed, size))

    return (unique_var, groups_var), image_f
