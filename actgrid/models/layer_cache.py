"""A model's layer table, computed once in a subprocess and cached on disk.

The table (``{"weights_sha256", "layers": [[name, [h, w, c]], ...]}``) needs TensorFlow and the
network, so ``table`` always has it computed by ``python -m actgrid.models.layers --json PATH``
(which calls ``fill``), whether or not the caller has TensorFlow loaded: the Snakefile checks
layer names before any job runs without importing TensorFlow. Tables are kept in
``cache_dir()/layers/``, keyed by the model's settings, its weights and the input size.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from actgrid import files
from actgrid.models.sources import ModelError, cache_dir


def cache_path(model, input_size: int) -> Path:
    """Where ``model``'s table at ``input_size`` is cached."""
    key = json.dumps({**model.cache_key(), "input_size": input_size}, sort_keys=True)
    return cache_dir() / "layers" / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def table(model, input_size: int) -> dict:
    """``model``'s layer table at ``input_size``: from the cache, else computed in a subprocess."""
    path = cache_path(model, input_size)
    if not path.exists():
        cmd = [sys.executable, "-m", "actgrid.models.layers", "--json", str(path)]
        cmd += ["--size", str(input_size), json.dumps(model.cfg)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            last = lines[-1].removeprefix("error: ") if lines else None
            raise ModelError(last or f"listing the layers of {model.name} failed")
    return json.loads(path.read_text())


def fill(model, input_size: int, path) -> None:
    """Compute the table in this process (needs TensorFlow) and write it to ``path`` atomically."""
    data = {
        "weights_sha256": model.checksum_weights(),
        "layers": [[name, list(shape)] for name, shape in model.describe(input_size).items()],
    }
    files.write_json(path, data)
