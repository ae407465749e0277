"""Run the real workflow from a private copy in a temporary directory, and read its job plans."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ["Snakefile", "rules", "scripts", "schemas", "profiles", "envs", "report"]

TINY = {
    "datasets": {"tiny": {"images": "images"}},
    "model": {"name": "efficientnet_lite0", "input_size": 96, "resize": "stretch"},
    "layers": ["block10_dw_relu"],
    "nmf": {"groups": 3},
    "render": {"tile_size": 24, "steps": 16, "batch_size": 8, "n_shards": 2},
}
# Both methods on chelsea at 128 px: 8×8 cells (the session's shared run, tests/conftest.py).
TWO_METHODS = {
    "datasets": {"tiny": {"images": "images"}},
    "model": {"name": "efficientnet_lite0", "input_size": 128, "resize": "stretch"},
    "layers": ["block10_dw_relu"],
    "nmf": {"groups": 4},
    "render": {
        "methods": ["shared", "naive"],
        "tile_size": 32,
        "steps": 128,
        "batch_size": 32,
        "n_shards": 2,
    },
}


def make_workdir(path: Path, images=("chelsea", "coffee")) -> Path:
    """A copy of the workflow with its own images folder."""
    path.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, path / name)
    (path / "images").mkdir()
    for image in images:
        add_image(path, image)
    return path


def add_image(workdir: Path, image: str) -> None:
    shutil.copy2(REPO / f"data/default/{image}.png", workdir / "images")


def batch_layer(workdir: Path, dataset: str = "tiny", layer: str = "block10_dw_relu") -> Path:
    """The folder of a run's (only) batch at ``layer``: its activations and method folders."""
    (found,) = (workdir / "results" / dataset / "batches").glob(f"*/{layer}/batch_*")
    return found


def grid_folder(layer: Path, groups: str, image: str = "chelsea") -> Path:
    """A photo's grid folder in a batch folder ``layer``, for the one render of ``groups``."""
    (render,) = (layer / groups).glob("W*_*")
    return render / "grids" / image


def write_config(workdir: Path, config: dict) -> None:
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def snakemake(workdir: Path, *args, env=None, check=True, timeout=900):
    cmd = ["snakemake", "--cores", "2", *args]
    done = subprocess.run(
        cmd,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if check:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def job_counts(log: str) -> dict[str, int]:
    """Rule -> number of jobs, from the "Job stats" table Snakemake prints (target rules left out)."""
    if "Job stats:" not in log:
        return {}
    table = log.split("Job stats:", 1)[1].split("total", 1)[0]
    rows = re.findall(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M)
    return {rule: int(n) for rule, n in rows if rule not in ("job", "all", "atlases")}


def planned(workdir: Path, *args) -> dict[str, int]:
    """The jobs a dry run would execute."""
    return job_counts(snakemake(workdir, "-n", *args))


def changed(section: str, key: str, value, base: dict = TINY) -> dict:
    """A copy of ``base`` with one setting changed."""
    config = copy.deepcopy(base)
    config.setdefault(section, {})[key] = value
    return config


def open_page(browser, path):
    """A page showing ``path`` in the browser; the list it returns collects script errors and
    web requests (a page must need nothing but itself)."""
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    problems = []
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on(
        "request",
        lambda r: r.url.startswith(("file:", "data:")) or problems.append(f"request: {r.url}"),
    )
    page.goto(Path(path).as_uri())
    return page, problems
