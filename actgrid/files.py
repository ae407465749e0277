"""The workflow's files: one writer and one reader per kind, every file written atomically.

| file | kind | writer | reader |
|---|---|---|---|
| ``activations.h5`` | a batch's photos' activations at a layer and the images the model saw | ``write_activations`` | ``read_activations`` |
| ``groups.h5`` | their NMF groups | ``write_groups`` | ``read_groups`` |
| ``samples.h5`` | an atlas's sample of a dataset's (or an atlas-only batch's) activation vectors and where each came from | ``write_samples`` | ``read_samples`` |
| ``layout.h5`` | their 2-D layout | ``write_layout`` | ``read_layout`` |
| ``bins.h5`` | the atlas's bins: targets, counts, members, top patches | ``write_bins`` | ``read_bins`` |
| ``shared.h5`` | a render batch's state after phase one | ``write_shared`` | ``read_shared`` |
| ``shard{i}.h5`` | a render shard's tiles and per-cell figures, per photo | ``write_shard`` | ``read_shards``, ``read_group_images`` |
| ``grid.png``; ``side_by_side.jpg``, ``thumbnail.jpg`` | pictures | ``write_png``; ``write_jpeg``, ``write_thumbnail`` | ``read_png`` |
| ``cells.tsv`` | each cell's place and figures | ``write_cells`` | ``read_cells`` |
| ``metrics.json`` | a grid's figures | ``write_json`` | ``read_json`` |

A writer goes through ``atomic``: a crash never leaves a half-written file where a later run
would trust it. HDF5 files carry their kind and format version, checked on reading.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import shutil
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from actgrid import __version__
from actgrid.images import photo_patches, tile_grid
from actgrid.metrics import CELL_FIGURES
from actgrid.optvis.state import FIELDS, AdamState

ACTIVATIONS, GROUPS, SHARED, SHARD = "activations", "groups", "render_shared", "render_shard"
SAMPLES, LAYOUT, BINS = "atlas_samples", "atlas_layout", "atlas_bins"
CHANNELS = "dictionary_channels"
FORMAT_VERSION = 2  # 2: activations and groups files hold a batch of photos
#: each kind's format where it is not FORMAT_VERSION (shard 3: tiles as a WebP, group images;
#: samples 3: each photo's file, checksum and grid instead of its batch's activations file)
FORMATS = {SHARD: 3, SAMPLES: 3}


class H5Error(ValueError):
    """An HDF5 file that is missing, from another version, or lacks a dataset."""


class DiskFull(OSError):
    """No room for a result: its message is one line naming the file and the space it needs."""


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def check_space(path, needed: int) -> None:
    """Stop before writing a result of about ``needed`` bytes (or computing it) where it does
    not fit."""
    folder = Path(path).parent
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise DiskFull(
            f"disk full: {path} needs about {_megabytes(needed)}, {_megabytes(free)} free "
            f"in {folder}; free space and rerun",
        )


def no_space(e: BaseException) -> bool:
    """Whether an error (PIL's, h5py's, the OS's) is a full disk or quota."""
    if isinstance(e, DiskFull) or getattr(e, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(e, OSError) and "No space left" in str(e)


def nbytes(*arrays) -> int:
    """What arrays take uncompressed, plus room for a file's own structure: a file's size."""
    return sum(np.asarray(a).nbytes for a in arrays) + (64 << 10)


def sha256(path) -> str:
    """Checksum of a file, or of a directory tree (relative names and contents, in order)."""
    digest = hashlib.sha256()
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic(path, size: int = 0):
    """A temporary path beside ``path`` (same extension) to write; renamed into place on
    success, removed on failure. A full disk raises ``DiskFull``, naming ``path``: before
    anything is written where ``size`` (about the file's bytes) does not fit, else when it
    fills up."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if size:
        check_space(path, size)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        if not no_space(e) or isinstance(e, DiskFull):
            raise
        written = tmp.stat().st_size if tmp.exists() else 0
        free = shutil.disk_usage(path.parent).free
        raise DiskFull(
            f"disk full: {path} needs more than the {_megabytes(written)} written when "
            f"{path.parent} ran out ({_megabytes(free)} free); free space and rerun",
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path, text: str) -> None:
    with atomic(path, len(text.encode())) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path, data) -> None:
    write_text(path, json.dumps(data, indent=2) + "\n")


def read_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_png(path, image: np.ndarray) -> None:
    """An RGB uint8 array as a PNG."""
    with atomic(path, nbytes(image)) as tmp:
        Image.fromarray(image).save(tmp)


def write_jpeg(path, image: np.ndarray, quality: int = 90) -> None:
    """An RGB uint8 array as a JPEG (quality 90: a side by side is 27 % smaller than at 95)."""
    with atomic(path, nbytes(image)) as tmp:
        Image.fromarray(image).save(tmp, format="JPEG", quality=quality)


THUMBNAIL_SIDE = 160  # pixels: an index page's card


def write_thumbnail(path, image: np.ndarray, side: int = THUMBNAIL_SIDE) -> None:
    """An RGB uint8 array shrunk to fit ``side``×``side`` (Lanczos), as a JPEG (quality 90)."""
    small = Image.fromarray(image)
    small.thumbnail((side, side), Image.LANCZOS)
    write_jpeg(path, np.asarray(small))


def read_png(path) -> np.ndarray:
    """A picture (PNG or JPEG) as an RGB uint8 array [h, w, 3]."""
    return np.asarray(Image.open(path).convert("RGB"))


# --- HDF5 ------------------------------------------------------------------------------------
@contextlib.contextmanager
def write_h5(path, kind: str, size: int = 0):
    """An HDF5 file of ``kind`` (about ``size`` bytes) open for writing, atomically."""
    with atomic(path, size) as tmp, h5py.File(tmp, "w") as f:
        yield f
        # last: attributes copied from another file never change this one's kind
        f.attrs["actgrid_kind"] = kind
        f.attrs["actgrid_format"] = FORMATS.get(kind, FORMAT_VERSION)
        f.attrs["actgrid_version"] = __version__


def open_h5(path, kind: str) -> h5py.File:
    """An actgrid HDF5 file of ``kind`` open for reading, its kind and format checked."""
    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except (OSError, FileNotFoundError) as e:
        raise H5Error(f"{path}: cannot open as HDF5 ({e})") from e
    if f.attrs.get("actgrid_kind") != kind:
        f.close()
        raise H5Error(f"{path}: expected an actgrid {kind!r} file")
    expected = FORMATS.get(kind, FORMAT_VERSION)
    if f.attrs.get("actgrid_format") != expected:
        found = f.attrs.get("actgrid_format")
        f.close()
        raise H5Error(
            f"{path}: written in format {found}, this actgrid reads {expected}; rerun its stage"
        )
    return f


def read(f: h5py.File | h5py.Group, name: str) -> np.ndarray:
    """Dataset ``name`` of an open file (or group) as an array, or a clear error naming the
    file and the dataset."""
    if name not in f:
        raise H5Error(f"{f.file.filename}: dataset {name!r} is missing")
    return f[name][()]


#: the compression of the big arrays: most of gzip's savings at a fraction of its time
FAST_GZIP = {"compression": "gzip", "compression_opts": 1}


def _write_deflated(group: h5py.Group, key: str, array: np.ndarray) -> None:
    """``array`` as one chunk of HDF5's gzip filter, compressed here: zlib level 1 with its
    run-length strategy, for rectified activations (three quarters zeros) 1.7x faster than
    HDF5's own level 1 and 8 % smaller; and zlib releases the GIL, so a thread can write
    beside the network."""
    array = np.ascontiguousarray(array)
    z = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    data = z.compress(array) + z.flush()
    dataset = group.create_dataset(key, array.shape, array.dtype, chunks=array.shape, **FAST_GZIP)
    dataset.id.write_direct_chunk((0,) * array.ndim, data)


# --- activations.h5 and groups.h5 ------------------------------------------------------------
def _photo_group(f: h5py.File, photo: str) -> h5py.Group:
    """A photo's group of a batch file, or a clear error naming the file and the photo."""
    if f"photos/{photo}" not in f:
        raise H5Error(f"{f.filename}: holds no photo {photo!r}")
    return f[f"photos/{photo}"]


@contextlib.contextmanager
def activations_writer(out, attrs: dict, size: int = 0):
    """A batch's activations file at one layer, open for writing atomically: yields
    ``write(name, activations [H, W, C], image the model saw [h, w, 3], own attributes)``, a
    photo at a time, in order; ``attrs``: what they share (model, layer, input size, ...);
    ``size``: about the file's bytes. The image is kept as it is (uint8: compression would
    save a tenth of its bytes)."""
    names = []
    with write_h5(out, ACTIVATIONS, size) as f:

        def write(name: str, acts: np.ndarray, image: np.ndarray, own: dict) -> None:
            g = f.create_group(f"photos/{name}")
            _write_deflated(g, "activations", acts)
            g.create_dataset("image", data=image)
            g.attrs.update(own)
            names.append(name)

        yield write
        f.create_dataset("photo_names", data=_strings(names))
        f.attrs.update(attrs)


def write_activations(out, photos: dict[str, tuple], attrs: dict) -> None:
    """A batch's activations file (see ``activations_writer``) from ``photos[name]``:
    (activations, image, own attributes)."""
    size = nbytes(*(a for acts, image, _ in photos.values() for a in (acts, image))) // 2
    with activations_writer(out, attrs, size) as write:
        for name, (acts, image, own) in photos.items():
            write(name, acts, image, own)


def activations_photos(path) -> list[str]:
    """The names of the photos an activations file holds, in its order."""
    with open_h5(path, ACTIVATIONS) as f:
        return _decoded(read(f, "photo_names"))


def read_activations(path, photo: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """One photo's activations [H, W, C], the model's input image [h, w, 3] and its attributes
    (the file's and its own)."""
    with open_h5(path, ACTIVATIONS) as f:
        g = _photo_group(f, photo)
        return read(g, "activations"), read(g, "image"), {**f.attrs, **g.attrs}


def write_groups(out, photos: dict[str, tuple], attrs: dict) -> None:
    """NMF groups of a batch's photos (or an atlas's bins). ``photos[name]``: its group
    weights [cells, k], components [k, C] and own attributes (errors)."""
    arrays = [a for weights, components, _ in photos.values() for a in (weights, components)]
    with write_h5(out, GROUPS, nbytes(*arrays)) as f:
        for name, (weights, components, own) in photos.items():
            g = f.create_group(f"photos/{name}")
            g.create_dataset("weights", data=weights)
            g.create_dataset("components", data=components)
            g.attrs.update(own)
        f.create_dataset("photo_names", data=_strings(photos))
        f.attrs.update(attrs)


def read_groups(path, photo: str) -> tuple[np.ndarray, np.ndarray]:
    """One photo's NMF group weights [cells, k] and components [k, C]."""
    with open_h5(path, GROUPS) as f:
        g = _photo_group(f, photo)
        return read(g, "weights"), read(g, "components")


def _strings(values) -> np.ndarray:
    return np.asarray([str(v) for v in values], dtype=h5py.string_dtype())


def _decoded(values: np.ndarray) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


# --- atlas files -----------------------------------------------------------------------------
#: where write_samples keeps each photo's key, and the name read_samples gives it back by
SAMPLE_PHOTO_KEYS = {"name": "photos", "image_path": "images", "image_sha256": "image_sha256"}


def write_samples(out, vectors: np.ndarray, origin: np.ndarray, photos: list[dict], attrs) -> None:
    """Sampled activation vectors [N, C]; ``origin`` [N, 3]: each one's photo (an index into
    ``photos``), row and column. ``photos``: each one's ``name``, ``image_path``,
    ``image_sha256`` and ``grid_shape`` (its layer's rows and columns)."""
    with write_h5(out, SAMPLES, nbytes(vectors, origin)) as f:
        f.create_dataset("vectors", data=vectors, **FAST_GZIP)
        f.create_dataset("origin", data=origin.astype(np.int32))
        for key in ("name", "image_path", "image_sha256"):
            f.create_dataset(SAMPLE_PHOTO_KEYS[key], data=_strings(photo[key] for photo in photos))
        shapes = np.asarray([photo["grid_shape"] for photo in photos], np.int32).reshape(-1, 2)
        f.create_dataset("grid_shape", data=shapes)
        f.attrs.update(attrs)


def read_samples(path) -> dict:
    """``vectors``, ``origin``, the photos' ``photos`` (names), ``images`` (files),
    ``image_sha256`` and ``grid_shape`` [P, 2], and ``attrs``."""
    with open_h5(path, SAMPLES) as f:
        out = {key: _decoded(read(f, key)) for key in SAMPLE_PHOTO_KEYS.values()}
        out.update(
            vectors=read(f, "vectors"),
            origin=read(f, "origin"),
            grid_shape=read(f, "grid_shape"),
            attrs=dict(f.attrs),
        )
        return out


def write_layout(out, coords: np.ndarray, attrs: dict) -> None:
    """Each sample's place in the 2-D layout, [N, 2] (x, y)."""
    with write_h5(out, LAYOUT, nbytes(coords)) as f:
        f.create_dataset("coords", data=coords.astype(np.float32))
        f.attrs.update(attrs)


def read_layout(path) -> np.ndarray:
    with open_h5(path, LAYOUT) as f:
        return read(f, "coords")


BIN_ARRAYS = ("targets", "places", "counts", "bin_of", "patches", "patch_origin")


def write_bins(out, arrays: dict, photos: list[str], attrs: dict) -> None:
    """An atlas's bins. ``targets`` [B, C]: the mean of each filled bin's samples (the bins
    rendered, row-major); ``places`` [B, 2] their row and column; ``counts`` [n, n] every bin's
    samples; ``bin_of`` [N] each sample's bin (row·n + col); ``patches`` [B, top, P, P, 3] the
    photo patches of each filled bin's samples nearest its target, ``patch_origin`` [B, top, 3]
    theirs (photo index into ``photos``, row, col; -1 where a bin has fewer samples)."""
    with write_h5(out, BINS, nbytes(*(arrays[name] for name in BIN_ARRAYS))) as f:
        for name in BIN_ARRAYS:
            f.create_dataset(name, data=arrays[name])
        f.create_dataset("photos", data=_strings(photos))
        f.attrs.update(attrs)


def read_bins(path) -> dict:
    """The arrays ``write_bins`` took, ``photos`` and ``attrs``."""
    with open_h5(path, BINS) as f:
        out = {name: read(f, name) for name in BIN_ARRAYS}
        out["photos"] = _decoded(read(f, "photos"))
        out["attrs"] = dict(f.attrs)
    return out


def write_channels(out, channels: int, attrs: dict) -> None:
    """A layer's semantic dictionary targets: one unit vector a channel, [C, C] (Lucid's
    channel objective is the ``direction`` of its unit vector without ``cossim_pow``)."""
    targets = np.eye(channels, dtype=np.float32)
    with write_h5(out, CHANNELS, nbytes(targets)) as f:
        f.create_dataset("targets", data=targets, **FAST_GZIP)
        f.attrs.update(attrs)


# --- what a render job renders ---------------------------------------------------------------
def kind_of(path) -> str | None:
    """An actgrid HDF5 file's kind, or None for anything else."""
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("actgrid_kind")
    except OSError:
        return None


def read_targets(path, photo: str) -> tuple[np.ndarray, dict, Callable[[int], np.ndarray] | None]:
    """What a render job renders, read once: the vectors [N, C], the file's attributes, and a
    function of the tile size giving each vector's reference picture [N, size, size, 3] in
    [0, 1] (None where the vectors have none). From an activations file: ``photo``'s cells
    (row-major) and its own patch around each; from a bins file: an atlas's filled bins and
    each one's most typical patch; from a dictionary's channels file: a unit vector a channel."""
    kind = kind_of(path)
    if kind == CHANNELS:
        with open_h5(path, CHANNELS) as f:
            return read(f, "targets"), dict(f.attrs), None
    if kind != BINS:
        acts, image, attrs = read_activations(path, photo)
        return (
            acts.reshape(-1, acts.shape[-1]),
            attrs,
            partial(photo_patches, image, acts.shape[:2]),
        )
    bins = read_bins(path)
    typical = bins["patches"][:, 0]

    def typical_patches(size: int) -> np.ndarray:
        if typical.shape[1] != size:
            raise ValueError(f"{path}: patches of {typical.shape[1]} px, tiles of {size}: rerun it")
        return typical.astype(np.float32) / 255.0

    return bins["targets"], bins["attrs"], typical_patches


def check_same_layer(first: tuple[str, dict], path, attrs: dict) -> None:
    """Refuse activations (or targets) of another model, input size or layer than ``first``'s
    (its path and attributes): what is rendered or sampled together is one layer's."""
    for key in ("model_id", "input_size", "layer"):
        if attrs[key] != first[1][key]:
            raise ValueError(
                f"{path}: {key} {attrs[key]!r} differs from {first[0]}'s {first[1][key]!r}; "
                "only vectors of one layer go together"
            )


# --- render files ----------------------------------------------------------------------------
def write_shared(out, state: dict, trace: np.ndarray, attrs: dict) -> None:
    """Phase one's state: ``state[photo][unique|groups]``, each an ``AdamState``."""
    every = [
        getattr(part, k) for parts in state.values() for part in parts.values() for k in FIELDS
    ]
    with write_h5(out, SHARED, nbytes(trace, *every)) as f:
        for photo, parts in state.items():
            for part, adam_state in parts.items():
                for key in FIELDS:
                    f.create_dataset(f"images/{photo}/{part}/{key}", data=getattr(adam_state, key))
        f.create_dataset("trace", data=trace)
        f.attrs.update(attrs, images=list(state))


def read_shared(path, photos: list[str]) -> dict:
    """Phase one's state of ``photos``, as ``write_shared`` took it."""
    with open_h5(path, SHARED) as f:
        return {
            photo: {
                part: AdamState(*(read(f, f"images/{photo}/{part}/{key}") for key in FIELDS))
                for part in ("unique", "groups")
            }
            for photo in photos
        }


def _webp(tiles: np.ndarray) -> np.ndarray:
    """[n, W, W, 3] uint8 tiles as the bytes of one lossless WebP: a mosaic of ceil(√n)
    columns (a third fewer bytes than gzip, which hardly shrinks optimized tiles; least
    effort, ``method=0, quality=0``: at 256 steps 5 % more bytes than ``method=1``, a seventh
    of its time, 34 against 234 ms a photo)."""

    n = len(tiles)
    cols = int(np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    padded = np.concatenate([tiles, np.zeros((rows * cols - n, *tiles.shape[1:]), np.uint8)])
    buffer = io.BytesIO()
    Image.fromarray(tile_grid(padded, rows, cols)).save(
        buffer, format="WEBP", lossless=True, method=0, quality=0
    )
    return np.frombuffer(buffer.getvalue(), np.uint8)


def _unwebp(encoded: np.ndarray, n: int, size: int) -> np.ndarray:
    """``_webp``'s tiles back, [n, W, W, 3] uint8."""
    mosaic = np.asarray(Image.open(io.BytesIO(encoded.tobytes())).convert("RGB"))
    rows, cols = mosaic.shape[0] // size, mosaic.shape[1] // size
    tiles = mosaic.reshape(rows, size, cols, size, 3).transpose(0, 2, 1, 3, 4)
    return tiles.reshape(rows * cols, size, size, 3)[:n]


def write_shard(out, photos: dict, trace: np.ndarray, attrs: dict) -> None:
    """A shard's cells of each photo: ``photos[name]`` holds ``cells`` (their indices),
    ``cells_total``, ``tiles`` [n, W, W, 3] uint8 (kept as a lossless WebP), each of
    ``metrics.CELL_FIGURES`` [n] and, for the shared method, ``group_images`` [k, W, W, 3]
    uint8 (the NMF groups' images as phase one left them)."""
    every = [a for per_photo in photos.values() for a in per_photo.values()]
    with write_h5(out, SHARD, nbytes(trace, *every)) as f:
        for name, arrays in photos.items():
            g = f.create_group(f"images/{name}")
            g.attrs["cells_total"] = arrays["cells_total"]
            g.create_dataset("cells", data=arrays["cells"])
            g.create_dataset("tiles_webp", data=_webp(arrays["tiles"]))
            g.attrs["tile_size"] = arrays["tiles"].shape[1]
            for key in CELL_FIGURES + ("group_images",):
                if key in arrays:
                    g.create_dataset(key, data=arrays[key])
        f.create_dataset("trace", data=trace)
        f.attrs.update(attrs, images=list(photos))


def read_shards(paths, image: str) -> dict[str, np.ndarray]:
    """One photo's cells from all shards of its batch, in cell order.

    Returns ``tiles`` [N, W, W, 3] float32 in [0, 1] (in 8-bit steps), each of
    ``metrics.CELL_FIGURES`` [N] and ``shard`` [N] (the shard each cell was rendered in).
    Every cell must be in exactly one shard.
    """
    parts = []
    for path in paths:
        with open_h5(path, SHARD) as f:
            if f"images/{image}" not in f:
                raise H5Error(f"{path}: holds no photo {image!r}")
            g = f[f"images/{image}"]
            total = int(g.attrs["cells_total"])
            part = {k: read(f, f"images/{image}/{k}") for k in ("cells", *CELL_FIGURES)}
            encoded = read(f, f"images/{image}/tiles_webp")
            part["tiles"] = _unwebp(encoded, len(part["cells"]), int(g.attrs["tile_size"]))
            parts.append(part)
    cells = np.concatenate([part["cells"] for part in parts])
    counts = np.bincount(cells, minlength=total)
    if counts.min() < 1 or counts.max() > 1:
        missing = np.flatnonzero(counts == 0)
        raise ValueError(
            f"shards {list(map(str, paths))} miss cells {missing[:10].tolist()} of {total} "
            f"of photo {image!r}"
        )
    order = np.argsort(cells)
    out = {k: np.concatenate([part[k] for part in parts])[order] for k in ("tiles", *CELL_FIGURES)}
    out["tiles"] = out["tiles"].astype(np.float32) / np.float32(255)
    shard = [np.full(len(part["cells"]), i) for i, part in enumerate(parts)]
    out["shard"] = np.concatenate(shard)[order]
    return out


def read_group_images(shard_path, image: str) -> np.ndarray:
    """One photo's NMF group images as phase one left them, [k, W, W, 3] uint8."""
    with open_h5(shard_path, SHARD) as f:
        return read(f, f"images/{image}/group_images")


# --- cells.tsv -------------------------------------------------------------------------------
CELL_COLUMNS = ("cell", "row", "col", "shard", *CELL_FIGURES)


def write_cells(path, rows: int, cols: int, cells: dict) -> None:
    """One line per cell (row-major): where it is, its shard and its figures."""
    lines = ["\t".join(CELL_COLUMNS)]
    for i in range(rows * cols):
        place = [str(i), str(i // cols), str(i % cols), str(int(cells["shard"][i]))]
        lines.append("\t".join(place + [f"{cells[k][i]:.6g}" for k in CELL_FIGURES]))
    write_text(path, "\n".join(lines) + "\n")


def read_cells(path) -> dict[str, np.ndarray]:
    """cells.tsv as columns; an error naming the file if its columns are not this version's."""
    path = Path(path)
    with path.open(encoding="utf-8") as f:
        header = tuple(f.readline().rstrip("\n").split("\t"))
    if header != CELL_COLUMNS:
        raise ValueError(f"{path}: columns {header}, expected {CELL_COLUMNS}; rerun assemble")
    table = np.loadtxt(path, delimiter="\t", skiprows=1, ndmin=2)
    return {name: table[:, i] for i, name in enumerate(CELL_COLUMNS)}
