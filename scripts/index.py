"""Snakemake entry point: rule index."""

from actgrid.logs import to_log
from actgrid.viewer import write_index

log = to_log(snakemake.log[0])
out = snakemake.output
dataset = snakemake.wildcards.dataset
write_index(dataset, f"{snakemake.config['results']}/{dataset}", snakemake.input, out.html, out.tsv)
log.info("wrote %s and %s", out.html, out.tsv)
