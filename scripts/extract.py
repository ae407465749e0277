"""Snakemake entry point: rule extract."""

from actgrid.logs import to_log

log = to_log(snakemake.log[0])

from actgrid.extract import extract  # noqa: E402  (after the log redirect, for TF's output)
from actgrid.logs import set_threads  # noqa: E402

set_threads(snakemake.threads)
extract(
    snakemake.input.image,
    snakemake.output[0],
    snakemake.config["model"],
    snakemake.params.cfg,
    snakemake.config["max_image_pixels"],
)
log.info("wrote %s", snakemake.output[0])
