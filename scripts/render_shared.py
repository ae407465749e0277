"""Snakemake entry point: rules render_shared and atlas_render_shared."""

import json
from types import SimpleNamespace

from actgrid.logs import to_log

log = to_log(snakemake.log[0])
run, params = snakemake.resources, SimpleNamespace(**snakemake.params.settings)

from actgrid.devices import start_tensorflow  # noqa: E402  (after the log redirect)

start_tensorflow(snakemake.threads, True, run.gpu_memory_mb or None)

from actgrid import render  # noqa: E402
from actgrid.params import RenderParams  # noqa: E402

render.run_shared(
    render.subjects(params.images, snakemake.input.targets, snakemake.input.get("groups")),
    snakemake.output[0],
    RenderParams(**params.render),
    json.loads(run.model_source),
    chunk_cells=run.chunk_cells,
    retries=run.retries,
)
log.info("wrote %s", snakemake.output[0])
