"""Snakemake entry point: rule index."""

from types import SimpleNamespace

from actgrid.logs import to_log
from actgrid.viewer import write_index

log = to_log(snakemake.log[0])
out, params = snakemake.output, SimpleNamespace(**snakemake.params.settings)
write_index(
    params.dataset, params.folder, params.grids, out.html, out.tsv, params.atlases, params.layers
)
log.info("wrote %s and %s", out.html, out.tsv)
