"""Snakemake entry point: rules extract (a batch's activations) and atlas_extract (an
atlas-only batch's samples only), told apart by their output's name (a module may rename the
rules)."""

from pathlib import Path

from actgrid.logs import to_log

log = to_log(snakemake.log[0])

from actgrid.devices import start_tensorflow  # noqa: E402  (after the log redirect)

start_tensorflow(snakemake.threads, memory_limit_mb=snakemake.config["gpus"]["memory_limit_mb"])

from actgrid.atlas import extract_sample  # noqa: E402
from actgrid.extract import extract  # noqa: E402
from actgrid.paths import SAMPLES  # noqa: E402

write = extract_sample if Path(snakemake.output[0]).name == SAMPLES else extract
cfg = snakemake.params.cfg
write(
    dict(zip(cfg["images"], snakemake.input.images)),
    snakemake.output[0],
    snakemake.config["model"],
    cfg,
    snakemake.config["max_image_pixels"],
)
log.info("wrote %s (%d photos)", snakemake.output[0], len(cfg["images"]))
