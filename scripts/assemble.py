"""Snakemake entry point: rule assemble."""

import json

from actgrid.logs import to_log

log = to_log(snakemake.log[0])

from actgrid.assemble import assemble  # noqa: E402  (after the log redirect, for TF's output)
from actgrid.logs import set_threads  # noqa: E402

set_threads(snakemake.threads)
report = assemble(
    snakemake.input.activations,
    snakemake.input.shards,
    snakemake.output,
    snakemake.params.cfg,
    snakemake.config["model"],
)
log.info("metrics: %s", json.dumps(report))
