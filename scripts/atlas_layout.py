"""Snakemake entry point: rule atlas_layout."""

from types import SimpleNamespace

from actgrid import atlas
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
params = SimpleNamespace(**snakemake.params.settings)
threads = None if params.reproducible else snakemake.threads  # None: seeded
atlas.layout(
    snakemake.input[0],
    snakemake.output[0],
    params.neighbors,
    params.min_dist,
    params.seed,
    threads,
    params.pca,
)
log.info("wrote %s", snakemake.output[0])
