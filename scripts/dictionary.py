"""Snakemake entry point: rule dictionary."""

from types import SimpleNamespace

from actgrid import dictionary
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
params = SimpleNamespace(**snakemake.params.settings)
report = dictionary.assemble(
    snakemake.input.channels,
    snakemake.input.shards,
    snakemake.output,
    params.names,
    params.crop,
    params.render,
)
log.info("wrote %s: %d icons, %s", snakemake.output.icons, report["channels"], report["summary"])
