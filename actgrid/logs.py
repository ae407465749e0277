"""Send a job's output to its rule log (before TensorFlow is imported)."""

from __future__ import annotations

import logging
import os
import sys


def to_log(path: str | None) -> logging.Logger:
    """Redirect stdout/stderr (file descriptors too, for TensorFlow's C++ logs) to ``path``.

    A full disk (``files.DiskFull``, or any error the OS calls that) ends the job with one
    line, in the log and on the console it started from: the log may lie on the full disk.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    console = os.dup(2)
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
    sys.excepthook = _one_line_for_full_disk(console, sys.excepthook)
    return logging.getLogger("actgrid")


def _one_line_for_full_disk(console: int, default):
    from actgrid.files import DiskFull, no_space

    def hook(kind, error, trace):
        if not no_space(error):
            return default(kind, error, trace)
        line = str(error) if isinstance(error, DiskFull) else f"disk full: {error}"
        for fd in (2, console):
            try:
                os.write(fd, f"actgrid: {line}\n".encode())
            except OSError:
                pass  # the log on the full disk: the console still has it
        os._exit(1)  # now: HDF5 would flush the unwritable file again at exit, and crash

    return hook
