"""A grid's render parameters and the render directory name that encodes them, both ways, exactly.

``RenderParams`` is the one home of the render settings between config.yaml and a render job:
its fields are the config's ``render:`` keys, ``tag`` is the directory name and
``from_tag`` reads one back; ``TAG_PATTERN`` is the Snakefile's wildcard constraint. Numbers
are written in Python's shortest exact form, so ``from_tag(p.tag) == p`` for every value (a
learning rate of 0.0123456789 keeps all its digits), and every name has one spelling.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from actgrid.methods import Method, method

ADAM = ("dense", "per_cell")
TRANSFORMS = ("standard", "standard_batch", "none")
_NUMBER = r"[0-9][0-9.e+-]*"
_TAG_RE = re.compile(
    rf"^W(?P<tile_size>\d+)_steps(?P<steps>\d+)(?:_batch(?P<batch_size>\d+))?"
    rf"_lr(?P<learning_rate>{_NUMBER})(?:_frac(?P<shared_fraction>{_NUMBER}))?"
    rf"_cos(?P<cossim_pow>{_NUMBER})_adam(?P<adam>dense|percell)"
    rf"_(?P<transforms>{'|'.join(TRANSFORMS)})_seed(?P<seed>\d+)$"
)
#: the same grammar without names and anchors: the Snakefile's wildcard constraint
TAG_PATTERN = re.sub(r"\(\?P<\w+>", "(?:", _TAG_RE.pattern)[1:-1]


def number(x: float) -> str:
    """``x`` in its shortest exact form: 1.0 as ``1``, 0.05 as ``0.05``, 1e-05 as ``1e-05``."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


@dataclass(frozen=True)
class RenderParams:
    """How one grid is rendered; the fields are config.yaml's ``render:`` keys.

    ``batch_size`` is None for a method that does not sample cells (every cell every step)
    and ``shared_fraction`` None for one without a shared phase: what does not apply is not
    part of the name.
    """

    method: str
    tile_size: int
    steps: int
    batch_size: int | None
    learning_rate: float
    shared_fraction: float | None
    cossim_pow: float
    adam: str
    transforms: str
    seed: int

    def __post_init__(self):
        m = method(self.method)
        if (self.batch_size is None) == m.samples_cells:
            raise ValueError(f"render method {self.method!r}: batch_size {self.batch_size}")
        if (self.shared_fraction is None) == m.has_shared_phase:
            raise ValueError(
                f"render method {self.method!r}: shared_fraction {self.shared_fraction}"
            )
        if self.adam not in ADAM or self.transforms not in TRANSFORMS:
            raise ValueError(f"render: adam {self.adam!r}, transforms {self.transforms!r}")

    @classmethod
    def from_config(cls, render: dict, name: str) -> RenderParams:
        """The parameters of method ``name``'s grids from a (validated) ``render:`` config entry."""
        m = method(name)
        return cls(
            method=name,
            tile_size=int(render["tile_size"]),
            steps=int(render["steps"]),
            batch_size=int(render["batch_size"]) if m.samples_cells else None,
            learning_rate=float(render["learning_rate"]),
            shared_fraction=float(render["shared_fraction"]) if m.has_shared_phase else None,
            cossim_pow=float(render["cossim_pow"]),
            adam=render["adam"],
            transforms=render["transforms"],
            seed=int(render["seed"]),
        )

    @property
    def tag(self) -> str:
        """The render directory's name."""
        batch = "" if self.batch_size is None else f"_batch{self.batch_size}"
        frac = "" if self.shared_fraction is None else f"_frac{number(self.shared_fraction)}"
        return (
            f"W{self.tile_size}_steps{self.steps}{batch}_lr{number(self.learning_rate)}{frac}"
            f"_cos{number(self.cossim_pow)}_adam{self.adam.replace('_', '')}_{self.transforms}"
            f"_seed{self.seed}"
        )

    @classmethod
    def from_tag(cls, tag: str, name: str) -> RenderParams:
        """The parameters a render directory's name encodes; the method comes from its groups
        directory. Only the exact name ``tag`` would give is accepted."""
        m = _TAG_RE.match(tag)
        if not m:
            raise ValueError(f"{tag!r} is not a valid render directory name")
        try:
            p = cls(
                method=name,
                tile_size=int(m["tile_size"]),
                steps=int(m["steps"]),
                batch_size=None if m["batch_size"] is None else int(m["batch_size"]),
                learning_rate=float(m["learning_rate"]),
                shared_fraction=(
                    None if m["shared_fraction"] is None else float(m["shared_fraction"])
                ),
                cossim_pow=float(m["cossim_pow"]),
                adam="dense" if m["adam"] == "dense" else "per_cell",
                transforms=m["transforms"],
                seed=int(m["seed"]),
            )
        except ValueError:
            raise ValueError(f"render directory {tag!r} does not fit method {name!r}") from None
        if p.tag != tag:
            raise ValueError(f"render directory {tag!r} is not written as actgrid writes {p.tag!r}")
        return p

    @property
    def method_spec(self) -> Method:
        """What the method means (``actgrid.methods``): groups, sampling, a shared phase."""
        return method(self.method)

    def as_dict(self) -> dict:
        """Plain fields, for a job's params, metrics.json and the viewer."""
        return dataclasses.asdict(self)

    @property
    def phase_steps(self) -> tuple[int, int]:
        """Steps of the shared phase (with the group images) and of the shard phase."""
        if self.shared_fraction is None:
            return 0, self.steps
        shared = int(round(self.steps * self.shared_fraction))
        return shared, self.steps - shared
