"""Planning at scale: what a dry run of a dataset of many photos costs before anything runs.

    python benchmarks/planning.py [--photos 1000 10000] [--atlas-only]

For each count, a copy of the workflow whose one dataset holds that many photos (symbolic links
to the shipped ones, under new names: planning reads names, not pixels) is dry-run with the default
config (``snakemake -n``); it prints the jobs planned, jobs per photo, the dry run's wall seconds
and its peak memory (GNU time's maximum resident set size). ``--atlas-only``: the dataset has
``grids: false`` (its atlas only, ``atlas.images_per_job`` photos a batch).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPY = ["Snakefile", "actgrid", "rules", "scripts", "schemas", "profiles", "envs", "report"]


def workflow_with(folder: Path, photos: int, atlas_only: bool = False) -> Path:
    """A copy of the workflow (default config) whose dataset is ``photos`` linked photos."""
    for name in COPY:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, folder / name)
    config = (REPO / "config.yaml").read_text()
    if atlas_only:
        config = config.replace(
            "images: data/default\n", "images: data/default\n    grids: false\n"
        )
    (folder / "config.yaml").write_text(config)
    images = folder / "data/default"
    images.mkdir(parents=True)
    sources = sorted((REPO / "data/default").glob("*.png"))
    for i in range(photos):
        os.symlink(sources[i % len(sources)], images / f"photo_{i:07d}.png")
    return folder


def dry_run(folder: Path) -> dict:
    """Jobs, seconds and peak MB of ``snakemake -n`` in ``folder``."""
    start = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", "snakemake", "-n", "--cores", "2"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"the dry run failed:\n{done.stderr[-3000:]}")
    out = done.stdout + done.stderr
    jobs = int(re.search(r"^total\s+(\d+)$", out, re.M)[1])
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out)[1])
    return {"jobs": jobs, "seconds": seconds, "peak_mb": peak_kb / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--atlas-only", action="store_true")
    args = parser.parse_args()
    print(f"date {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores")
    print("| photos | jobs | jobs per photo | dry run s | peak MB |")
    print("|---|---|---|---|---|")
    for n in args.photos:
        with tempfile.TemporaryDirectory() as tmp:
            r = dry_run(workflow_with(Path(tmp), n, args.atlas_only))
        print(
            f"| {n} | {r['jobs']} | {r['jobs'] / n:.2f} | {r['seconds']:.1f} | "
            f"{r['peak_mb']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
