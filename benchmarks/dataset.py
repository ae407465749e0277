"""Dataset throughput: images per hour, and how much of a run is optimization loop.

    python benchmarks/dataset.py [--images 24] [--steps 128 1024] [--workdir DIR] [--cores 2]

Builds a dataset of ``--images`` photos derived from the three shipped ones (flips and crops,
``derive_photos``), then for each step count runs the whole default workflow on it
(``snakemake --cores 2`` in a fresh copy, default config otherwise) and prints:

- images per hour: photos / wall time of the whole run (extract to index page, atlas included);
- the loops' share of that wall time (each render job's loop, grids' and atlas's, counted by
  the share of the cores it holds: a one-thread job's on 2 cores, half its time), and the rest
  a photo: the fixed cost outside the loops (imports, model builds, tracing, extraction, NMF,
  figures, assembly, the atlas);
- per render job its time outside its loop, the results' bytes a photo (atlas included), and
  per rule its jobs and job seconds a photo.

Job wall times come from the job processes themselves (a ``sitecustomize`` hook on the jobs'
``PYTHONPATH`` records each Snakemake script's start and end); a loop's time from its job's
log: the ``loop:`` line of each phase (the steady time per step after the first call, which
traces, times the steps), or for logs of before 2026-12-02 the median time per step between
their progress lines.
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
LOOP_LINE = re.compile(r"^\S+ \S+ INFO (.*) loop: \d+ steps in ([\d.]+) s at the steady rate")
HOOK = """
import atexit, json, os, sys, time
_start = time.time()
if ".snakemake/scripts/" in (sys.argv[0] if sys.argv else ""):
    def _record():
        smk = getattr(sys.modules.get("__main__"), "snakemake", None)
        with open(os.environ["ACTGRID_BENCH_PROCS"], "a") as f:
            f.write(json.dumps({"script": sys.argv[0], "start": _start, "end": time.time(),
                                "log": list(smk.log) if smk else [],
                                "threads": smk.threads if smk else 1}) + "\\n")
    atexit.register(_record)
"""


def derive_photos(out: Path, count: int, seed: int = 0, suffix: str = ".png") -> list[Path]:
    """``count`` photos from data/default: each photo, its mirror image, and crops of both;
    past the 24 fixed crops, seeded random crops (30-90 % of a side), mirrored or not; as PNG
    (``suffix`` .png) or JPEG at quality 90 (.jpg)."""
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
                path = out / f"{src.stem}_c{box_i}{'_flip' if flip else ''}{suffix}"
                photo.save(path, quality=90)
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
    # a model's and layer's semantic dictionary serves every dataset: not a dataset's cost
    config["dictionary"]["enabled"] = False
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    hook = workdir / "bench_hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    return workdir


def loop_figures(record: dict, workdir: Path) -> dict | None:
    """A render job's wall time, fixed cost and time in the loop, from its record and log.

    A log may hold two phases (phase one and a shard in one job): each is timed on its own,
    from its ``loop:`` line (the steady time of its steps; logs of before 2026-12-02 have none:
    then the median time per step between its progress lines, times its steps).
    """
    phases: dict[str, list] = {}
    loops = {}
    for log in record["log"]:
        for line in (workdir / log).read_text().splitlines() if (workdir / log).exists() else []:
            m = STEP_LINE.match(line)
            if m:
                stamp = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                phases.setdefault(m[2], []).append((stamp, int(m[3]), int(m[4])))
            m = LOOP_LINE.match(line)
            if m:
                loops[m[1]] = float(m[2])
    for label, points in phases.items():
        if label not in loops:
            pairs = list(zip(points, points[1:]))
            per_step = (
                statistics.median((t1 - t0) / (s1 - s0) for (t0, s0, _), (t1, s1, _) in pairs)
                if pairs
                else (points[0][0] - record["start"]) / points[0][1]
            )
            loops[label] = per_step * points[-1][2]
    if not loops:
        return None
    loop = sum(loops.values())
    return {
        "wall": record["end"] - record["start"],
        "fixed": record["end"] - record["start"] - loop,
        "loop": loop,
        "threads": record.get("threads"),  # None: runs of before 2026-12-06, all cores
    }


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


def summary(workdir: Path, cores: int) -> str:
    """Figures of a finished run in ``workdir``: throughput, the loops' share of the whole
    run's wall time, the fixed cost a photo (wall time outside the loops) and each rule's jobs
    and job seconds a photo."""
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
        if "render" in rule
        for fig in (loop_figures(rec, workdir) for rec in recs)
        if fig
    ]
    # a loop's share of the machine: its job's cores of all (two 1-thread jobs side by side on
    # 2 cores each hold half of it), so the loops' times add up to wall time at most
    loop = sum(r["loop"] * min(r["threads"] or cores, cores) / cores for r in render)
    fixed = statistics.mean(r["fixed"] for r in render)
    per_rule = {
        rule: f"{len(recs)} jobs, {sum(r['end'] - r['start'] for r in recs) / photos:.2f} s/photo"
        for rule, recs in sorted(jobs.items())
    }
    disk = sum(f.stat().st_size for f in (workdir / "results").rglob("*") if f.is_file())
    return (
        f"{wall:7.1f} s, {photos * 3600 / wall:6.1f} images/hour; loops {loop:.0f} s = "
        f"{100 * loop / wall:4.1f} % of the run's wall time; outside them "
        f"{(wall - loop) / photos:.2f} s a photo; {len(render)} render jobs, "
        f"{fixed:4.1f} s of each outside its loop (mean); results {disk / photos / 1e6:.2f} MB a "
        f"photo; jobs {json.dumps(per_rule)}"
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
        print(f"steps {steps:5d}: {summary(workdir, args.cores)}", flush=True)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
