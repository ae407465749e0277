"""Snakemake entry point: rule assemble."""

import json

from actgrid.assemble import assemble
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
report = assemble(
    snakemake.input.activations,
    snakemake.input.shards,
    snakemake.wildcards.image,
    snakemake.output,
    snakemake.params.cfg,
)
log.info("metrics: %s", json.dumps(report))
