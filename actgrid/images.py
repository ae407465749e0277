"""Load photos of any mode and size as RGB arrays the model can take; cut, tile and quantize
the pictures the stages make of them."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

RESIZE_MODES = ("stretch", "crop", "none")
MIN_SIDE = 32  # pixels: anything smaller holds too little to visualize
MAX_PIXELS = Image.MAX_IMAGE_PIXELS  # Pillow's decompression-bomb limit, 89,478,485


class ImageError(ValueError):
    """An image that cannot be read or used."""


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        img = Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return img.convert("RGB")


def load_rgb(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The image at ``path`` as uint8 RGB [h, w, 3], EXIF orientation applied.

    Images over ``max_pixels`` are refused before they are decoded: Pillow's
    decompression-bomb guard stays on, at this limit, and its warning is an error here.
    """
    return np.asarray(_open_rgb(path, max_pixels))


def _open_rgb(path: str | Path, max_pixels: int) -> Image.Image:
    path = Path(path)
    if path.is_file() and path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file (0 bytes)")
    guard = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                img.load()
                img = ImageOps.exif_transpose(img)
                rgb = _to_rgb(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageError(
            f"{path}: {e} This is Pillow's decompression-bomb guard at max_image_pixels="
            f"{max_pixels}; if you trust this file, raise max_image_pixels in the config."
        ) from e
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"{path}: not a readable image ({e})") from e
    finally:
        Image.MAX_IMAGE_PIXELS = guard
    return rgb


def model_input(path: str | Path, size: int, mode: str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The photo at ``path`` as the model sees it: ``load_rgb`` then ``fit_to_model``."""
    return _fit(_open_rgb(path, max_pixels), size, mode, path)


def fit_to_model(rgb: np.ndarray, size: int, mode: str, path: str | Path = "image") -> np.ndarray:
    """Resize (``stretch``), centre-crop then resize (``crop``) or keep (``none``) the image."""
    return _fit(Image.fromarray(rgb), size, mode, path)


def _fit(img: Image.Image, size: int, mode: str, path: str | Path) -> np.ndarray:
    w, h = img.size
    if min(h, w) < MIN_SIDE:
        raise ImageError(
            f"{path}: image is {w}×{h} pixels; actgrid needs at least {MIN_SIDE} px a side"
        )
    if mode == "crop":
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        img = img.crop((left, top, left + side, top + side))
    if mode in ("crop", "stretch"):
        img = img.resize((size, size), Image.BICUBIC)
    elif mode != "none":
        raise ImageError(f"unknown resize mode {mode!r}; use one of {RESIZE_MODES}")
    return np.asarray(img)


def crop_tiles(tiles: np.ndarray, crop: int) -> np.ndarray:
    return tiles[:, crop : tiles.shape[1] - crop, crop : tiles.shape[2] - crop] if crop else tiles


def tile_grid(tiles: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """[rows·cols, h, w, 3] tiles in row-major cell order -> one [rows·h, cols·w, 3] picture."""
    n, h, w, ch = tiles.shape
    if n != rows * cols:
        raise ValueError(f"{n} tiles cannot fill a {rows}×{cols} grid")
    return (
        tiles.reshape(rows, cols, h, w, ch).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, ch)
    )


def to_uint8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def photo_patches(image: np.ndarray, grid_hw: tuple[int, int], size: int, cells=None) -> np.ndarray:
    """Each cell's own patch of the photo (or those of ``cells``, row-major indices), ``size``
    pixels centred on the cell, in [0, 1]."""
    h, w = image.shape[:2]
    rows, cols = grid_hw
    half = size // 2
    padded = np.pad(
        image.astype(np.float32) / 255.0, [(size, size), (size, size), (0, 0)], "reflect"
    )
    patches = []
    for cell in range(rows * cols) if cells is None else cells:
        r, c = divmod(int(cell), cols)
        y = int(round((r + 0.5) * h / rows)) - half + size
        x = int(round((c + 0.5) * w / cols)) - half + size
        patches.append(padded[y : y + size, x : x + size])
    return np.stack(patches)
