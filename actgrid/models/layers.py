"""List a model's layers with their output shapes: ``python -m actgrid.models.layers``.

    python -m actgrid.models.layers --configfile config.yaml [--size 224]
    python -m actgrid.models.layers '{"type": "keras_application", "name": "ResNet50"}'

``--json PATH`` computes the table in this process and writes it to PATH instead: the
subprocess that fills the layer cache (``actgrid.models.layer_cache``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from actgrid.models import ModelError, from_config, layer_cache


def format_table(model, input_size: int) -> str:
    """One line per spatial layer: name, grid height x width, channels."""
    shapes = model.layer_shapes(input_size)
    width = max(map(len, shapes), default=5)
    lines = [f"# {model.identity}: {len(shapes)} layers at {input_size} px input"]
    lines.append(f"{'layer':<{width}}  grid      channels")
    for name, (h, w, c) in shapes.items():
        lines.append(f"{name:<{width}}  {f'{h}x{w}':<8}  {c}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", nargs="?", help="a model config entry as JSON")
    parser.add_argument("--configfile", help="a workflow config; its model: entry is used")
    parser.add_argument("--size", type=int, help="input size (default: the config's)")
    parser.add_argument("--json", help="compute the table here and write it to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    if args.configfile:
        import yaml

        with open(args.configfile) as f:
            cfg = (yaml.safe_load(f) or {}).get("model", {})
    else:
        cfg = json.loads(args.model or "{}")
    try:
        model = from_config(cfg)
        size = args.size or model.input_size
        if args.json:
            layer_cache.fill(model, size, args.json)
        else:
            print(format_table(model, size))
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
