"""Snakemake entry point: rule atlas_sample."""

from actgrid import atlas
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
cfg = snakemake.params.cfg
per_photo = None if cfg["samples_per_photo"] == "all" else cfg["samples_per_photo"]
atlas.sample(cfg["sources"], snakemake.output[0], per_photo, cfg["seed"])
log.info("wrote %s", snakemake.output[0])
