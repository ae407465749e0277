"""Snakemake entry point: rules factorize and atlas_factorize."""

from types import SimpleNamespace

from actgrid import factorize
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
params = SimpleNamespace(**snakemake.params.settings)
factorize.run(
    snakemake.input[0], params.photos, snakemake.output[0], params.k, params.negative, params.seed
)
log.info("wrote %s", snakemake.output[0])
