"""Where models come from: the local model cache, and fetching a URL into it once."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import urllib.request
from pathlib import Path

from actgrid.files import atomic, sha256


class ModelError(ValueError):
    """A model that cannot be used as configured; the message says what to change."""


def cache_dir() -> Path:
    """``$ACTGRID_CACHE``, else ``$XDG_CACHE_HOME/actgrid``, else ``~/.cache/actgrid``."""
    if os.environ.get("ACTGRID_CACHE"):
        return Path(os.environ["ACTGRID_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "actgrid"


def local_file(cfg: dict) -> Path:
    """The model file a config names by ``path`` or ``url``, fetched and verified if needed."""
    expected = cfg.get("sha256")
    if cfg.get("path"):
        path = Path(cfg["path"]).expanduser()
        if not path.exists():
            raise ModelError(f"model.path: {path} does not exist")
        found = sha256(path) if expected else None
        if found != expected:
            raise ModelError(f"model.path: {path} has sha256 {found}, config says {expected}")
        return path
    url = cfg["url"]
    folder = expected or "url-" + hashlib.sha256(url.encode()).hexdigest()[:16]
    target = cache_dir() / "models" / folder / Path(url.split("?")[0]).name
    if not target.exists():
        _download(url, target, expected)
    return target


def _download(url: str, target: Path, expected: str | None) -> None:
    """Fetch ``url`` to ``target`` (atomically) and check its checksum."""
    with atomic(target) as tmp:
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as e:
            raise ModelError(
                f"model.url: could not download {url} ({e}). On a machine without internet, "
                f"download it elsewhere and place it at {target}"
                + (f" (sha256 {expected})" if expected else "")
                + ", or set model.path to a local copy"
            ) from e
        got = sha256(tmp)
        if expected and got != expected:
            raise ModelError(f"model.url: {url} has sha256 {got}, config says {expected}")
    if not expected:
        print(f"model.url: fetched {url}; pin it with sha256: {got}", file=sys.stderr)
