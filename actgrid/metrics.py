"""Quality figures of a grid: faithfulness to the targets and coherence between cells."""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr


def layer_means(features, images: np.ndarray, chunk: int = 64) -> np.ndarray:
    """Each image's layer activation averaged over positions, [n, C]."""
    out = [
        np.asarray(features(images[i : i + chunk])).mean(axis=(1, 2))
        for i in range(0, len(images), chunk)
    ]
    return np.concatenate(out)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return (a * b).sum(1)


def summary(values: np.ndarray) -> dict[str, float]:
    return {
        "mean": float(np.mean(values)),
        "median": float(np.median(values)),
        "min": float(np.min(values)),
    }


def faithfulness(features, tiles: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per cell: cosine of the tile's own layer activation (alone, untransformed) and target."""
    return cosine_rows(layer_means(features, tiles), targets)


def photo_patches(image: np.ndarray, grid_hw: tuple[int, int], size: int) -> np.ndarray:
    """Each cell's own patch of the photo, ``size`` pixels centred on the cell, in [0, 1]."""
    h, w = image.shape[:2]
    rows, cols = grid_hw
    half = size // 2
    padded = np.pad(
        image.astype(np.float32) / 255.0, [(size, size), (size, size), (0, 0)], "reflect"
    )
    patches = []
    for r in range(rows):
        for c in range(cols):
            y = int(round((r + 0.5) * h / rows)) - half + size
            x = int(round((c + 0.5) * w / cols)) - half + size
            patches.append(padded[y : y + size, x : x + size])
    return np.stack(patches)


def _pixel_signatures(tiles: np.ndarray, side: int = 8) -> np.ndarray:
    """Tiles blurred and downsampled to side×side by area averaging, flattened."""
    n, s = tiles.shape[:2]
    k = s // side
    t = tiles[:, : k * side, : k * side].reshape(n, side, k, side, k, -1).mean(axis=(2, 4))
    return t.reshape(n, -1)


def coherence(
    tiles: np.ndarray, targets: np.ndarray, groups: np.ndarray | None = None, side: int = 8
) -> float:
    """Spearman correlation, over cell pairs, of target cosine and tile pixel correlation.

    Tiles are compared after area-averaging down to side×side pixels. With ``groups`` (e.g.
    each cell's shard), only pairs from different groups count.
    """
    sig = _pixel_signatures(tiles, side)
    sig = sig - sig.mean(1, keepdims=True)
    pix = np.corrcoef(sig) if len(sig) > 1 else np.ones((1, 1))
    unit = targets / np.maximum(np.linalg.norm(targets, axis=1, keepdims=True), 1e-12)
    cos = unit @ unit.T
    iu = np.triu_indices(len(tiles), 1)
    if groups is not None:
        across = groups[iu[0]] != groups[iu[1]]
        iu = (iu[0][across], iu[1][across])
    if len(iu[0]) < 2:
        return float("nan")
    return float(spearmanr(cos[iu], np.nan_to_num(pix[iu])).statistic)
