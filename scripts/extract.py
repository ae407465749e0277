"""Snakemake entry point: rules extract (a batch's activations) and atlas_extract (an
atlas-only batch's samples only), told apart by their output's name (a module may rename the
rules)."""

import json
from pathlib import Path
from types import SimpleNamespace

from actgrid.logs import to_log

log = to_log(snakemake.log[0])
run, params = snakemake.resources, SimpleNamespace(**snakemake.params.settings)

from actgrid.devices import start_tensorflow  # noqa: E402  (after the log redirect)

start_tensorflow(snakemake.threads, memory_limit_mb=run.gpu_memory_mb or None)

from actgrid import atlas, extract  # noqa: E402
from actgrid.paths import SAMPLES  # noqa: E402

photos = dict(zip(params.images, snakemake.input.images))
model, resize = extract.tagged_model(json.loads(run.model_source), params.model)
out = snakemake.output[0]
if Path(out).name == SAMPLES:
    atlas.extract_sample(
        photos,
        out,
        model,
        params.layer,
        resize,
        params.per_photo,
        params.seed,
        run.max_image_pixels,
    )
else:
    extract.extract(photos, out, model, params.layer, resize, run.max_image_pixels)
log.info("wrote %s (%d photos)", out, len(photos))
