"""Render batches: which photos of a dataset share a render job.

A render job pays a fixed cost (imports, model build, tracing) and a GPU wants large batches,
so one job renders the cells of several photos. Which photos go together must stay put when
the dataset changes, or adding one photo would re-render them all. Batches are therefore cut
by content, not by position: photos are taken in name order, and a new batch starts at every
photo whose name hashes to 0 modulo ``images_per_job`` (so batches hold ``images_per_job``
photos on average), and after ``2 · images_per_job`` photos at the latest. Adding, removing or
editing a photo changes its own batch only (rarely also the next one, when the change moves a
cut). A batch is named by a hash of its photos' names, so a batch with other photos is a new
batch, in a new folder.
"""

from __future__ import annotations

import hashlib


def _hash(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


def batch_name(images: list[str]) -> str:
    """The folder name of a batch of photos: ``batch_`` and 8 hex digits of their names' hash."""
    return "batch_" + hashlib.sha256("\n".join(images).encode()).hexdigest()[:8]


def split(images, images_per_job: int) -> dict[str, list[str]]:
    """Batch name -> its photos (in name order), for all ``images`` of one dataset."""
    batches, current = [], []
    for name in sorted(images):
        cut = _hash(name) % images_per_job == 0 or len(current) == 2 * images_per_job
        if current and cut:
            batches.append(current)
            current = []
        current.append(name)
    if current:
        batches.append(current)
    return {batch_name(members): members for members in batches}
