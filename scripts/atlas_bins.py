"""Snakemake entry point: rule atlas_bins."""

from actgrid import atlas
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
cfg = snakemake.params.cfg
atlas.bins(
    snakemake.input.samples,
    snakemake.input.layout,
    snakemake.output[0],
    cfg["grid_size"],
    cfg["min_count"],
    cfg["top_patches"],
    cfg["patch_size"],
    snakemake.config["max_image_pixels"],
)
log.info("wrote %s", snakemake.output[0])
