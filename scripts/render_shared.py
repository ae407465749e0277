"""Snakemake entry point: rule render_shared."""

from actgrid.logs import to_log

log = to_log(snakemake.log[0])

from actgrid import render  # noqa: E402  (after the log redirect, for TF's output)
from actgrid.logs import set_threads  # noqa: E402

set_threads(snakemake.threads)
render.run_shared(
    snakemake.input.activations,
    snakemake.input.groups,
    snakemake.output[0],
    snakemake.params.cfg,
    snakemake.config["model"],
    chunks=snakemake.resources.chunks,
)
log.info("wrote %s", snakemake.output[0])
