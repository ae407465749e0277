"""Checks of a configuration beyond its schema (schemas/config.schema.yaml), as plain Python:
the Snakefile calls them before any job runs, and unit tests call them directly."""

from __future__ import annotations

from actgrid.methods import method


def check_layers(config: dict, model) -> None:
    """Fail on layers, shards or groups the model cannot serve. ``model``: the configured
    model (its ``check_layer`` gives a layer's rows, columns and channels, or a clear error)."""
    k = config["nmf"]["groups"]
    render = config["render"]
    grouped = any(method(name).has_groups for name in render["methods"])
    for layer in config["layers"]:
        rows, cols, channels = model.check_layer(layer)
        cells = rows * cols if config["model"]["resize"] != "none" else None
        if cells and render["n_shards"] > cells:
            raise ValueError(
                f"config: render.n_shards={render['n_shards']} is more than the "
                f"{cells} cells of layer {layer!r}"
            )
        if grouped and k > min(channels, cells or channels):
            raise ValueError(
                f"config: nmf.groups={k} is more than layer {layer!r} can factorize "
                f"({cells} cells, {channels} channels)"
            )
