"""Dataset throughput: images per hour, render jobs' fixed cost and the share of their time in
the optimization loop.

    python benchmarks/dataset.py [--images 24] [--steps 128 1024] [--workdir DIR] [--cores 2]

Builds a dataset of ``--images`` photos derived from the three shipped ones (flips and crops,
``derive_photos``), then for each step count runs the whole default workflow on it
(``snakemake --cores 2`` in a fresh copy, default config otherwise) and prints:

- images per hour: photos / wall time of the whole run (extract to index page);
- per render job (every job whose rule starts with ``render``): its process wall time, its
  fixed cost (process start to its first optimization step: imports, model build, tracing) and
  the share of its wall time spent inside the optimization loop.

Job wall times come from the job processes themselves (a ``sitecustomize`` hook on the jobs'
``PYTHONPATH`` records each Snakemake script's start and end); the loop time from the job's log,
whose progress lines carry millisecond timestamps: the steady time per step (median over the
16-step calls after the first, which also traces) times the steps. The same measurement works
for any version of the workflow whose render logs print ``step k/N`` lines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[1]
COPY = [
    "Snakefile",
    "actgrid",
    "rules",
    "scripts",
    "schemas",
    "profiles",
    "envs",
    "report",
    "config.yaml",
]
STEP_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO (.*) step (\d+)/(\d+) ")
HOOK = """
import atexit, json, os, sys, time
_start = time.time()
if ".snakemake/scripts/" in (sys.argv[0] if sys.argv else ""):
    def _record():
        smk = getattr(sys.modules.get("__main__"), "snakemake", None)
        with open(os.environ["ACTGRID_BENCH_PROCS"], "a") as f:
            f.write(json.dumps({"script": sys.argv[0], "start": _start, "end": time.time(),
                                "log": list(smk.log) if smk else []}) + "\\n")
    atexit.register(_record)
"""


def derive_photos(out: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` photos from data/default: each photo, its mirror image, and crops of both;
    past the 24 fixed crops, seeded random crops (30-90 % of a side), mirrored or not."""
    sources = sorted((REPO / "data/default").glob("*.png"))
    boxes = [(0, 0, 1, 1), (0, 0, 0.8, 0.8), (0.2, 0.2, 1, 1), (0.1, 0.1, 0.9, 0.9)]
    rng = np.random.default_rng(seed)
    while len(boxes) * 2 * len(sources) < count:
        side = rng.uniform(0.3, 0.9)
        x, y = rng.uniform(0, 1 - side, 2)
        boxes.append((x, y, x + side, y + side))
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for box_i, box in enumerate(boxes):
        for flip in (False, True):
            for src in sources:
                if len(made) == count:
                    return made
                photo = Image.open(src).convert("RGB")
                w, h = photo.size
                photo = photo.crop((box[0] * w, box[1] * h, box[2] * w, box[3] * h))
                photo = ImageOps.mirror(photo) if flip else photo
                path = out / f"{src.stem}_c{box_i}{'_flip' if flip else ''}.png"
                photo.save(path)
                made.append(path)
    return made


def workflow_copy(workdir: Path, photos: int, steps: int) -> Path:
    workdir.mkdir(parents=True)
    for name in COPY:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, workdir / name)
    derive_photos(workdir / "photos", photos)
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["datasets"] = {"bench": {"images": "photos"}}
    config["render"]["steps"] = steps
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    hook = workdir / "bench_hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    return workdir


def loop_figures(record: dict, workdir: Path) -> dict | None:
    """A render job's wall time, fixed cost and time in the loop, from its record and log.

    A log may hold two phases (phase one and a shard in one job): each is timed on its own.
    """
    phases: dict[str, list] = {}
    for log in record["log"]:
        for line in (workdir / log).read_text().splitlines() if (workdir / log).exists() else []:
            m = STEP_LINE.match(line)
            if m:
                stamp = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                phases.setdefault(m[2], []).append((stamp, int(m[3]), int(m[4])))
    if not phases:
        return None
    loop, first = 0.0, None
    for points in phases.values():
        pairs = list(zip(points, points[1:]))
        per_step = (
            statistics.median((t1 - t0) / (s1 - s0) for (t0, s0, _), (t1, s1, _) in pairs)
            if pairs
            else (points[0][0] - record["start"]) / points[0][1]
        )
        loop += per_step * points[-1][2]
        if first is None:
            first = points[0][0] - record["start"] - per_step * points[0][1]
    return {"wall": record["end"] - record["start"], "fixed": first, "loop": loop}


def run(workdir: Path, cores: int) -> None:
    """Run the workflow in ``workdir``, recording its wall time in wall.txt."""
    env = {
        **os.environ,
        # the hook, then this checkout's actgrid (before any installed one)
        "PYTHONPATH": f"{workdir / 'bench_hook'}:{REPO}:{os.environ.get('PYTHONPATH', '')}",
        "ACTGRID_BENCH_PROCS": str(workdir / "procs.jsonl"),
    }
    start = time.perf_counter()
    done = subprocess.run(
        ["snakemake", "--cores", str(cores)], cwd=workdir, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    (workdir / "wall.txt").write_text(f"{time.perf_counter() - start:.3f}\n")


def summary(workdir: Path) -> str:
    """One line of figures for a finished run in ``workdir``."""
    records = [json.loads(line) for line in (workdir / "procs.jsonl").read_text().splitlines()]
    wall = float((workdir / "wall.txt").read_text())
    photos = len(list((workdir / "photos").iterdir()))
    jobs = {}
    for record in records:
        rule = Path(record["script"]).name.split(".")[-2]
        jobs.setdefault(rule, []).append(record)
    render = [
        fig
        for rule, recs in jobs.items()
        if rule.startswith("render")
        for fig in (loop_figures(rec, workdir) for rec in recs)
        if fig
    ]
    job_wall = sum(r["wall"] for r in render)
    loop = sum(r["loop"] for r in render)
    fixed = statistics.mean(r["fixed"] for r in render)
    counts = {rule: len(recs) for rule, recs in sorted(jobs.items())}
    return (
        f"{wall:7.1f} s, {photos * 3600 / wall:6.1f} images/hour; "
        f"{len(render)} render jobs, fixed cost {fixed:4.1f} s a job (mean), "
        f"loop {100 * loop / job_wall:4.1f} % of render-job time ({loop:.0f} of {job_wall:.0f} s); "
        f"jobs {json.dumps(counts)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--steps", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the workflow copies")
    args = parser.parse_args()
    base = args.workdir or Path(tempfile.mkdtemp(prefix="actgrid-dataset-"))
    print(f"{args.images} photos, --cores {args.cores}, workflow at {REPO}", flush=True)
    for steps in args.steps:
        workdir = workflow_copy(base / f"steps{steps}", args.images, steps)
        run(workdir, args.cores)
        print(f"steps {steps:5d}: {summary(workdir)}", flush=True)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
