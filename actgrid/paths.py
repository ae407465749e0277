"""Every file and folder name of the results tree, both ways: the path of what a result holds,
and what a path holds, from the path.

    <results>/<dataset>/batches/<model>/<layer>/<batch>/activations.h5      extract (a batch a job)
        .../<batch>/samples.h5                   atlas_extract (atlas-only datasets, instead)
        .../<batch>/<groups>/groups.h5                                    factorize (shared method)
        .../<batch>/<groups>/<render>/shared.h5, shards<n>/shard<i>.h5    render
        .../<batch>/<groups>/<render>/grids/<image>/                      assemble: a grid's folder
            grid.png, side_by_side.jpg, thumbnail.jpg, metrics.json, cells.tsv, viewer.html
    <results>/<dataset>/atlas/<model>/<layer>/samples.h5, layout.h5, bins.h5
        .../<groups>/groups.h5                                            NMF of the bins' targets
        .../<groups>/<render>/atlas.png, patches.png, atlas.json, viewer.html, shards<n>/...
    <results>/<dataset>/layers/<model>/<layer>/layer.html, patches.jpg    a layer's channels
    <results>/<dataset>/index.html, metrics.tsv (with each grid's folder)
    <results>/dictionary/<model>/<layer>/channels.h5                  the semantic dictionary:
        .../icons.png, icons.js, dictionary.json, <render>/shards<n>/...  an icon a channel
    and each folder's logs/<stage>.log

Every stage works on a batch of photos (``actgrid.batches``: content-defined, so adding or
changing a photo reruns its own batch's jobs only). The folder names come from ``actgrid.tags``
and ``actgrid.params``. Every function takes the names as keywords and leaves those not given
as Snakemake ``{wildcards}`` (and ignores names its folder does not use): the rules build their
patterns here, and ``actgrid.results``, the viewer and the index find files with the same code.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from actgrid import batches, datasets, tags
from actgrid.params import RenderParams

ACTIVATIONS = "activations.h5"
GROUPS = "groups.h5"
SHARED = "shared.h5"
GRID = "grid.png"
SIDE_BY_SIDE = "side_by_side.jpg"
THUMBNAIL = "thumbnail.jpg"
METRICS = "metrics.json"
CELLS = "cells.tsv"
VIEWER = "viewer.html"
SAMPLES = "samples.h5"
LAYOUT = "layout.h5"
BINS = "bins.h5"
ATLAS = "atlas.png"
PATCHES = "patches.png"
ATLAS_FIGURES = "atlas.json"
INDEX = "index.html"
METRICS_TABLE = "metrics.tsv"
CHANNELS = "channels.h5"
ICONS = "icons.png"
ICONS_SCRIPT = "icons.js"
DICTIONARY_FIGURES = "dictionary.json"
LAYER_PAGE = "layer.html"
CHANNEL_PATCHES = "patches.jpg"

#: the files of a finished atlas, dictionary, layer page and dataset index (the workflow's
#: targets)
ATLAS_FILES = (ATLAS, PATCHES, THUMBNAIL, ATLAS_FIGURES, VIEWER)
DICTIONARY_FILES = (ICONS, ICONS_SCRIPT, DICTIONARY_FIGURES)
LAYER_PAGE_FILES = (LAYER_PAGE, CHANNEL_PATCHES)
INDEX_FILES = (INDEX, METRICS_TABLE)


def dataset_dir(results, dataset="{dataset}"):
    """A dataset's folder: its batches, atlases and index."""
    return f"{results}/{dataset}"


def layer_dir(results, dataset="{dataset}", model="{model}", layer="{layer}", batch="{batch}", **_):
    """A batch's folder at one model and layer: its photos' activations."""
    return f"{dataset_dir(results, dataset)}/batches/{model}/{layer}/{batch}"


def groups_dir(results, groups="{groups}", **names):
    """A batch's NMF groups' folder (named by the method, also for methods without groups)."""
    return f"{layer_dir(results, **names)}/{groups}"


def render_dir(results, render="{render}", **names):
    """A batch's render folder: its shared state, shards and grids."""
    return f"{groups_dir(results, **names)}/{render}"


def grids_dir(results, **names):
    """The folder of a batch's grids, a folder per photo (one output: the assemble job's)."""
    return f"{render_dir(results, **names)}/grids"


def grid_dir(results, image="{image}", **names):
    """A grid's folder: its pictures, figures and viewer."""
    return f"{grids_dir(results, **names)}/{image}"


def shards_dir(render_folder, n="{n}"):
    """The folder of a render batch's (or an atlas's) ``n`` shards."""
    return f"{render_folder}/shards{n}"


def shard_file(render_folder, n="{n}", i="{i}"):
    """Shard ``i`` of ``n`` of a render batch's (or an atlas's) folder."""
    return f"{shards_dir(render_folder, n)}/shard{i}.h5"


def atlas_dir(results, dataset="{dataset}", model="{model}", layer="{layer}"):
    """A dataset's atlas folder at one model and layer: its sample, layout and bins."""
    return f"{dataset_dir(results, dataset)}/atlas/{model}/{layer}"


def atlas_groups_dir(results, groups="{groups}", **names):
    """An atlas's NMF groups' folder."""
    return f"{atlas_dir(results, **names)}/{groups}"


def atlas_render_dir(results, render="{render}", **names):
    """An atlas rendered by one method: its shards, picture, figures and viewer."""
    return f"{atlas_groups_dir(results, **names)}/{render}"


def dictionary_dir(results, model="{model}", layer="{layer}", **_):
    """A layer's semantic dictionary (one for every dataset): its channels, icons, figures."""
    return f"{results}/dictionary/{model}/{layer}"


def dictionary_render_dir(results, render="{render}", **names):
    """The render folder of a dictionary's icons: its shards."""
    return f"{dictionary_dir(results, **names)}/{render}"


def layer_page_dir(results, dataset="{dataset}", model="{model}", layer="{layer}", **_):
    """A dataset's page of a layer's channels: icons, strongest patches, how often each leads."""
    return f"{dataset_dir(results, dataset)}/layers/{model}/{layer}"


#: how many folders below the results folder each kind of page lies
PAGE_DEPTHS = {"grid": 9, "atlas": 6, "layer": 4}


def icons_link(page_folder, kind: str, model: str, layer: str) -> str:
    """The URL of a layer's ``icons.js`` from a page in ``page_folder`` (a grid's folder, an
    atlas's render folder or a layer page's folder: ``PAGE_DEPTHS``)."""
    page_folder = Path(page_folder)
    results = page_folder.resolve().parents[PAGE_DEPTHS[kind] - 1]
    return link(Path(dictionary_dir(results, model, layer)) / ICONS_SCRIPT, page_folder.resolve())


def log_file(folder, stage: str, i="") -> str:
    """The log of a stage's job that writes into ``folder`` (``i``: a shard's number)."""
    return f"{folder}/logs/{stage}{i}.log"


def benchmark_file(folder, stage: str, i="") -> str:
    """Snakemake's benchmark table of a stage's job that writes into ``folder``."""
    return f"{folder}/benchmarks/{stage}{i}.tsv"


def grid_names(folder) -> dict[str, str]:
    """A grid's names (dataset, image, model, layer, groups, render and its batch), read from
    its folder's path."""
    parts = Path(folder).resolve().parts
    dataset, _, model, layer, batch, groups, render, _, image = parts[-9:]
    return dict(
        dataset=dataset,
        image=image,
        model=model,
        layer=layer,
        groups=groups,
        render=render,
        batch=batch,
    )


def grid_sources(folder) -> dict[str, Path]:
    """The files a grid was made from, found from its folder: its batch's ``activations`` and,
    for the shared method, its batch's ``groups``."""
    render = Path(folder).parent.parent
    found = {"activations": render.parent.parent / ACTIVATIONS}
    if tags.has_groups(render.parent.name):
        found["groups"] = render.parent / GROUPS
    return found


def link(path, start) -> str:
    """``path`` as a relative URL from the folder ``start`` (each part quoted): how one page
    links another, opened from disk or served."""
    return "/".join(quote(part) for part in Path(os.path.relpath(path, start)).parts)


class Plan:
    """The results a (validated) config asks for: its photos, render batches, grids and
    atlases.

    ``model_identity``: the configured model's name and checksum (weights and network settings:
    ``Model.identity``); ``base``: the folder relative dataset paths start from.
    """

    def __init__(self, config: dict, model_identity: str, base="."):
        self.results = config["results"]
        model, render = config["model"], config["render"]
        self.model_tag = tags.model_tag(model_identity, model["input_size"], model["resize"])
        self.layers = list(config["layers"])
        self.images = {
            name: datasets.list_images(name, spec, base)
            for name, spec in config["datasets"].items()
        }
        atlas = config.get("atlas", {})
        self.atlas = atlas.get("enabled", False)
        #: the datasets with grids; the others are atlas-only: their batches write samples only
        self.grid_datasets = [
            name for name, spec in config["datasets"].items() if spec.get("grids", True)
        ]
        for name in config["datasets"]:
            if name == "dictionary":
                raise ValueError(
                    "config: a dataset may not be named 'dictionary': the results folder of "
                    "that name holds the layers' semantic dictionaries"
                )
            if name not in self.grid_datasets and not self.atlas:
                raise ValueError(
                    f"config: dataset {name!r} has grids: false and atlas.enabled is false: "
                    "it asks for nothing"
                )
        # dataset -> batch name -> its photos (atlas-only datasets' larger batches: their jobs
        # do nothing but run the model)
        self.batches = {
            dataset: batches.split(
                images,
                (
                    render["images_per_job"]
                    if dataset in self.grid_datasets
                    else atlas["images_per_job"]
                ),
            )
            for dataset, images in self.images.items()
        }
        k, negative = config["nmf"]["groups"], config["nmf"]["negative"]
        self.methods = {
            tags.groups_tag(method, k, negative): RenderParams.from_config(render, method)
            for method in render["methods"]
        }
        #: the atlases' methods: the grids' at ``atlas.steps``
        icon_steps = config.get("atlas", {}).get("steps") or render["steps"]
        self.atlas_methods = {
            g: RenderParams.from_config({**render, "steps": icon_steps}, p.method)
            for g, p in self.methods.items()
        }
        self.n_shards = render["n_shards"]
        self.dictionary = config.get("dictionary", {}).get("enabled", False)

    def batch_names(self, dataset: str | None = None) -> list[dict]:
        """The names of every render batch (of one dataset) at every layer and method:
        dataset, model, layer, batch, groups, render."""
        return [
            {
                "dataset": name,
                "model": self.model_tag,
                "layer": layer,
                "batch": batch,
                "groups": groups,
                "render": p.tag,
            }
            for name in self.grid_datasets
            if dataset in (None, name)
            for batch in self.batches[name]
            for layer in self.layers
            for groups, p in self.methods.items()
        ]

    def grids(self, dataset: str | None = None) -> list[dict]:
        """The names of every grid (of one dataset): its batch's names and its image."""
        return [
            {**names, "image": image}
            for names in self.batch_names(dataset)
            for image in self.batches[names["dataset"]][names["batch"]]
        ]

    def grid_dirs(self, dataset: str | None = None) -> list[str]:
        return [grid_dir(self.results, **names) for names in self.grids(dataset)]

    def grids_dirs(self, dataset: str | None = None) -> list[str]:
        """Every batch's grids folder (of one dataset): the assemble jobs' outputs."""
        return [grids_dir(self.results, **names) for names in self.batch_names(dataset)]

    def atlases(self, dataset: str | None = None) -> list[dict]:
        """The names of every atlas (of one dataset): dataset, model, layer, groups, render."""
        if not self.atlas:
            return []
        return [
            {"dataset": name, "model": self.model_tag, "layer": layer, "groups": g, "render": p.tag}
            for name in self.images
            if dataset in (None, name)
            for layer in self.layers
            for g, p in self.atlas_methods.items()
        ]

    def atlas_dirs(self, dataset: str | None = None) -> list[str]:
        return [atlas_render_dir(self.results, **names) for names in self.atlases(dataset)]

    def dictionary_dirs(self) -> list[str]:
        """Every layer's semantic dictionary folder (with dictionary.enabled)."""
        if not self.dictionary:
            return []
        return [dictionary_dir(self.results, self.model_tag, layer) for layer in self.layers]

    def layer_page_dirs(self, dataset: str | None = None) -> list[str]:
        """The layer pages of every dataset with grids (of one dataset), with the dictionary."""
        if not self.dictionary:
            return []
        return [
            layer_page_dir(self.results, name, self.model_tag, layer)
            for name in self.grid_datasets
            if dataset in (None, name)
            for layer in self.layers
        ]

    def layer_sources(self, dataset: str, model: str, layer: str) -> list[str]:
        """The activations of a dataset's batches at a layer: what its layer page reads."""
        return [
            f"{layer_dir(self.results, dataset, model, layer, batch)}/{ACTIVATIONS}"
            for batch in self.batches[dataset]
        ]

    def atlas_sources(self, dataset: str, model: str, layer: str) -> list[str]:
        """The files an atlas's sample is drawn from: each batch's activations, or for an
        atlas-only dataset each batch's samples."""
        name = ACTIVATIONS if dataset in self.grid_datasets else SAMPLES
        return [
            f"{layer_dir(self.results, dataset, model, layer, batch)}/{name}"
            for batch in self.batches[dataset]
        ]

    def atlas_shard_files(self, names: dict) -> list[str]:
        """The shards that hold an atlas's tiles."""
        folder = atlas_render_dir(self.results, **names)
        return [shard_file(folder, self.n_shards, i) for i in range(self.n_shards)]

    def shard_files(self, names: dict) -> list[str]:
        """The shards that hold a batch's cells."""
        folder = render_dir(self.results, **names)
        return [shard_file(folder, self.n_shards, i) for i in range(self.n_shards)]
