"""Send a job's output to its rule log (before TensorFlow is imported)."""

from __future__ import annotations

import logging
import os
import sys


def to_log(path: str | None) -> logging.Logger:
    """Redirect stdout/stderr (file descriptors too, for TensorFlow's C++ logs) to ``path``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
        force=True,
    )
    return logging.getLogger("actgrid")
