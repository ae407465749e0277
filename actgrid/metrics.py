"""Quality figures of a grid: faithfulness and retrieval of the targets, coherence between cells
and seams between tiles."""

from __future__ import annotations

import numpy as np

#: per-cell figures: in a shard file, cells.tsv, the viewer, and summarized in metrics.json
CELL_FIGURES = ("objective", "faithfulness", "faithfulness_photo", "retrieval", "retrieval_photo")


def even_chunk(n: int, most: int) -> int:
    """The size of the fewest chunks of at most ``most`` that cover ``n`` items, as even as can
    be: the last one, padded to that size, pads least (196 cells in at most 64: 4 of 49)."""
    return -(-n // -(-n // most))


def in_even_chunks(compute, n: int, most: int) -> list[np.ndarray]:
    """``compute(rows)`` over rows 0..n-1, ``even_chunk`` rows a call (the last chunk padded
    with its last row: one shape for a compiled ``compute``); each of its outputs, all rows'."""
    out, chunk = [], even_chunk(n, most)
    for i in range(0, n, chunk):
        results = compute(np.minimum(np.arange(i, i + chunk), n - 1))
        results = results if isinstance(results, tuple) else (results,)
        out.append([np.asarray(r)[: min(chunk, n - i)] for r in results])
    return [np.concatenate(parts) for parts in zip(*out)]


def layer_means(features, images: np.ndarray, most: int = 64) -> np.ndarray:
    """Each image's layer activation averaged over positions, [n, C]; at most ``most`` images
    a call of ``features`` (``in_even_chunks``)."""

    def means(rows):
        return np.asarray(features(images[rows])).mean(axis=(1, 2))

    return in_even_chunks(means, len(images), most)[0]


def unit_rows(a: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (zero rows stay zero)."""
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


def summary(values: np.ndarray) -> dict[str, float]:
    return {
        "mean": float(np.mean(values)),
        "median": float(np.median(values)),
        "min": float(np.min(values)),
    }


def target_figures(means: np.ndarray, targets: np.ndarray, cells: np.ndarray) -> dict:
    """How well images rendered (or cut) for cells ``cells`` of a photo show their targets.

    ``means``: each image's layer activation (alone, untransformed) averaged over positions, as
    ``layer_means`` gives them; ``targets``: all the photo's cells' targets. Per image:
    ``faithfulness``, the cosine to its own target; ``retrieval``, 1 where its own target is the
    closest of all the photo's targets (by cosine), a figure that rewards telling cells apart
    rather than cosine itself.
    """
    cos = unit_rows(means) @ unit_rows(targets).T
    return {
        "faithfulness": cos[np.arange(len(cells)), cells].astype(np.float32),
        "retrieval": (cos.argmax(1) == cells).astype(np.int8),
    }


def no_figures(n: int) -> dict:
    """``target_figures`` of ``n`` images that have no references to measure (a dictionary's
    icons have no photo patch): NaN faithfulness, retrieval -1."""
    return {"faithfulness": np.full(n, np.nan, np.float32), "retrieval": np.full(n, -1, np.int8)}


def _mean_across_borders(edges: dict, order: np.ndarray, rows: int, cols: int) -> float:
    """Mean pixel change across the borders of neighbouring tiles, tile ``order[i]`` in place
    ``i`` (row-major); ``edges``: each tile's outermost pixel rows and columns."""
    e = {k: v[order].reshape(rows, cols, *v.shape[1:]) for k, v in edges.items()}
    across = (
        np.abs(e["left"][:, 1:] - e["right"][:, :-1]),
        np.abs(e["top"][1:] - e["bottom"][:-1]),
    )
    return float(sum(a.sum() for a in across) / sum(a.size for a in across))


def block_means(tiles: np.ndarray, block: int) -> np.ndarray:
    """Tiles [n, s, s, ...] averaged over ``block``×``block`` pixels (the last partial block
    cut): [n, s // block, s // block, ...]."""
    n, s = tiles.shape[:2]
    k = s // block
    t = tiles[:, : k * block, : k * block]
    return t.reshape(n, k, block, k, block, *tiles.shape[3:]).mean(axis=(2, 4))


def seam(
    tiles: np.ndarray, rows: int, cols: int, shuffles: int = 16, seed: int = 0, block: int = 1
) -> dict:
    """Seams between neighbouring tiles of a grid (tiles in row-major order, as shown).

    ``jump``: how much more the pixels change across a tile border than between neighbouring
    pixels inside a tile; ``shuffled``: the same for the tiles in random places (mean of
    ``shuffles`` seeded orders); ``ratio`` = jump / shuffled: 1 is no smoother than a random
    placement, lower is smoother. ``block`` > 1: the tiles averaged over blocks of that many
    pixels first (``block_means``): colour and light only, not fine texture (it separated
    settings no better: docs/quality.md).
    """
    rng = np.random.default_rng(seed)
    tiles = block_means(tiles, block) if block > 1 else tiles
    inside = (np.abs(np.diff(tiles, axis=1)), np.abs(np.diff(tiles, axis=2)))
    scale = max(float(sum(a.sum() for a in inside) / sum(a.size for a in inside)), 1e-12)
    edges = {"left": tiles[:, :, 0], "right": tiles[:, :, -1]}
    edges.update(top=tiles[:, 0], bottom=tiles[:, -1])
    jump = _mean_across_borders(edges, np.arange(len(tiles)), rows, cols) / scale
    shuffled = np.mean(
        [
            _mean_across_borders(edges, rng.permutation(len(tiles)), rows, cols) / scale
            for _ in range(shuffles)
        ]
    )
    return {"jump": jump, "shuffled": float(shuffled), "ratio": float(jump / shuffled)}


def colour_figures(tiles: np.ndarray) -> dict[str, np.ndarray]:
    """How much each RGB tile [n, h, w, 3] in [0, 1] stands out, per tile: ``contrast``, the
    spread (standard deviation) of its luma (Rec. 601), and ``colourfulness``, Hasler and
    Süsstrunk's (2003) figure on the opponent channels rg = R - G and yb = (R + G) / 2 - B:
    their spread plus 0.3 × the length of their mean (0 for grey; on this 0..1 scale about
    0.13 is "quite colourful", their 33 of 255)."""
    r, g, b = (tiles[..., i].reshape(len(tiles), -1).astype(np.float64) for i in range(3))
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    rg, yb = r - g, (r + g) / 2 - b
    spread = np.sqrt(rg.var(1) + yb.var(1))
    mean = np.sqrt(rg.mean(1) ** 2 + yb.mean(1) ** 2)
    return {
        "contrast": luma.std(1).astype(np.float32),
        "colourfulness": (spread + 0.3 * mean).astype(np.float32),
    }


def colour_summaries(tiles: np.ndarray, photo_tiles: np.ndarray) -> dict[str, dict]:
    """``colour_figures`` of rendered tiles and of the photo patches beside them, each
    summarized (``summary``): ``contrast``, ``colourfulness`` and their ``_photo`` twins."""
    return {
        f"{name}{suffix}": summary(values)
        for suffix, t in (("", tiles), ("_photo", photo_tiles))
        for name, values in colour_figures(t).items()
    }


def _pixel_signatures(tiles: np.ndarray, side: int = 8) -> np.ndarray:
    """Tiles blurred and downsampled to side×side by area averaging, flattened."""
    blocks = block_means(tiles, tiles.shape[1] // side)
    return blocks[:, :side, :side].reshape(len(tiles), -1)


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
    unit = unit_rows(targets)
    cos = unit @ unit.T
    iu = np.triu_indices(len(tiles), 1)
    if groups is not None:
        across = groups[iu[0]] != groups[iu[1]]
        iu = (iu[0][across], iu[1][across])
    if len(iu[0]) < 2:
        return float("nan")
    return spearman(cos[iu], np.nan_to_num(pix[iu]))


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks from 1, tied values sharing their mean rank (scipy.stats.rankdata's)."""
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, len(x)])
    ranks = np.empty(len(x))
    ranks[order] = np.repeat(starts + (counts + 1) / 2, counts)
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two samples (scipy.stats.spearmanr's statistic; here
    without importing scipy.stats, a second of every job's start)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])
