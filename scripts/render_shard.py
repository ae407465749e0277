"""Snakemake entry point: rule render_shard."""

from actgrid.logs import to_log

log = to_log(snakemake.log[0])

from actgrid import render  # noqa: E402  (after the log redirect, for TF's output)
from actgrid.logs import set_threads  # noqa: E402

cfg = dict(snakemake.params.cfg)
shard, n_shards = cfg.pop("shard"), cfg.pop("n_shards")
set_threads(snakemake.threads)
render.run_shard(
    snakemake.input.activations,
    snakemake.input.get("groups"),
    snakemake.input.get("shared"),
    snakemake.output[0],
    cfg,
    shard,
    n_shards,
    snakemake.config["model"],
    chunks=snakemake.resources.chunks,
)
log.info("wrote %s", snakemake.output[0])
