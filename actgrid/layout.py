"""Where the workflow puts each result, and which results a config asks for.

    <results>/<dataset>/<image>/<model>/<layer>/activations.h5
        .../<groups>/groups.h5                      (shared method: NMF groups)
        .../<groups>/<render>/grid.png, side_by_side.png, metrics.json, cells.tsv, viewer.html
    <results>/<dataset>/batches/<model>/<layer>/<groups>/<render>/<batch>/
        shared.h5, shards<n>/shard<i>.h5            (render jobs: several photos each)
    <results>/<dataset>/atlas/<model>/<layer>/samples.h5, layout.h5, bins.h5
        .../<groups>/groups.h5                      (shared method: NMF of the bins' targets)
        .../<groups>/<render>/atlas.png, patches.png, atlas.json, viewer.html, shards<n>/...
    <results>/<dataset>/index.html, metrics.tsv

The directory names come from ``actgrid.tags`` and ``actgrid.params``. The Snakefile builds
its patterns from here (the names left as ``{wildcards}``), and ``actgrid.results`` finds a
config's grids with the same code.
"""

from __future__ import annotations

from actgrid import batches, datasets, tags
from actgrid.params import RenderParams

GRID_FILES = ("grid.png", "side_by_side.png", "metrics.json", "viewer.html")
ATLAS_FILES = ("atlas.png", "patches.png", "atlas.json", "viewer.html")
INDEX_FILES = ("index.html", "metrics.tsv")


def layer_dir(results, dataset="{dataset}", image="{image}", model="{model}", layer="{layer}"):
    """A photo's folder at one model and layer (default: Snakemake wildcards)."""
    return f"{results}/{dataset}/{image}/{model}/{layer}"


def render_dir(results, groups="{groups}", render="{render}", **names):
    """A grid's folder: its photo's layer folder, the method's groups and the render's name."""
    return f"{layer_dir(results, **names)}/{groups}/{render}"


def batch_dir(
    results,
    dataset="{dataset}",
    model="{model}",
    layer="{layer}",
    groups="{groups}",
    render="{render}",
    batch="{batch}",
):
    """A render batch's folder: its shared state and its shards."""
    return f"{results}/{dataset}/batches/{model}/{layer}/{groups}/{render}/{batch}"


def shard_file(batch_folder, n="{n}", i="{i}"):
    """Shard ``i`` of ``n`` of a render batch."""
    return f"{batch_folder}/shards{n}/shard{i}.h5"


def atlas_dir(results, dataset="{dataset}", model="{model}", layer="{layer}"):
    """A dataset's atlas folder at one model and layer: its sample, layout and bins."""
    return f"{results}/{dataset}/atlas/{model}/{layer}"


def atlas_render_dir(results, groups="{groups}", render="{render}", **names):
    """An atlas rendered by one method: its shards, picture, figures and viewer."""
    return f"{atlas_dir(results, **names)}/{groups}/{render}"


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
        # dataset -> batch name -> its photos, and dataset -> photo -> its batch
        self.batches = {
            dataset: batches.split(images, render["images_per_job"])
            for dataset, images in self.images.items()
        }
        self.batch_of = {
            dataset: {image: batch for batch, members in split.items() for image in members}
            for dataset, split in self.batches.items()
        }
        k, negative = config["nmf"]["groups"], config["nmf"]["negative"]
        self.methods = {
            tags.groups_tag(method, k, negative): RenderParams.from_config(render, method)
            for method in render["methods"]
        }
        self.n_shards = render["n_shards"]
        self.atlas = config.get("atlas", {}).get("enabled", False)

    def grids(self, dataset: str | None = None) -> list[dict]:
        """The names of every grid (of one dataset): dataset, image, model, layer, groups,
        render."""
        return [
            {
                "dataset": name,
                "image": image,
                "model": self.model_tag,
                "layer": layer,
                "groups": groups,
                "render": p.tag,
            }
            for name, images in self.images.items()
            if dataset in (None, name)
            for image in images
            for layer in self.layers
            for groups, p in self.methods.items()
        ]

    def grid_dirs(self, dataset: str | None = None) -> list[str]:
        return [render_dir(self.results, **names) for names in self.grids(dataset)]

    def atlases(self, dataset: str | None = None) -> list[dict]:
        """The names of every atlas (of one dataset): dataset, model, layer, groups, render."""
        if not self.atlas:
            return []
        return [
            {"dataset": name, "model": self.model_tag, "layer": layer, "groups": g, "render": p.tag}
            for name in self.images
            if dataset in (None, name)
            for layer in self.layers
            for g, p in self.methods.items()
        ]

    def atlas_dirs(self, dataset: str | None = None) -> list[str]:
        return [atlas_render_dir(self.results, **names) for names in self.atlases(dataset)]

    def atlas_sources(self, dataset: str, model: str, layer: str) -> dict[str, str]:
        """Photo name -> its activations file, for every photo of an atlas's dataset."""
        return {
            image: f"{layer_dir(self.results, dataset, image, model, layer)}/activations.h5"
            for image in self.images[dataset]
        }

    def atlas_shard_files(self, names: dict) -> list[str]:
        """The shards that hold an atlas's tiles."""
        folder = atlas_render_dir(self.results, **names)
        return [shard_file(folder, self.n_shards, i) for i in range(self.n_shards)]

    def shard_files(self, names: dict) -> list[str]:
        """The shards that hold a grid's cells (its photo's render batch)."""
        batch = self.batch_of[names["dataset"]][names["image"]]
        keys = ("dataset", "model", "layer", "groups", "render")
        folder = batch_dir(self.results, batch=batch, **{k: names[k] for k in keys})
        return [shard_file(folder, self.n_shards, i) for i in range(self.n_shards)]
