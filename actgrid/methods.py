"""The render methods, one object each: what every stage asks of a method is read here, never
from comparing its name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    """A render method.

    ``name``: config.yaml's spelling; ``folder``: its groups directory when it has no NMF
    groups (with groups, the folder names them: ``nmf6``); ``has_groups``: NMF group images
    mixed into every tile (Lucid's less naive grid); ``samples_cells``: a random batch of cells
    a step (else every cell every step); ``has_shared_phase``: a first phase that optimizes
    the group images jointly with the cells, before the shards go on alone.
    """

    name: str
    folder: str
    has_groups: bool
    samples_cells: bool
    has_shared_phase: bool


METHODS = {
    m.name: m
    for m in (
        Method("shared", "nmf", has_groups=True, samples_cells=True, has_shared_phase=True),
        Method("naive", "naive", has_groups=False, samples_cells=False, has_shared_phase=False),
        Method(
            "naive_sampled",
            "naive-sampled",
            has_groups=False,
            samples_cells=True,
            has_shared_phase=False,
        ),
    )
}


def method(name: str) -> Method:
    """The method called ``name``, or a clear error listing the known ones."""
    if name not in METHODS:
        raise ValueError(f"render method {name!r} is not one of {', '.join(METHODS)}")
    return METHODS[name]


def by_folder(folder: str) -> Method:
    """The method whose groups directories start with ``folder`` (``nmf``, ``naive-sampled``)."""
    for m in METHODS.values():
        if m.folder == folder:
            return m
    raise ValueError(f"no render method has the groups directory {folder!r}")
