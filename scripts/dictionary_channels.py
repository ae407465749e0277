"""Snakemake entry point: rule dictionary_channels."""

import json
from types import SimpleNamespace

from actgrid.logs import to_log

log = to_log(snakemake.log[0])
run, params = snakemake.resources, SimpleNamespace(**snakemake.params.settings)

from actgrid.devices import start_tensorflow  # noqa: E402  (after the log redirect)

start_tensorflow(snakemake.threads)

from actgrid import extract, files  # noqa: E402

model, resize = extract.tagged_model(json.loads(run.model_source), params.model)
channels = model.check_layer(params.layer)[2]
# Lucid's relu_gradient_override: at a ReLU, a channel that is 0 on the grey starting image
# would get no gradient, and its icon would stay grey
attrs = {**extract.origin_attrs(model, params.layer, resize), "relu_gradient": "redirected"}
files.write_channels(snakemake.output[0], channels, attrs)
log.info("wrote %s (%d channels)", snakemake.output[0], channels)
