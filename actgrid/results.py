"""Open a grid's results in Python, by its folder or by the config that asked for it.

    from actgrid import results
    grid = results.open_grid("results/default/batches/<model>/<layer>/<batch>/nmf6/<render>/grids/chelsea")
    grid.tiles.shape          # (rows, cols, W, W, 3) float32 in [0, 1] (8 bits), uncropped
    grids = results.grids("config.yaml", image="chelsea")   # every grid the config asks for

Everything is read with the readers the workflow itself uses (``actgrid.files``); nothing
needs TensorFlow. See docs/results.md.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from actgrid import files, paths, tags
from actgrid.params import RenderParams

SCHEMA = Path(__file__).resolve().parents[1] / "schemas/config.schema.yaml"


@dataclass(frozen=True)
class Groups:
    """A shared grid's NMF groups: each cell's ``weights`` [rows, cols, k], the groups'
    ``components`` [k, C] and their ``images`` [k, W, W, 3] (as phase one left them)."""

    weights: np.ndarray
    components: np.ndarray
    images: np.ndarray


class Grid:
    """One grid's results, read from its folder when first asked for."""

    def __init__(self, folder):
        self.folder = Path(folder)
        if not (self.folder / paths.METRICS).is_file():
            raise FileNotFoundError(f"{self.folder}: no {paths.METRICS} here; not a finished grid")
        #: dataset, image, model, layer, groups and render: the folder's names
        self.names = paths.grid_names(self.folder)
        self._sources = paths.grid_sources(self.folder)

    def __repr__(self):
        return f"Grid({str(self.folder)!r})"

    def _repr_html_(self) -> str:
        """Jupyter's view: the photo beside its grid, and the grid's names and figures."""
        picture = base64.b64encode((self.folder / paths.SIDE_BY_SIDE).read_bytes()).decode()
        figures = ", ".join(
            f"{name} {self.metrics[name]['mean']:.3f}" for name in ("faithfulness", "retrieval")
        )
        names = " · ".join(self.names[k] for k in ("image", "model", "layer", "groups", "render"))
        caption = html.escape(f"{names}: {figures}, coherence {self.metrics['coherence']:.3f}")
        return (
            f'<figure><img src="data:image/jpeg;base64,{picture}" style="max-width:100%">'
            f"<figcaption>{caption}</figcaption></figure>"
        )

    @cached_property
    def params(self) -> RenderParams:
        """How it was rendered (from its folder names)."""
        method = tags.parse_groups_tag(self.names["groups"])["method"]
        return RenderParams.from_tag(self.names["render"], method)

    @cached_property
    def metrics(self) -> dict:
        """metrics.json: the grid's figures."""
        return files.read_json(self.folder / paths.METRICS)

    @cached_property
    def cells(self) -> dict[str, np.ndarray]:
        """cells.tsv: each cell's row, column, shard and figures, [rows, cols] arrays."""
        table = files.read_cells(self.folder / paths.CELLS)
        return {k: v.reshape(self.shape) for k, v in table.items()}

    @cached_property
    def _activations(self):
        return files.read_activations(self._sources["activations"], self.names["image"])

    @property
    def targets(self) -> np.ndarray:
        """The photo's activations at the layer, [rows, cols, C]: each cell's target."""
        return self._activations[0]

    @property
    def photo(self) -> np.ndarray:
        """The image the model saw, [h, w, 3] uint8."""
        return self._activations[1]

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of cells."""
        return self.targets.shape[:2]

    @cached_property
    def picture(self) -> np.ndarray:
        """grid.png, [h, w, 3] uint8 (tiles cropped as assembled)."""
        return files.read_png(self.folder / paths.GRID)

    @cached_property
    def shard_files(self) -> list[Path]:
        """The render shards its cells came from."""
        if "shards" not in self.metrics:
            raise ValueError(f"{self.folder}/{paths.METRICS} names no shards; rerun its assemble")
        return [self.folder / path for path in self.metrics["shards"]]

    @cached_property
    def _shards(self) -> dict[str, np.ndarray]:
        return files.read_shards(self.shard_files, self.names["image"])

    @property
    def tiles(self) -> np.ndarray:
        """Each cell's tile, [rows, cols, W, W, 3] float32 in [0, 1] (in 8-bit steps), uncropped."""
        tiles = self._shards["tiles"]
        return tiles.reshape(*self.shape, *tiles.shape[1:])

    @cached_property
    def groups(self) -> Groups | None:
        """The NMF groups (shared method), else None."""
        if "groups" not in self._sources:
            return None
        weights, components = files.read_groups(self._sources["groups"], self.names["image"])
        images = files.read_group_images(self.shard_files[0], self.names["image"])
        images = images.astype(np.float32) / np.float32(255)
        return Groups(weights.reshape(*self.shape, -1), components, images)


def open_grid(folder) -> Grid:
    """The grid whose files are in ``folder`` (the one that holds its grid.png)."""
    return Grid(folder)


def load_config(config="config.yaml") -> dict:
    """A workflow config as the Snakefile sees it, validated and with its defaults set.

    ``config``: a config file, or the config as a dict (e.g. the ``config:`` a module of
    another workflow is given)."""
    from snakemake.utils import validate

    where = "config" if isinstance(config, dict) else str(config)
    if not isinstance(config, dict):
        config = yaml.safe_load(Path(config).read_text()) or {}
    config = dict(config)
    try:
        validate(config, str(SCHEMA))
    except Exception as e:  # Snakemake's error holds the whole schema: name the first problem
        cause = e
        while cause.__context__ is not None and not hasattr(cause, "message"):
            cause = cause.__context__
        raise ValueError(
            f"{where}: not an actgrid config: {getattr(cause, 'message', e)}"
        ) from None
    return config


def grids(config="config.yaml", base=".", **select) -> list[Grid]:
    """Every finished grid a config asks for (a file or a dict, as ``load_config``), or only
    those whose names match ``select`` (e.g. ``image="chelsea"``, ``layer=...``).

    ``base``: the folder the workflow ran in (results and dataset paths start there).
    """
    from actgrid.models import from_config

    config = load_config(config)
    plan = paths.Plan(config, from_config(config["model"]).identity, base)
    return [
        Grid(Path(base) / folder)
        for names, folder in zip(plan.grids(), plan.grid_dirs())
        if all(names[k] == v for k, v in select.items())
        and (Path(base) / folder / paths.METRICS).is_file()
    ]
