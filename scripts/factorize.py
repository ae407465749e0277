"""Snakemake entry point: rule factorize."""

from actgrid import factorize
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
cfg = snakemake.params.cfg
factorize.run(
    snakemake.input[0], cfg["photos"], snakemake.output[0], cfg["k"], cfg["negative"], seed=0
)
log.info("wrote %s", snakemake.output[0])
