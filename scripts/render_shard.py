"""Snakemake entry point: rule render_shard."""

from actgrid.logs import to_log

log = to_log(snakemake.log[0])

from actgrid.devices import start_tensorflow  # noqa: E402  (after the log redirect)

start_tensorflow(snakemake.threads, True, snakemake.config["gpus"]["memory_limit_mb"])

from actgrid import render  # noqa: E402

cfg = dict(snakemake.params.cfg)
images, shard, n_shards = cfg.pop("images"), cfg.pop("shard"), cfg.pop("n_shards")
render.run_shard(
    render.photos(images, snakemake.input),
    snakemake.input.get("shared"),
    snakemake.output[0],
    cfg,
    shard,
    n_shards,
    snakemake.config["model"],
    chunks=snakemake.resources.chunks,
)
log.info("wrote %s", snakemake.output[0])
