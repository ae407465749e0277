"""Snakemake entry point: rule atlas_layout."""

from actgrid import atlas
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
cfg = snakemake.params.cfg
threads = None if cfg["reproducible_layout"] else snakemake.threads  # None: seeded
atlas.layout(
    snakemake.input[0],
    snakemake.output[0],
    cfg["neighbors"],
    cfg["min_dist"],
    cfg["seed"],
    threads,
    cfg["pca"],
)
log.info("wrote %s", snakemake.output[0])
