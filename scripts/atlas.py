"""Snakemake entry point: rule atlas."""

import json
from pathlib import Path
from types import SimpleNamespace

from actgrid import atlas, paths, viewer
from actgrid.logs import to_log

log = to_log(snakemake.log[0])
out, params = snakemake.output, SimpleNamespace(**snakemake.params.settings)
report = atlas.assemble(
    snakemake.input.bins,
    snakemake.input.shards,
    out,
    params.names,
    params.render,
    crop=params.crop,
    size_by_count=params.size_by_count,
)
names = params.names
icons = params.dictionary and paths.icons_link(
    Path(out.viewer).parent, "atlas", names["model"], names["layer"]
)
data = viewer.atlas_viewer_data(out, snakemake.input.bins, icons or None)
viewer.write_atlas_viewer(out.viewer, data)
log.info("figures: %s", json.dumps({k: v for k, v in report.items() if k != "bins"}))
