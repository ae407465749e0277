"""Snakemake entry point: rule render_shard."""

from actgrid.logs import to_log

log = to_log(snakemake.log[0])

from actgrid.devices import start_tensorflow  # noqa: E402  (after the log redirect)

start_tensorflow(snakemake.threads, True, snakemake.config["gpus"]["memory_limit_mb"])

from actgrid import render  # noqa: E402
from actgrid.params import RenderParams  # noqa: E402

cfg = snakemake.params.cfg
render.run_shard(
    render.photos(cfg["images"], snakemake.input.targets, snakemake.input.get("groups")),
    snakemake.input.get("shared"),
    snakemake.output[0],
    RenderParams(**cfg["render"]),
    cfg["shard"],
    cfg["n_shards"],
    snakemake.config["model"],
    chunks=snakemake.resources.chunks,
    retries=snakemake.config["render"]["retries"],
)
log.info("wrote %s", snakemake.output[0])
