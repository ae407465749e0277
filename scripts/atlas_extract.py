"""Snakemake entry point: rule atlas_extract."""

from actgrid.logs import to_log

log = to_log(snakemake.log[0])

from actgrid.devices import start_tensorflow  # noqa: E402  (after the log redirect)

start_tensorflow(snakemake.threads, memory_limit_mb=snakemake.config["gpus"]["memory_limit_mb"])

from actgrid.atlas import extract_sample  # noqa: E402

cfg = snakemake.params.cfg
extract_sample(
    dict(zip(cfg["images"], snakemake.input.images)),
    snakemake.output[0],
    snakemake.config["model"],
    cfg,
    cfg["per_photo"],
    cfg["seed"],
    snakemake.config["max_image_pixels"],
)
log.info("wrote %s (%d photos)", snakemake.output[0], len(cfg["images"]))
