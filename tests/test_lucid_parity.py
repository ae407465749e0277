"""Regression tests against Lucid 0.3.8's definitions, each written out here independently."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from scipy import ndimage

from actgrid import images
from actgrid.optvis import objectives, param, transform


def lucid_fft_image(spectra: np.ndarray, size: int) -> np.ndarray:
    """Lucid's fft_image for a square: [n, 2, 3, fh, fw] parameters -> [n, size, size, 3]."""
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.fftfreq(size)[: size // 2 + (2 if size % 2 else 1)]
    scale = 1.0 / np.maximum(np.sqrt(fx * fx + fy * fy), 1.0 / size) * np.sqrt(size * size)
    spectrum = (spectra[:, 0] + 1j * spectra[:, 1]) * scale
    img = np.fft.irfft2(spectrum)[..., :size, :size]  # width 2·(fw-1), cropped as Lucid does
    return img.transpose(0, 2, 3, 1) / 4.0


@pytest.mark.parametrize("size", [48, 31])
def test_fourier_image_is_lucids(size):
    spectra = param.init_spectra(np.random.default_rng(0), 4, size) * 50
    ours = param.spectra_to_images(tf.constant(spectra), size).numpy()
    np.testing.assert_allclose(ours, lucid_fft_image(spectra, size), atol=1e-4)


def test_fourier_image_is_divided_by_four():
    spectra = np.zeros((1, *param.spectrum_shape(48)), np.float32)
    spectra[0, 0, :, 0, 0] = 1.0  # the DC term alone: a flat image of 1 / 4
    flat = param.spectra_to_images(tf.constant(spectra), 48).numpy()
    np.testing.assert_allclose(flat, 0.25, atol=1e-6)
    np.testing.assert_allclose(
        param.spectra_to_rgb(spectra, 48), tf.sigmoid(param.decorrelate_colors(flat)), atol=1e-6
    )


def lucid_direction(acts: np.ndarray, target: np.ndarray, cossim_pow: float) -> float:
    """Lucid's direction(layer, vec, batch=n, cossim_pow) on one tile's activations [h, w, c]."""
    dot = (acts * target).sum(-1)
    if cossim_pow == 0:
        return float(dot.mean())
    cos = dot / (1e-4 + np.sqrt((acts * acts).sum(-1))) / (1e-4 + np.sqrt((target**2).sum()))
    return float((dot * np.maximum(0.1, cos) ** cossim_pow).mean())


@pytest.mark.parametrize("cossim_pow", [0, 1, 2.5])
def test_direction_objective_is_lucids(cossim_pow):
    rng = np.random.default_rng(0)
    acts = rng.standard_normal((3, 4, 5, 16)).astype(np.float32)  # cosines of both signs
    targets = rng.standard_normal((3, 16)).astype(np.float32)
    acts[1] += 2 * targets[1]  # one tile pointing roughly the target's way
    ours = objectives.direction(tf.constant(acts), tf.constant(targets), cossim_pow).numpy()
    ref = [lucid_direction(a, t, cossim_pow) for a, t in zip(acts, targets)]
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
    if cossim_pow:
        plain = objectives.direction(tf.constant(acts), tf.constant(targets), 0).numpy()
        assert not np.allclose(ours, plain, rtol=0.05)


def smooth_image(size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size] / size
    return np.stack(
        [0.5 + 0.4 * np.sin(2.1 * x + 1.3 * y), 0.5 + 0.4 * np.cos(3 * y - x), x * 0.8 + 0.1], -1
    ).astype(np.float32)


def _warp(img: np.ndarray, to_input) -> np.ndarray:
    """Bilinear resampling, grey outside: output pixel p takes the input at ``to_input(p)``."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    sx, sy = to_input(xx, yy)
    return np.stack(
        [ndimage.map_coordinates(img[..., ch], [sy, sx], order=1, cval=0.5) for ch in range(3)],
        -1,
    )


def step_by_step(img, jit1, jit2, scale, degrees):
    """Pad 12 (grey) -> jitter 8 -> scale -> rotate (both about the centre) -> jitter 4."""
    x = np.pad(img, [(12, 12), (12, 12), (0, 0)], constant_values=0.5)
    side = x.shape[0] - 8
    x = x[jit1[1] : jit1[1] + side, jit1[0] : jit1[0] + side]
    mid = (side - 1) / 2
    x = _warp(x, lambda px, py: ((px - mid) / scale + mid, (py - mid) / scale + mid))
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    x = _warp(
        x,
        lambda px, py: (
            c * (px - mid) + s * (py - mid) + mid,
            -s * (px - mid) + c * (py - mid) + mid,
        ),
    )
    return x[jit2[1] : jit2[1] + side - 4, jit2[0] : jit2[0] + side - 4]


@pytest.mark.parametrize(
    "jit1,jit2,scale_i,angle_i",
    [
        ((0, 0), (0, 0), 5, 10),
        ((3, 7), (1, 4), 10, 20),
        ((8, 2), (4, 0), 0, 0),
        ((5, 5), (2, 3), 3, 25),
    ],
)
def test_composed_warp_is_the_transforms_one_after_another(jit1, jit2, scale_i, angle_i):
    size = 48
    img = smooth_image(size)
    values = {0: jit1[0], 1: jit1[1], 2: jit2[0], 3: jit2[1], 4: scale_i, 5: angle_i}
    draw = lambda kind, high: tf.constant([values[kind]], tf.int32)  # noqa: E731
    warp = transform.random_affine(draw, 1, size)
    ours = transform.apply_affine(tf.constant(img[None]), warp, transform.output_size(size))
    scale, degrees = transform.SCALES[scale_i], float(transform.ANGLES[angle_i])
    ref = step_by_step(img, jit1, jit2, scale, degrees)
    assert ours.shape[1:3] == ref.shape[:2]
    # compared where the tile (not the grey padding) is seen, away from its edge: both resample
    # a smooth image bilinearly, the reference twice
    seen = step_by_step(np.zeros_like(img), jit1, jit2, scale, degrees) < 1e-6
    interior = ndimage.binary_erosion(np.all(seen, -1), iterations=2)
    assert interior.sum() > 0.3 * interior.size
    np.testing.assert_allclose(ours.numpy()[0][interior], ref[interior], atol=0.01)


def test_photo_patches_are_centred_on_their_cells():
    h, w, rows, cols, size = 40, 60, 5, 6, 8
    yy, xx = np.mgrid[0:h, 0:w]
    image = np.stack([xx * 4, yy * 4, np.zeros_like(xx)], -1).astype(np.uint8)  # pixel = coords
    patches = images.photo_patches(image, (rows, cols), size) * 255 / 4
    for i, patch in enumerate(patches):
        r, c = divmod(i, cols)
        centre_x = patch[..., 0].mean()  # mean pixel index: the patch's centre
        centre_y = patch[..., 1].mean()
        assert abs(centre_x - ((c + 0.5) * w / cols - 0.5)) <= 1
        assert abs(centre_y - ((r + 0.5) * h / rows - 0.5)) <= 1


COLOUR = (200, 40, 10)
LUMA = round(0.299 * 200 + 0.587 * 40 + 0.114 * 10)


@pytest.mark.parametrize(
    "mode,ext,expected,tolerance",
    [
        ("RGB", "png", COLOUR, 0),
        ("RGBA", "png", COLOUR, 0),
        ("CMYK", "jpg", COLOUR, 12),
        ("P", "png", COLOUR, 0),
        ("L", "png", (LUMA,) * 3, 1),
        ("LA", "png", (LUMA,) * 3, 1),
        ("I", "tif", (LUMA,) * 3, 1),
        ("I;16", "png", (LUMA,) * 3, 1),
    ],
)
def test_modes_keep_their_colours(tmp_path, mode, ext, expected, tolerance):
    img = Image.new("RGB", (20, 10), COLOUR)
    img = img.convert(mode, palette=Image.Palette.ADAPTIVE) if mode == "P" else img.convert(mode)
    path = tmp_path / f"x.{ext}"
    img.save(path)
    rgb = images.load_rgb(path).astype(int)
    assert np.abs(rgb - np.asarray(expected)).max() <= tolerance, rgb[0, 0]


def test_crop_and_stretch_tell_apart():
    photo = np.zeros((40, 90, 3), np.uint8)
    photo[:, :20] = (255, 0, 0)
    photo[:, 20:70] = (0, 255, 0)
    photo[:, 70:] = (0, 0, 255)
    crop = images.fit_to_model(photo, 32, "crop").astype(int)
    stretch = images.fit_to_model(photo, 32, "stretch").astype(int)
    assert (crop[..., 1] > 200).all()  # the centre square is all green
    assert stretch[:, 0, 0].min() > 200 and stretch[:, -1, 2].min() > 200  # red left, blue right
    assert (stretch[:, 16, 1] > 200).all()
