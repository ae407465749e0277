"""Snakemake entry point: rule atlas_bins."""

from types import SimpleNamespace

from actgrid import atlas
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
params = SimpleNamespace(**snakemake.params.settings)
atlas.bins(
    snakemake.input.samples,
    snakemake.input.layout,
    snakemake.output[0],
    params.grid_size,
    params.min_count,
    params.top_patches,
    params.patch_size,
    snakemake.resources.max_image_pixels,
)
log.info("wrote %s", snakemake.output[0])
