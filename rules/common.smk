import json
import os
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)

from actgrid import batches, datasets, devices, tags
from actgrid.models import from_config
from actgrid.models.layers import format_table

RESULTS = config["results"]
MODEL = from_config(config["model"])
MODEL_TAG = tags.model_tag(MODEL.identity, config["model"]["input_size"], config["model"]["resize"])
IMAGES = {name: datasets.list_images(name, spec) for name, spec in config["datasets"].items()}
RENDER = config["render"]
# Render batches: dataset -> batch name -> its photos, and dataset -> photo -> its batch.
BATCHES = {
    dataset: batches.split(images, RENDER["images_per_job"]) for dataset, images in IMAGES.items()
}
BATCH_OF = {
    dataset: {image: batch for batch, members in split.items() for image in members}
    for dataset, split in BATCHES.items()
}
RENDER_PARAMS = {
    "size": RENDER["tile_size"],
    "steps": RENDER["steps"],
    "batch": RENDER["batch_size"],
    "lr": RENDER["learning_rate"],
    "shared_fraction": RENDER["shared_fraction"],
    "cossim_pow": RENDER["cossim_pow"],
    "adam": RENDER["adam"],
    "transforms": RENDER["transforms"] == "standard",
    "seed": RENDER["seed"],
}
LAYER_DIR = f"{RESULTS}/{{dataset}}/{{image}}/{{model}}/{{layer}}"
RENDER_DIR = f"{LAYER_DIR}/{{groups}}/{{render}}"
BATCH_DIR = f"{RESULTS}/{{dataset}}/batches/{{model}}/{{layer}}/{{groups}}/{{render}}/{{batch}}"


def plan_gpus():
    """Local runs: GPU slots for the render jobs (actgrid/devices.py), and at most one job a slot.

    The slots reach the jobs through the environment; a cap given on the command line
    (--resources gpu=N) is kept. Cluster executors and CPU-only machines get no slots.
    """
    if not (workflow.local_exec and workflow.is_main_process):
        return None
    plan = devices.plan_slots(config["gpus"])
    if plan:
        os.environ[devices.SLOTS_VAR] = json.dumps(plan)
        if "gpu" not in workflow.global_resources:
            workflow.register_resource("gpu", len(plan["slots"]))
    return plan


plan_gpus()


wildcard_constraints:
    dataset=r"[^/]+",
    image=r"[^/]+",
    model=r"[^/]+",
    layer=r"[^/]+",
    groups=r"nmf\d+(-clip|-shift)?|naive(-sampled)?",
    render=r"W\d+_[^/]+",
    batch=r"batch_[0-9a-f]{8}",
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


def batch_images(wildcards):
    """The photos of a render batch, in name order."""
    try:
        return BATCHES[wildcards.dataset][wildcards.batch]
    except KeyError:
        raise ValueError(
            f"no render batch {wildcards.batch!r} in dataset {wildcards.dataset!r}"
        ) from None


def batch_inputs(wildcards):
    """Each photo's activations (and NMF groups) of a render batch."""
    layer_dirs = [
        LAYER_DIR.format(**{**dict(wildcards.items()), "image": image})
        for image in batch_images(wildcards)
    ]
    inputs = {"activations": [f"{d}/activations.h5" for d in layer_dirs]}
    if tags.has_groups(wildcards.groups):
        inputs["groups"] = [f"{d}/{wildcards.groups}/groups.h5" for d in layer_dirs]
    return inputs


def shard_inputs(wildcards):
    """A shard's photos; with more than one shard, the shared job's file (one shard runs both
    phases in one job)."""
    inputs = batch_inputs(wildcards)
    if tags.has_groups(wildcards.groups) and int(wildcards.n) > 1:
        inputs["shared"] = f"{BATCH_DIR.format(**dict(wildcards.items()))}/shared.h5"
    return inputs


def batch_dir(wildcards):
    """The render batch folder of one photo's grid."""
    batch = BATCH_OF[wildcards.dataset][wildcards.image]
    return BATCH_DIR.format(**{**dict(wildcards.items()), "batch": batch})


def shard_files(wildcards):
    n = RENDER["n_shards"]
    return [f"{batch_dir(wildcards)}/shards{n}/shard{i}.h5" for i in range(n)]


def render_job_params(wildcards):
    """A render job's parameters and its batch's photos."""
    return {**render_params(wildcards), "images": batch_images(wildcards)}


def assemble_params(wildcards):
    return {**config["assemble"], "render": render_params(wildcards)}


def viewer_inputs(wildcards):
    render_dir = RENDER_DIR.format(**dict(wildcards.items()))
    inputs = {
        name: f"{render_dir}/{name}.{ext}"
        for name, ext in (("grid", "png"), ("metrics", "json"), ("cells", "tsv"))
    }
    layer_dir = LAYER_DIR.format(**dict(wildcards.items()))
    inputs["activations"] = f"{layer_dir}/activations.h5"
    if tags.has_groups(wildcards.groups):
        inputs["groups"] = f"{layer_dir}/{wildcards.groups}/groups.h5"
        inputs["shard"] = shard_files(wildcards)[0]
    return inputs


def viewer_params(wildcards):
    names = {k: wildcards[k] for k in ("dataset", "image", "model", "layer")}
    return {**names, "groups": wildcards.groups, "render": render_params(wildcards)}


def layer_table():
    """The configured model's layers and their output shapes (rule list_layers)."""
    return format_table(MODEL, config["model"]["input_size"])
