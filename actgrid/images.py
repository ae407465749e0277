"""Load photos of any mode and size as RGB arrays the model can take."""

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
    return np.asarray(rgb)


def model_input(path: str | Path, size: int, mode: str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The photo at ``path`` as the model sees it: ``load_rgb`` then ``fit_to_model``."""
    return fit_to_model(load_rgb(path, max_pixels), size, mode, path)


def fit_to_model(rgb: np.ndarray, size: int, mode: str, path: str | Path = "image") -> np.ndarray:
    """Resize (``stretch``), centre-crop then resize (``crop``) or keep (``none``) the image."""
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise ImageError(
            f"{path}: image is {w}×{h} pixels; actgrid needs at least {MIN_SIDE} px a side"
        )
    img = Image.fromarray(rgb)
    if mode == "crop":
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        img = img.crop((left, top, left + side, top + side))
    if mode in ("crop", "stretch"):
        img = img.resize((size, size), Image.BICUBIC)
    elif mode != "none":
        raise ImageError(f"unknown resize mode {mode!r}; use one of {RESIZE_MODES}")
    return np.asarray(img)
