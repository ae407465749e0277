"""Snakemake entry point: rule assemble."""

import json

from actgrid.assemble import assemble_batch
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
reports = assemble_batch(
    snakemake.input.targets,
    snakemake.input.get("groups"),
    snakemake.input.shards,
    snakemake.output[0],
    snakemake.params.cfg,
)
for image, report in reports.items():
    log.info("%s: %s", image, json.dumps(report))
