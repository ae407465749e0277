"""Snakemake entry point: rule atlas_sample."""

from types import SimpleNamespace

from actgrid import atlas
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
params = SimpleNamespace(**snakemake.params.settings)
atlas.sample(list(snakemake.input), snakemake.output[0], params.per_photo, params.seed)
log.info("wrote %s", snakemake.output[0])
