import json
import os

from actgrid import atlas, checks, datasets, devices, dictionary, files, paths, tags
from actgrid.params import TAG_PATTERN, RenderParams
from actgrid.models import from_config
from actgrid.models.layers import format_table

RESULTS = config["results"]
RENDER = config["render"]
ATLAS = config["atlas"]
DICTIONARY = config["dictionary"]
DICTIONARY_RENDER = dictionary.render_params(DICTIONARY)
MODEL = from_config(config["model"])
PLAN = paths.Plan(config, MODEL.identity)
# Folder patterns, the names left as wildcards; every file name is in actgrid/paths.py too.
DATASET_DIR = paths.dataset_dir(RESULTS)
LAYER_DIR = paths.layer_dir(RESULTS)
GROUPS_DIR = paths.groups_dir(RESULTS)
RENDER_DIR = paths.render_dir(RESULTS)
GRIDS_DIR = paths.grids_dir(RESULTS)
ATLAS_DIR = paths.atlas_dir(RESULTS)
ATLAS_GROUPS_DIR = paths.atlas_groups_dir(RESULTS)
ATLAS_RENDER_DIR = paths.atlas_render_dir(RESULTS)
DICTIONARY_DIR = paths.dictionary_dir(RESULTS)
DICTIONARY_RENDER_DIR = paths.dictionary_render_dir(RESULTS)
LAYER_PAGE_DIR = paths.layer_page_dir(RESULTS)

# A rule's params are what its jobs compute from: a changed param reruns them. How a job runs
# but never what it computes is a resource, so changing it reruns nothing: the GPU memory a job
# may take (0: grow on demand), its retries, the image size guard, and where the model's
# weights are found (results are keyed by the model tag's checksum, not by where files lie).
# Each rule's params are one dict (``named``): Snakemake keys a job's params by their values
# alone, sorted, so two params that swapped values would rerun nothing.
# a TensorFlow job's threads at most (render jobs: render_threads); render_grid takes them too
TF_THREADS = 2
GPU_MEMORY_MB = config["gpus"]["memory_limit_mb"] or 0
MODEL_SOURCE = json.dumps(config["model"], sort_keys=True)
NMF_SEED = config["nmf"]["seed"]
ATLAS_PER_PHOTO = None if ATLAS["samples_per_photo"] == "all" else ATLAS["samples_per_photo"]


def render_threads(wildcards):
    """A render job's threads: a batch's, ``TF_THREADS`` while a run's grid batches are fewer
    than its cores, else 1. Two one-thread jobs side by side on 2 cores step 1.2× as fast as
    one job of two threads, and each one's start and figures (one thread) overlap the other's
    loop: 500 photos at 8 steps took 16 % less wall time (docs/speed.md). Cluster jobs, runs
    with no --cores, and an atlas's or a dictionary's job (no batch: one a layer, it waits for
    the whole dataset and often runs last and alone; 500 photos: the atlas's, 93 s on one
    thread, a core idle) keep ``TF_THREADS``."""
    if not hasattr(wildcards, "batch"):
        return TF_THREADS
    cores = workflow.resource_settings.cores if workflow.local_exec else None
    batches = sum(len(PLAN.batches[name]) for name in PLAN.grid_datasets)
    return 1 if cores and batches >= cores else TF_THREADS


def render_mem_mb(wildcards):
    """A render job's memory in MB: 2 GB, and 100 MB for each photo of its batch (its cells'
    spectra, Adam state and tiles, at 196 cells a photo; measured peaks: 14 and 58 photos 2.35
    and 6.01 GB, docs/speed.md); an atlas's or a dictionary's job, 4,000."""
    if not hasattr(wildcards, "batch"):
        return 4000
    return 2000 + 100 * len(batch_images(wildcards))


def named(**values):
    """A rule's params: one dict of named values, each value that is a function of the
    wildcards called with them (the scripts read ``snakemake.params.settings``)."""
    return lambda wildcards: {
        name: value(wildcards) if callable(value) else value for name, value in values.items()
    }


def wildcard(name, kind=str):
    """A value of ``named``: the wildcard ``name``, as ``kind``."""
    return lambda wildcards: kind(wildcards[name])


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
    image=datasets.IMAGE_PATTERN,
    model=r"[^/]+",
    layer=r"[^/]+",
    groups=tags.GROUPS_PATTERN,
    render=TAG_PATTERN,
    batch=r"batch_[0-9a-f]{8}",
    n=r"\d+",
    i=r"\d+",


checks.check_layers(config, MODEL)


def batch_images(wildcards):
    """The photos of a batch, in name order."""
    try:
        return PLAN.batches[wildcards.dataset][wildcards.batch]
    except KeyError:
        raise ValueError(f"no batch {wildcards.batch!r} in dataset {wildcards.dataset!r}") from None


def batch_image_files(wildcards):
    """The image files of a batch's photos, in the order of their names."""
    images = PLAN.images[wildcards.dataset]
    return [images[name] for name in batch_images(wildcards)]


def all_grids():
    return PLAN.grids_dirs()


def all_atlases():
    return [f"{d}/{name}" for d in PLAN.atlas_dirs() for name in paths.ATLAS_FILES]


def dataset_grids(wildcards):
    """Every grid and atlas of one dataset (the index page's inputs): its batches' grids
    folders and each atlas's files."""
    return {
        "grids": PLAN.grids_dirs(wildcards.dataset),
        "atlases": [
            f"{d}/{name}" for d in PLAN.atlas_dirs(wildcards.dataset) for name in paths.ATLAS_FILES
        ],
        "layers": [
            f"{d}/{name}"
            for d in PLAN.layer_page_dirs(wildcards.dataset)
            for name in paths.LAYER_PAGE_FILES
        ],
    }


def all_indexes():
    return [
        f"{paths.dataset_dir(RESULTS, dataset)}/{name}"
        for dataset in PLAN.images
        for name in paths.INDEX_FILES
    ]


# What each picture of a grid's folder shows, by its file name (the report's patterns)
GRID_FIGURES = {"grid": "grid", "side_by_side": "photo and grid"}


def figure_labels(figure=None):
    """Report labels of a grid's (or atlas's) files: where it comes from and what it shows
    (``figure``; None: from the file's name, for the files of a batch's grids)."""
    return lambda wildcards: {
        "model": wildcards.model,
        "layer": wildcards.layer,
        "method": tags.method_name(wildcards.groups),
        "render": wildcards.render,
        "figure": figure or GRID_FIGURES[wildcards.figure],
    }


def render_params(wildcards) -> dict:
    """A grid's render parameters, read back from its directory names (actgrid/params.py)."""
    method = tags.parse_groups_tag(wildcards.groups)["method"]
    return RenderParams.from_tag(wildcards.render, method).as_dict()


def batch_inputs(wildcards):
    """A batch's activations (and NMF groups): what its render jobs render."""
    names = dict(wildcards.items())
    inputs = {"targets": f"{LAYER_DIR.format(**names)}/{paths.ACTIVATIONS}"}
    if tags.has_groups(wildcards.groups):
        inputs["groups"] = f"{GROUPS_DIR.format(**names)}/{paths.GROUPS}"
    return inputs


def shard_inputs(render_inputs, folder_pattern):
    """A shard rule's input function: ``render_inputs`` (its targets and groups) and, with more
    than one shard, the shared job's file in ``folder_pattern`` (one shard runs both phases in
    one job)."""

    def inputs(wildcards):
        found = render_inputs(wildcards)
        if tags.method_of(wildcards.groups).has_shared_phase and int(wildcards.n) > 1:
            found["shared"] = f"{folder_pattern.format(**dict(wildcards.items()))}/{paths.SHARED}"
        return found

    return inputs


def nmf_setting(key):
    """A param function: the groups directory's NMF setting ``key`` (k or negative)."""
    return lambda wildcards: tags.parse_groups_tag(wildcards.groups)[key]


def grid_names(wildcards):
    """Where a batch's grids (or an atlas) come from: dataset, model, layer, groups."""
    return {k: wildcards[k] for k in ("dataset", "model", "layer", "groups")}


def shard_files(wildcards):
    """The shards that hold a batch's cells."""
    return PLAN.shard_files(dict(wildcards.items()))


def atlas_sources(wildcards):
    """The batch files an atlas's sample is drawn from (activations, or atlas-only samples)."""
    return PLAN.atlas_sources(wildcards.dataset, wildcards.model, wildcards.layer)


def atlas_render_inputs(wildcards):
    """An atlas's targets (its bins) and, for the shared method, their NMF groups."""
    folder = ATLAS_DIR.format(**dict(wildcards.items()))
    inputs = {"targets": f"{folder}/{paths.BINS}"}
    if tags.has_groups(wildcards.groups):
        inputs["groups"] = f"{folder}/{wildcards.groups}/{paths.GROUPS}"
    return inputs


def atlas_shard_files(wildcards):
    return PLAN.atlas_shard_files(dict(wildcards.items()))


def layer_table():
    """The configured model's layers and their output shapes (rule list_layers)."""
    return format_table(MODEL, config["model"]["input_size"])


def all_dictionaries():
    return [f"{d}/{name}" for d in PLAN.dictionary_dirs() for name in paths.DICTIONARY_FILES]


def all_layer_pages(dataset=None):
    return [f"{d}/{name}" for d in PLAN.layer_page_dirs(dataset) for name in paths.LAYER_PAGE_FILES]


def layer_sources(wildcards):
    return PLAN.layer_sources(wildcards.dataset, wildcards.model, wildcards.layer)


def layer_names(wildcards):
    return {"model": wildcards.model, "layer": wildcards.layer}
