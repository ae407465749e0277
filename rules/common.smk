import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)

from actgrid import datasets, tags
from actgrid.models import from_config
from actgrid.models.layers import format_table

RESULTS = config["results"]
MODEL = from_config(config["model"])
MODEL_TAG = tags.model_tag(MODEL.identity, config["model"]["input_size"], config["model"]["resize"])
IMAGES = {name: datasets.list_images(name, spec) for name, spec in config["datasets"].items()}
RENDER = config["render"]
RENDER_PARAMS = {
    "size": RENDER["tile_size"],
    "steps": RENDER["steps"],
    "batch": RENDER["batch_size"],
    "lr": RENDER["learning_rate"],
    "shared_fraction": RENDER["shared_fraction"],
    "cossim_pow": RENDER["cossim_pow"],
    "transforms": RENDER["transforms"] == "standard",
    "seed": RENDER["seed"],
}
LAYER_DIR = f"{RESULTS}/{{dataset}}/{{image}}/{{model}}/{{layer}}"
RENDER_DIR = f"{LAYER_DIR}/{{groups}}/{{render}}"


wildcard_constraints:
    dataset=r"[^/]+",
    image=r"[^/]+",
    model=r"[^/]+",
    layer=r"[^/]+",
    groups=r"nmf\d+(-clip|-shift)?|naive",
    render=r"W\d+_[^/]+",
    n=r"\d+",
    i=r"\d+",


def check_config():
    """Fail before any job runs on layers, shards or groups the model cannot serve."""
    k = config["nmf"]["groups"]
    for layer in config["layers"]:
        rows, cols, channels = MODEL.check_layer(layer)
        cells = rows * cols if config["model"]["resize"] != "none" else None
        if cells and RENDER["n_shards"] > cells:
            raise ValueError(
                f"config: render.n_shards={RENDER['n_shards']} is more than the "
                f"{cells} cells of layer {layer!r}"
            )
        if "shared" in RENDER["methods"] and k > min(channels, cells or channels):
            raise ValueError(
                f"config: nmf.groups={k} is more than layer {layer!r} can factorize "
                f"({cells} cells, {channels} channels)"
            )


check_config()


def image_path(wildcards):
    try:
        return IMAGES[wildcards.dataset][wildcards.image]
    except KeyError:
        raise ValueError(f"no image {wildcards.image!r} in dataset {wildcards.dataset!r}") from None


def render_dirs():
    """Every (method, groups, render) directory the config asks for."""
    k, negative = config["nmf"]["groups"], config["nmf"]["negative"]
    return [
        f"{tags.groups_tag(m, k, negative)}/{tags.render_tag(m, RENDER_PARAMS)}"
        for m in RENDER["methods"]
    ]


def all_grids():
    return [
        f"{RESULTS}/{dataset}/{image}/{MODEL_TAG}/{layer}/{rdir}/{name}"
        for dataset, images in IMAGES.items()
        for image in images
        for layer in config["layers"]
        for rdir in render_dirs()
        for name in ("grid.png", "side_by_side.png", "metrics.json", "viewer.html")
    ]


def dataset_grids(wildcards):
    """Every grid of one dataset: its viewer, picture and metrics (the index page's inputs)."""
    prefix = f"{RESULTS}/{wildcards.dataset}/"
    files = [path for path in all_grids() if path.startswith(prefix)]
    return {
        name: [path for path in files if path.endswith(suffix)]
        for name, suffix in (
            ("viewers", "viewer.html"),
            ("grids", "grid.png"),
            ("metrics", ".json"),
        )
    }


def all_indexes():
    return [
        f"{RESULTS}/{dataset}/{name}"
        for dataset in IMAGES
        for name in ("index.html", "metrics.tsv")
    ]


def figure_labels(figure):
    """Report labels of a grid's files: where it comes from and what it shows."""
    return lambda wildcards: {
        "model": wildcards.model,
        "layer": wildcards.layer,
        "method": tags.method_name(wildcards.groups),
        "render": wildcards.render,
        "figure": figure,
    }


def render_chunks(wildcards, attempt):
    """Parts each step's batch is computed in: doubled on every retry (same result, less memory)."""
    return RENDER["chunks"] * 2 ** (attempt - 1)


def render_params(wildcards):
    method = tags.parse_groups_tag(wildcards.groups)["method"]
    return tags.parse_render_tag(wildcards.render, method)


def shard_inputs(wildcards):
    layer_dir = LAYER_DIR.format(**dict(wildcards.items()))
    inputs = {"activations": f"{layer_dir}/activations.h5"}
    if wildcards.groups != "naive":
        inputs["groups"] = f"{layer_dir}/{wildcards.groups}/groups.h5"
        inputs["shared"] = f"{layer_dir}/{wildcards.groups}/{wildcards.render}/shared.h5"
    return inputs


def shard_files(wildcards):
    render_dir = RENDER_DIR.format(**dict(wildcards.items()))
    n = RENDER["n_shards"]
    return [f"{render_dir}/shards{n}/shard{i}.h5" for i in range(n)]


def assemble_params(wildcards):
    return {**config["assemble"], "render": render_params(wildcards)}


def viewer_inputs(wildcards):
    render_dir = RENDER_DIR.format(**dict(wildcards.items()))
    inputs = {
        name: f"{render_dir}/{name}.{ext}"
        for name, ext in (("grid", "png"), ("metrics", "json"), ("cells", "tsv"))
    }
    inputs["activations"] = shard_inputs(wildcards)["activations"]
    if wildcards.groups != "naive":
        inputs.update(groups=shard_inputs(wildcards)["groups"], shared=f"{render_dir}/shared.h5")
    return inputs


def viewer_params(wildcards):
    names = {k: wildcards[k] for k in ("dataset", "image", "model", "layer")}
    return {**names, "groups": wildcards.groups, "render": render_params(wildcards)}


def layer_table():
    """The configured model's layers and their output shapes (rule list_layers)."""
    return format_table(MODEL, config["model"]["input_size"])
