"""The activation atlas of a dataset (Carter et al., Distill 2019), in four cached stages.

1. ``sample``: activation vectors from every photo's ``activations.h5`` (all positions or a
   seeded subset of each photo's), with where each came from. Photos are read one at a time:
   memory holds the sample, not the dataset.
2. ``layout``: a 2-D UMAP embedding of the sample (cosine distance; seeded, or faster on
   several threads).
3. ``bins``: an n×n grid over the layout; each bin with at least ``min_count`` samples gets
   their mean as its target; its samples nearest that target give its photo patches.
4. The bins' targets go through the render shards like a photo's cells (``render.Photo``
   named ``atlas``); ``assemble`` places each tile at its bin: ``atlas.png``, the same with
   each bin's most typical photo patch, ``patches.png``, and ``atlas.json``.
"""

from __future__ import annotations

import logging
import sys
import zlib

import numpy as np
from PIL import Image

from actgrid import assemble as grid, files, metrics

log = logging.getLogger("actgrid")
NAME = "atlas"  # the atlas's name in its render files (where a batch names its photos)
ORIGIN_ATTRS = ("model", "model_id", "layer", "input_size", "resize")


def photo_rng(seed: int, photo: str) -> np.random.Generator:
    """A photo's own random stream: adding photos leaves the others' samples as they were."""
    return np.random.default_rng([seed, zlib.crc32(photo.encode())])


def sample(sources: dict[str, str], out, per_photo: int | None, seed: int) -> None:
    """Sample ``per_photo`` positions of each photo (None: all) from ``sources`` (photo name ->
    its batch's activations file) into a samples file."""
    vectors, origin, first = [], [], None
    for index, (photo, path) in enumerate(sorted(sources.items())):
        acts, _, attrs = files.read_activations(path, photo)
        first = first or (path, attrs)
        files.check_same_layer(first, path, attrs)
        rows, cols, channels = acts.shape
        cells = np.arange(rows * cols)
        if per_photo is not None and per_photo < len(cells):
            cells = np.sort(photo_rng(seed, photo).choice(cells, per_photo, replace=False))
        vectors.append(acts.reshape(rows * cols, channels)[cells])
        origin.append(np.stack([np.full(len(cells), index), cells // cols, cells % cols], 1))
    attrs = {k: first[1][k] for k in ORIGIN_ATTRS if k in first[1]}
    attrs.update(samples_per_photo=per_photo or 0, seed=seed)
    names = sorted(sources)
    paths = [sources[name] for name in names]
    files.write_samples(out, np.concatenate(vectors), np.concatenate(origin), names, paths, attrs)
    log.info("sampled %d vectors from %d photos", sum(map(len, vectors)), len(names))


def embed(
    vectors: np.ndarray, neighbors: int, min_dist: float, seed: int, threads: int | None = None
) -> np.ndarray:
    """UMAP of the vectors by cosine distance, [N, 2]. Seeded (``threads`` None): the same
    sample gives the same layout; with ``threads``, UMAP runs unseeded on that many threads:
    several times faster (benchmarks/atlas_layout.py), a different layout each run."""
    # umap-learn's package imports TensorFlow for ParametricUMAP where it is installed (3 s and
    # 0.5 GB on 2 cores, benchmarks/atlas.py): this layout does not need it
    sys.modules.setdefault("umap.parametric_umap", None)
    import umap

    if len(vectors) < 4:
        raise ValueError(f"a layout needs at least 4 samples, got {len(vectors)}")
    reducer = umap.UMAP(
        n_neighbors=min(neighbors, len(vectors) - 1),
        min_dist=min_dist,
        metric="cosine",
        **({"random_state": seed} if threads is None else {"n_jobs": threads}),
    )
    return reducer.fit_transform(vectors).astype(np.float32)


def layout(samples_path, out, neighbors: int, min_dist: float, seed: int, threads=None) -> None:
    """The samples' 2-D layout, into a layout file (``threads``: see ``embed``)."""
    vectors = files.read_samples(samples_path)["vectors"]
    coords = embed(vectors, neighbors, min_dist, seed, threads)
    attrs = dict(neighbors=neighbors, min_dist=min_dist, seed=seed, reproducible=threads is None)
    files.write_layout(out, coords, attrs)


def bin_places(coords: np.ndarray, n: int) -> np.ndarray:
    """Each point's bin, row·n + col, of an n×n grid over the points' extent (x: columns,
    y: rows)."""
    low, high = coords.min(0), coords.max(0)
    span = np.where(high > low, high - low, 1.0)
    col, row = np.minimum(((coords - low) / span * n).astype(int), n - 1).T
    return row * n + col


def bin_targets(vectors: np.ndarray, bin_of: np.ndarray, n: int, min_count: int):
    """The bins with at least ``min_count`` vectors (row-major), their mean vectors, and every
    bin's count [n, n]."""
    counts = np.bincount(bin_of, minlength=n * n)
    filled = np.flatnonzero(counts >= min_count)
    sums = np.zeros((n * n, vectors.shape[1]), np.float64)
    np.add.at(sums, bin_of, vectors)
    targets = (sums[filled] / counts[filled, None]).astype(np.float32)
    return filled, targets, counts.reshape(n, n)


def nearest_members(vectors, bin_of, filled, targets, top: int) -> np.ndarray:
    """For each filled bin, its ``top`` samples by cosine to its target, nearest first
    ([B, top], -1 where a bin has fewer)."""
    out = np.full((len(filled), top), -1, np.int64)
    order = np.argsort(bin_of, kind="stable")  # the samples grouped by bin
    starts = np.searchsorted(bin_of[order], filled)
    ends = np.searchsorted(bin_of[order], filled, side="right")
    for i, (start, end, target) in enumerate(zip(starts, ends, targets)):
        members = order[start:end]
        cos = metrics.unit_rows(vectors[members]) @ metrics.unit_rows(target[None])[0]
        best = members[np.argsort(-cos, kind="stable")[:top]]
        out[i, : len(best)] = best
    return out


def cut_patches(samples: dict, members: np.ndarray, size: int) -> np.ndarray:
    """The photo patches of the samples ``members`` ([B, top], -1: none), uint8
    [B, top, size, size, 3]; each photo's file is opened once."""
    patches = np.full((*members.shape, size, size, 3), 255, np.uint8)
    origin = samples["origin"]
    for photo in np.unique(origin[members[members >= 0], 0]):
        where = np.argwhere((members >= 0) & (origin[np.maximum(members, 0), 0] == photo))
        name, source = samples["photos"][photo], samples["sources"][photo]
        acts, image, _ = files.read_activations(source, name)
        cols = acts.shape[1]
        cells = [origin[members[b, t], 1] * cols + origin[members[b, t], 2] for b, t in where]
        cut = metrics.photo_patches(image, acts.shape[:2], size, cells)
        patches[where[:, 0], where[:, 1]] = grid.to_uint8(cut)
    return patches


def bins(samples_path, layout_path, out, n: int, min_count: int, top: int, size: int) -> None:
    """The atlas's bins: targets, counts, which bin holds each sample, top patches."""
    samples = files.read_samples(samples_path)
    vectors, coords = samples["vectors"], files.read_layout(layout_path)
    if len(coords) != len(vectors):
        raise ValueError(f"{layout_path}: {len(coords)} points, {samples_path} has {len(vectors)}")
    bin_of = bin_places(coords, n)
    filled, targets, counts = bin_targets(vectors, bin_of, n, min_count)
    if len(filled) == 0:
        raise ValueError(
            f"{samples_path}: no bin of the {n}×{n} grid holds atlas.min_count={min_count} of "
            f"its {len(vectors)} samples; lower grid_size or min_count"
        )
    members = nearest_members(vectors, bin_of, filled, targets, top)
    origin = samples["origin"]
    patch_origin = np.where(members[..., None] >= 0, origin[np.maximum(members, 0)], -1)
    arrays = {
        "targets": targets,
        "places": np.stack([filled // n, filled % n], 1).astype(np.int32),
        "counts": counts.astype(np.int32),
        "bin_of": bin_of.astype(np.int32),
        "patches": cut_patches(samples, members, size),
        "patch_origin": patch_origin.astype(np.int32),
    }
    attrs = dict(samples["attrs"], grid_size=n, min_count=min_count, top_patches=top)
    files.write_bins(out, arrays, samples["photos"], attrs)
    log.info("%d of %d bins filled (min_count %d)", len(filled), n * n, min_count)


def place_tiles(tiles: np.ndarray, places: np.ndarray, n: int, scale=None) -> np.ndarray:
    """An [n·s, n·s, 3] picture, white, with each tile [s, s, 3] at its (row, col); ``scale``
    (0..1 per tile) shrinks a tile about its bin's centre."""
    s = tiles.shape[1]
    canvas = np.ones((n * s, n * s, 3), np.float32)
    for i, (tile, (row, col)) in enumerate(zip(tiles, places)):
        side = s if scale is None else max(2, int(round(s * scale[i])))
        if side != s:
            tile = (
                np.asarray(
                    Image.fromarray(grid.to_uint8(tile)).resize((side, side), Image.LANCZOS)
                ).astype(np.float32)
                / 255.0
            )
        y, x = row * s + (s - side) // 2, col * s + (s - side) // 2
        canvas[y : y + side, x : x + side] = tile
    return canvas


def assemble(bins_path, shard_paths, out, p: dict) -> dict:
    """Place each bin's tile in ``atlas.png`` (``out.atlas``) and its most typical photo patch
    in ``patches.png`` (``out.patches``, the same places), its thumbnail (``out.thumbnail``),
    and write ``atlas.json``
    (``out.metrics``): the atlas's figures and each filled bin's count, figures and patches.

    ``p``: ``crop``, ``size_by_count`` and the names and render parameters to record.
    """
    b = files.read_bins(bins_path)
    cells = files.read_shards(shard_paths, NAME)
    if len(cells["tiles"]) != len(b["targets"]):
        raise ValueError(
            f"shards hold {len(cells['tiles'])} tiles, {bins_path} has "
            f"{len(b['targets'])} filled bins"
        )
    n = int(b["attrs"]["grid_size"])
    counts = b["counts"][b["places"][:, 0], b["places"][:, 1]]
    scale = np.sqrt(counts / counts.max()) if p["size_by_count"] else None
    tiles = grid.crop_tiles(cells["tiles"], p["crop"])
    picture = grid.to_uint8(place_tiles(tiles, b["places"], n, scale))
    files.write_png(out.atlas, picture)
    files.write_thumbnail(out.thumbnail, picture)
    typical = grid.crop_tiles(b["patches"][:, 0].astype(np.float32) / 255.0, p["crop"])
    files.write_png(out.patches, grid.to_uint8(place_tiles(typical, b["places"], n, scale)))
    photos = b["photos"]
    report = {
        **{k: p[k] for k in ("dataset", "model", "layer", "groups")},
        "render": p["render"],
        "grid": n,
        "tile_size": int(tiles.shape[1]),
        "min_count": int(b["attrs"]["min_count"]),
        "samples": int(b["counts"].sum()),
        "photos": len(photos),
        "bins_filled": len(b["targets"]),
        "counts": b["counts"].tolist(),
        **{name: metrics.summary(cells[name]) for name in metrics.CELL_FIGURES},
        "bins": [
            {
                "row": int(row),
                "col": int(col),
                "count": int(count),
                **{name: round(float(cells[name][i]), 4) for name in metrics.CELL_FIGURES},
                "patches": [
                    {"photo": photos[o[0]], "row": int(o[1]), "col": int(o[2])}
                    for o in b["patch_origin"][i]
                    if o[0] >= 0
                ],
            }
            for i, ((row, col), count) in enumerate(zip(b["places"], counts))
        ],
    }
    files.write_json(out.metrics, report)
    return report
