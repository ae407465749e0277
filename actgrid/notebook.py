"""The notebook's function: one photo's activation grid, rendered in this process.

    import actgrid
    grid = actgrid.render_grid("data/default/chelsea.png", layer="block10_dw_relu", steps=256)
    grid              # in Jupyter: the photo beside its grid, and its figures
    grid.tiles        # (rows, cols, W, W, 3), as actgrid.results gives them

Lucid's ``render_activation_grid_less_naive(img, model, layer, W, n_groups, n_steps)`` as one
call. The workflow's stages (extract, factorize, render, assemble) run here one after another
with the code their jobs run, into the results tree the workflow writes, and the ``Grid`` that
``actgrid.results`` opens comes back. The same photo and settings give the workflow's tiles
(tests/test_notebook.py): run it in a fresh process, as a job is, with a render job's
``threads=2``, for the same bits.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from actgrid import checks, paths, tags
from actgrid.results import Grid, load_config

log = logging.getLogger("actgrid")


def render_grid(
    photo,
    model: dict | None = None,
    layer: str | None = None,
    method: str = "shared",
    steps: int | None = None,
    *,
    groups: int | None = None,
    results="results",
    dataset: str = "notebook",
    threads: int | None = None,
    **render,
) -> Grid:
    """Render the grid of the image file ``photo`` and return it (``actgrid.results.Grid``).

    ``model``: a config's ``model:`` entry (default: the embedded EfficientNet-Lite0 at 224 px);
    ``layer``: default the config's default layer; ``method``: shared, naive or
    naive_sampled; ``steps`` and the other ``render:`` settings of config.yaml as keywords
    (``tile_size=48``, ``batch_size=64``, ``n_shards=2`` ...: the shards run one after
    another); ``groups``: the NMF's k. Defaults are config.yaml's. The grid is written to
    ``<results>/<dataset>/batches/...``, where the workflow would write it, overwriting a
    grid rendered there before with the same settings. ``threads``: TensorFlow's (default:
    every core; the workflow's TensorFlow jobs take 2, so pass 2 for their bits: oneDNN may
    split a sum by thread count).
    """
    from actgrid.models import from_config

    config = _config(photo, model, layer, method, steps, groups, results, dataset, render)
    network = from_config(config["model"])
    checks.check_layers(config, network)
    plan = paths.Plan(config, network.identity)
    (names,) = plan.batch_names()
    _start_tensorflow(threads or os.cpu_count() or 1)
    folder = _run_stages(config, plan, names, network)
    return Grid(folder)


def _config(photo, model, layer, method, steps, groups, results, dataset, render) -> dict:
    """The workflow config that asks for ``photo``'s grid and nothing else."""
    if not Path(photo).is_file():
        raise FileNotFoundError(f"{photo}: no such image file")
    render = {**render, "methods": [method]}
    if steps is not None:
        render["steps"] = steps
    config = {
        "results": str(results),
        "datasets": {dataset: {"images": str(Path(photo).resolve())}},
        "model": model or {},
        "nmf": {} if groups is None else {"groups": groups},
        "render": render,
        "atlas": {"enabled": False},
    }
    if layer is not None:
        config["layers"] = [layer]
    return load_config(config)


def _start_tensorflow(threads: int) -> None:
    """TensorFlow as a job starts it (``devices.start_tensorflow``), on ``threads`` threads;
    already started in this process, it keeps its own settings."""
    from actgrid.devices import start_tensorflow

    try:
        start_tensorflow(threads, gpu=True)
    except RuntimeError:
        log.warning(
            "TensorFlow was started before render_grid: its settings stay, and the tiles may "
            "differ in their last bits from the workflow's (docs/reproducibility.md)"
        )


def _run_stages(config: dict, plan: paths.Plan, names: dict, network) -> Path:
    """Each stage's job for the one batch ``names``, in order; returns the grid's folder."""
    from actgrid import extract, factorize, render
    from actgrid.assemble import assemble_batch

    results, settings = config["results"], config["render"]
    p = plan.methods[names["groups"]]
    images = plan.images[names["dataset"]]
    activations = f"{paths.layer_dir(results, **names)}/{paths.ACTIVATIONS}"
    extract.extract(
        images,
        activations,
        network,
        names["layer"],
        config["model"]["resize"],
        config["max_image_pixels"],
    )
    groups = None
    if p.method_spec.has_groups:
        groups = f"{paths.groups_dir(results, **names)}/{paths.GROUPS}"
        nmf = tags.parse_groups_tag(names["groups"])
        factorize.run(
            activations, list(images), groups, nmf["k"], nmf["negative"], config["nmf"]["seed"]
        )
    subjects = render.subjects(list(images), activations, groups)
    folder, n = paths.render_dir(results, **names), plan.n_shards
    jobs = dict(chunk_cells=settings["chunk_cells"], retries=settings["retries"])
    shared = None
    if p.method_spec.has_shared_phase and n > 1:
        shared = f"{folder}/{paths.SHARED}"
        render.run_shared(subjects, shared, p, config["model"], **jobs)
    shards = [paths.shard_file(folder, n, i) for i in range(n)]
    for i, shard in enumerate(shards):
        render.run_shard(subjects, shared, shard, p, i, n, config["model"], **jobs)
    where = {k: names[k] for k in ("dataset", "model", "layer", "groups")}
    assemble = config["assemble"]
    assemble_batch(
        activations,
        groups,
        shards,
        paths.grids_dir(results, **names),
        list(images),
        where,
        p.as_dict(),
        crop=assemble["crop"],
        coherence_side=assemble["coherence_side"],
    )
    (image,) = images
    return Path(paths.grid_dir(results, image=image, **names))
