"""Snakemake entry point: rule index."""

from actgrid.logs import to_log
from actgrid.viewer import write_index

log = to_log(snakemake.log[0])
out, cfg = snakemake.output, snakemake.params.cfg
write_index(cfg["dataset"], cfg["folder"], cfg["grids"], out.html, out.tsv, cfg["atlases"])
log.info("wrote %s and %s", out.html, out.tsv)
