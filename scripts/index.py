"""Snakemake entry point: rule index."""

from actgrid.logs import to_log
from actgrid.viewer import write_index

log = to_log(snakemake.log[0])
out = snakemake.output
dataset = snakemake.wildcards.dataset
dataset_dir = f"{snakemake.config['results']}/{dataset}"
atlases = [path for path in snakemake.input.atlases if path.endswith("viewer.html")]
write_index(dataset, dataset_dir, snakemake.input.viewers, out.html, out.tsv, atlases)
log.info("wrote %s and %s", out.html, out.tsv)
