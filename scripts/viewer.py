"""Snakemake entry point: rule viewer."""

from actgrid.logs import to_log

log = to_log(snakemake.log[0])

from actgrid import viewer  # noqa: E402  (after the log redirect)

viewer.write_viewer(
    snakemake.output[0], viewer.viewer_data(dict(snakemake.input.items()), snakemake.params.cfg)
)
log.info("wrote %s", snakemake.output[0])
