"""Datasets: a folder, a glob, a TSV sample sheet or one image file, each image named by its
stem."""

from __future__ import annotations

import csv
import glob
from pathlib import Path

# results/<dataset>/batches/ holds the render batches, results/<dataset>/atlas/ the atlases
RESERVED = ("batches", "atlas")
#: an image name: the Snakefile's wildcard constraint (a reserved folder is never an image)
IMAGE_PATTERN = rf"(?!(?:{'|'.join(RESERVED)})(?:/|$))[^/]+"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif"}


class DatasetError(ValueError):
    """A dataset that names no usable images."""


def _from_sheet(sheet: Path) -> list[tuple[str, Path]]:
    with open(sheet, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows or "path" not in rows[0]:
        raise DatasetError(f"{sheet}: a sample sheet needs a header with a 'path' column")
    out = []
    for row in rows:
        path = Path(row["path"])
        path = path if path.is_absolute() else sheet.parent / path
        out.append((row.get("name") or path.stem, path))
    return out


def list_images(name: str, spec: dict, base: str | Path = ".") -> dict[str, str]:
    """Map image name -> path for dataset ``name`` (``spec`` is its config entry)."""
    base = Path(base)
    where = spec["images"]
    target = Path(where) if Path(where).is_absolute() else base / where
    if target.suffix in (".tsv", ".txt") and target.is_file():
        found = _from_sheet(target)
    elif any(ch in where for ch in "*?["):
        found = [(Path(p).stem, Path(p)) for p in glob.glob(str(target), recursive=True)]
    elif target.is_dir():
        found = [(p.stem, p) for p in target.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    elif target.is_file() and target.suffix.lower() in IMAGE_SUFFIXES:
        found = [(target.stem, target)]
    else:
        raise DatasetError(
            f"dataset {name!r}: {target} is not a folder, glob, sample sheet or image file"
        )
    if not found:
        raise DatasetError(f"dataset {name!r}: no images found in {target}")
    images: dict[str, str] = {}
    for stem, path in sorted(found, key=lambda x: str(x[1])):
        if stem in images:
            raise DatasetError(
                f"dataset {name!r}: two images are named {stem!r} ({images[stem]} and {path}); "
                "rename one or use a sample sheet with a 'name' column"
            )
        if "/" in stem or stem.startswith(".") or stem in RESERVED:
            raise DatasetError(
                f"dataset {name!r}: image name {stem!r} is not usable "
                f"(hidden, or one of the workflow's folders {RESERVED})"
            )
        images[stem] = str(path)
    return images
