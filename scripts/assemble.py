"""Snakemake entry point: rule assemble."""

import json
from types import SimpleNamespace

from actgrid.assemble import assemble_batch
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
params = SimpleNamespace(**snakemake.params.settings)
reports = assemble_batch(
    snakemake.input.targets,
    snakemake.input.get("groups"),
    snakemake.input.shards,
    snakemake.output[0],
    params.images,
    params.names,
    params.render,
    params.dictionary,
    crop=params.crop,
    coherence_side=params.coherence_side,
)
for image, report in reports.items():
    log.info("%s: %s", image, json.dumps(report))
