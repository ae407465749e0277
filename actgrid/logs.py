"""Send a job's output to its rule log (before TensorFlow is imported) and report progress."""

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


def set_threads(threads: int) -> None:
    """Let TensorFlow use the job's threads and no more."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(max(1, threads))
    tf.config.threading.set_inter_op_parallelism_threads(max(1, min(2, threads)))
