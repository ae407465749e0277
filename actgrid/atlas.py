"""The activation atlas of a dataset (Carter et al., Distill 2019), in four cached stages.

1. ``sample``: activation vectors from every batch's ``activations.h5`` (all positions or a
   seeded subset of each photo's), with where each came from; an atlas-only dataset's batches
   draw theirs while extracting (``extract_sample``) and keep nothing else. Batch files are read
   one at a time: memory holds the sample, not the dataset.
2. ``layout``: a 2-D UMAP embedding of the sample (cosine distance, on a PCA projection by
   default; seeded, or on several threads).
3. ``bins``: an n×n grid over the layout; each bin with at least ``min_count`` samples gets
   their mean as its target; its samples nearest that target give its photo patches, cut
   from the photo files.
4. The bins' targets go through the render shards like a photo's cells (``render.Subject``
   named ``atlas``); ``assemble`` places each tile at its bin: ``atlas.png``, the same with
   each bin's most typical photo patch, ``patches.png``, and ``atlas.json``.
"""

from __future__ import annotations

import logging
import sys
import zlib

import numpy as np
from PIL import Image

from actgrid import extract, files, images, metrics

log = logging.getLogger("actgrid")
NAME = "atlas"  # the atlas's name in its render files (where a batch names its photos)
ORIGIN_ATTRS = ("model", "model_id", "layer", "input_size", "resize")


def photo_rng(seed: int, photo: str) -> np.random.Generator:
    """A photo's own random stream: adding photos leaves the others' samples as they were."""
    return np.random.default_rng([seed, zlib.crc32(photo.encode())])


def draw(photo: str, acts: np.ndarray, own: dict, per_photo: int | None, seed: int) -> dict:
    """One photo's part of a sample: ``per_photo`` of its positions (None: all; a random
    subset seeded by ``seed`` and its name), their vectors, and where they came from (``own``:
    its image path and checksum)."""
    rows, cols, channels = acts.shape
    cells = np.arange(rows * cols)
    if per_photo is not None and per_photo < len(cells):
        cells = np.sort(photo_rng(seed, photo).choice(cells, per_photo, replace=False))
    return {
        "name": photo,
        "vectors": acts.reshape(rows * cols, channels)[cells],
        "cells": np.stack([cells // cols, cells % cols], 1),
        "image_path": str(own["image_path"]),
        "image_sha256": str(own["image_sha256"]),
        "grid_shape": (rows, cols),
    }


def _write(out, parts: list[dict], attrs: dict, per_photo: int | None, seed: int) -> None:
    """A samples file of the photos' ``parts`` (``draw``), in name order."""
    parts = sorted(parts, key=lambda part: part["name"])
    origin = np.concatenate(
        [
            np.column_stack([np.full(len(part["cells"]), i), part["cells"]])
            for i, part in enumerate(parts)
        ]
    )
    attrs = {k: attrs[k] for k in ORIGIN_ATTRS if k in attrs}
    attrs.update(samples_per_photo=per_photo or 0, seed=seed)
    vectors = np.concatenate([part["vectors"] for part in parts])
    files.write_samples(out, vectors, origin, parts, attrs)
    log.info("sampled %d vectors from %d photos", len(vectors), len(parts))


def extract_sample(
    image_paths: dict[str, str],
    out,
    model,
    layer: str,
    resize: str,
    per_photo: int | None,
    seed: int,
    max_pixels: int,
) -> None:
    """An atlas-only batch: run the model on its photos (``extract.run_model``, which takes
    the arguments before ``per_photo``) and keep only each photo's sample of ``per_photo``
    positions (None: all) drawn with ``seed``, never its full activations."""
    done = extract.run_model(image_paths, model, layer, resize, max_pixels)
    parts = [
        draw(name, acts, {"image_path": path, "image_sha256": checksum}, per_photo, seed)
        for name, path, checksum, _, acts in done
    ]
    _write(out, parts, extract.origin_attrs(model, layer, resize), per_photo, seed)


def _parts(path, per_photo: int | None, seed: int):
    """The sample's parts of one batch file: drawn from its activations, or, from an atlas-only
    batch's samples file, as they were drawn there (with the same size and seed)."""
    if files.kind_of(path) != files.SAMPLES:
        for photo in files.activations_photos(path):
            acts, _, attrs = files.read_activations(path, photo)
            yield draw(photo, acts, attrs, per_photo, seed), attrs
        return
    batch = files.read_samples(path)
    drawn = (batch["attrs"]["samples_per_photo"] or None, batch["attrs"]["seed"])
    if drawn != (per_photo, seed):
        raise ValueError(
            f"{path}: sampled {drawn[0] or 'all'} a photo with seed {drawn[1]}, the atlas asks "
            f"{per_photo or 'all'} with seed {seed}: rerun it"
        )
    order = np.argsort(batch["origin"][:, 0], kind="stable")
    starts = np.searchsorted(batch["origin"][order, 0], np.arange(len(batch["photos"]) + 1))
    for i, name in enumerate(batch["photos"]):
        rows = order[starts[i] : starts[i + 1]]
        yield {
            "name": name,
            "vectors": batch["vectors"][rows],
            "cells": batch["origin"][rows, 1:],
            "image_path": batch["images"][i],
            "image_sha256": batch["image_sha256"][i],
            "grid_shape": tuple(batch["grid_shape"][i]),
        }, batch["attrs"]


def sample(sources: list[str], out, per_photo: int | None, seed: int) -> None:
    """The dataset's sample from its batches' files (``sources``: activations files, or the
    samples files of atlas-only batches), ``per_photo`` positions of each photo (None: all),
    in photo name order whatever the batches. Each batch file is read in turn: memory holds
    the sample, not the dataset."""
    parts, first = [], None
    for path in sources:
        for part, attrs in _parts(path, per_photo, seed):
            first = first or (path, attrs)
            files.check_same_layer(first, path, attrs)
            parts.append(part)
    _write(out, parts, first[1], per_photo, seed)


def reduce(vectors: np.ndarray, components: int, seed: int) -> np.ndarray:
    """The vectors scaled to unit length and projected on their first ``components``
    principal axes: Euclidean distance there approximates sqrt(2 - 2 cos) in the layer, so
    neighbours by cosine stay neighbours, at a fraction of the dimensions."""
    from sklearn.decomposition import PCA

    unit = metrics.unit_rows(vectors).astype(np.float32)
    return PCA(components, random_state=seed).fit_transform(unit).astype(np.float32)


def embed(
    vectors: np.ndarray,
    neighbors: int,
    min_dist: float,
    seed: int,
    threads: int | None = None,
    pca: int = 0,
) -> np.ndarray:
    """UMAP of the vectors by cosine distance, [N, 2]. Seeded (``threads`` None): the same
    sample gives the same layout; with ``threads``, UMAP runs unseeded on that many threads:
    faster on more cores (1.2-1.4x on 2, benchmarks/atlas_layout.py), a different layout
    each run. ``pca`` (> 0, fewer than the channels): UMAP of ``reduce``'s projection on that
    many axes."""
    # umap-learn's package imports TensorFlow for ParametricUMAP where it is installed (3 s and
    # 0.5 GB on 2 cores, benchmarks/atlas.py): this layout does not need it
    sys.modules.setdefault("umap.parametric_umap", None)
    import umap

    if len(vectors) < 4:
        raise ValueError(f"a layout needs at least 4 samples, got {len(vectors)}")
    metric = "cosine"
    if 0 < pca < min(vectors.shape):
        vectors, metric = reduce(vectors, pca, seed), "euclidean"
    reducer = umap.UMAP(
        n_neighbors=min(neighbors, len(vectors) - 1),
        min_dist=min_dist,
        metric=metric,
        **({"random_state": seed} if threads is None else {"n_jobs": threads}),
    )
    return reducer.fit_transform(vectors).astype(np.float32)


def layout(
    samples_path, out, neighbors: int, min_dist: float, seed: int, threads=None, pca: int = 0
) -> None:
    """The samples' 2-D layout, into a layout file (``threads``, ``pca``: see ``embed``)."""
    vectors = files.read_samples(samples_path)["vectors"]
    coords = embed(vectors, neighbors, min_dist, seed, threads, pca)
    attrs = dict(
        neighbors=neighbors, min_dist=min_dist, seed=seed, reproducible=threads is None, pca=pca
    )
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


def cut_patches(samples: dict, members: np.ndarray, size: int, max_pixels: int) -> np.ndarray:
    """The photo patches of the samples ``members`` ([B, top], -1: none), uint8
    [B, top, size, size, 3], cut from each photo's file as the model saw it (opened once,
    refused if it changed since it was sampled)."""
    patches = np.full((*members.shape, size, size, 3), 255, np.uint8)
    origin, attrs = samples["origin"], samples["attrs"]
    for photo in np.unique(origin[members[members >= 0], 0]):
        where = np.argwhere((members >= 0) & (origin[np.maximum(members, 0), 0] == photo))
        path = samples["images"][photo]
        if files.sha256(path) != samples["image_sha256"][photo]:
            raise ValueError(f"{path}: changed since the atlas sampled it; rerun the atlas")
        rgb = images.model_input(path, int(attrs["input_size"]), attrs["resize"], max_pixels)
        rows, cols = samples["grid_shape"][photo]
        cells = [origin[members[b, t], 1] * cols + origin[members[b, t], 2] for b, t in where]
        cut = images.photo_patches(rgb, (rows, cols), size, cells)
        patches[where[:, 0], where[:, 1]] = images.to_uint8(cut)
    return patches


def bins(
    samples_path, layout_path, out, n: int, min_count: int, top: int, size: int, max_pixels: int
) -> None:
    """The atlas's bins: targets, counts, which bin holds each sample, top patches (photos of
    at most ``max_pixels``)."""
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
        "patches": cut_patches(samples, members, size, max_pixels),
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
                    Image.fromarray(images.to_uint8(tile)).resize((side, side), Image.LANCZOS)
                ).astype(np.float32)
                / 255.0
            )
        y, x = row * s + (s - side) // 2, col * s + (s - side) // 2
        canvas[y : y + side, x : x + side] = tile
    return canvas


def assemble(
    bins_path, shard_paths, out, names: dict, render: dict, *, crop: int, size_by_count: bool
) -> dict:
    """Place each bin's tile in ``atlas.png`` (``out.atlas``) and its most typical photo patch
    in ``patches.png`` (``out.patches``, the same places), its thumbnail (``out.thumbnail``),
    and write ``atlas.json``
    (``out.metrics``): the atlas's figures and each filled bin's count, figures and patches.

    ``names`` (dataset, model, layer, groups) and ``render`` (its parameters): recorded;
    ``crop``: pixels cut from each tile's border; ``size_by_count``: tiles scaled by their
    bins' counts.
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
    scale = np.sqrt(counts / counts.max()) if size_by_count else None
    tiles = images.crop_tiles(cells["tiles"], crop)
    picture = images.to_uint8(place_tiles(tiles, b["places"], n, scale))
    files.write_png(out.atlas, picture)
    files.write_thumbnail(out.thumbnail, picture)
    typical = images.crop_tiles(b["patches"][:, 0].astype(np.float32) / 255.0, crop)
    files.write_png(out.patches, images.to_uint8(place_tiles(typical, b["places"], n, scale)))
    photos = b["photos"]
    report = {
        **{k: names[k] for k in ("dataset", "model", "layer", "groups")},
        "render": render,
        "grid": n,
        "tile_size": int(tiles.shape[1]),
        "min_count": int(b["attrs"]["min_count"]),
        "samples": int(b["counts"].sum()),
        "photos": len(photos),
        "bins_filled": len(b["targets"]),
        "counts": b["counts"].tolist(),
        **{name: metrics.summary(cells[name]) for name in metrics.CELL_FIGURES},
        **metrics.colour_summaries(tiles, typical),
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
