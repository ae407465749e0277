"""Snakemake entry point: rule layer_page."""

from types import SimpleNamespace

from actgrid import viewer
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
params = SimpleNamespace(**snakemake.params.settings)
viewer.write_layer_page(
    snakemake.input.activations, snakemake.output, params.names, params.top, params.patch_size
)
log.info("wrote %s", snakemake.output.page)
