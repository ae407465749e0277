"""An atlas of many photos end to end, atlas-only (no grids, no full activations).

    python benchmarks/atlas_scale.py [--photos 100000] [--samples-per-photo 1] [--grid-size 30]
                                     [--workdir DIR] [--cores 2] [--until RULE]

Makes ``--photos`` distinct photos at the model's input size (seeded random crops of the three
shipped photos, mirrored or not, 224×224 JPEGs: as quick to decode as such a dataset gets), and a
copy of the workflow whose one dataset holds them with ``grids: false``, the default config
otherwise (the atlas on, ``--samples-per-photo`` vectors a photo, ``--grid-size`` bins a side).
Dry-runs it (jobs, seconds), runs ``snakemake atlases``, and prints the wall time and, per rule,
its jobs, their seconds (sum, mean) and the largest peak resident memory from Snakemake's
``benchmark:`` files; then the disk the results take and the atlas's figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent))
from atlas import read_benchmark  # noqa: E402
from dataset import COPY, REPO  # noqa: E402

SIDE = 224
RULES = ("atlas_extract", "sample", "layout", "bins", "factorize", "shared", "shard", "atlas")


def _derive(job: tuple[Path, int, int]) -> None:
    out, start, stop = job
    sources = [Image.open(p).convert("RGB") for p in sorted((REPO / "data/default").glob("*.png"))]
    for i in range(start, stop):
        rng = np.random.default_rng(i)
        photo = sources[i % len(sources)]
        w, h = photo.size
        side = rng.uniform(0.3, 1.0) * min(w, h)
        x, y = rng.uniform(0, w - side), rng.uniform(0, h - side)
        crop = photo.crop((x, y, x + side, y + side)).resize((SIDE, SIDE), Image.BILINEAR)
        crop = ImageOps.mirror(crop) if rng.random() < 0.5 else crop
        crop.save(out / f"photo_{i:07d}.jpg", quality=90)


def derive_photos(out: Path, count: int, cores: int) -> None:
    """``count`` photos (kept where already made)."""
    out.mkdir(parents=True, exist_ok=True)
    if len(os.listdir(out)) == count:
        return
    step = -(-count // (cores * 8))
    jobs = [(out, start, min(start + step, count)) for start in range(0, count, step)]
    with ProcessPoolExecutor(cores) as pool:
        list(pool.map(_derive, jobs))


def workflow_copy(workdir: Path, args) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        src, dst = REPO / name, workdir / name
        if src.is_dir():
            subprocess.run(["cp", "-r", str(src), str(workdir)], check=True)
        else:
            dst.write_bytes(src.read_bytes())
    derive_photos(workdir / "photos", args.photos, args.cores)
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["datasets"] = {"bench": {"images": "photos", "grids": False}}
    config["atlas"].update(
        enabled=True, grid_size=args.grid_size, samples_per_photo=args.samples_per_photo
    )
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def snakemake(workdir: Path, *args) -> tuple[str, float]:
    start = time.perf_counter()
    done = subprocess.run(
        ["snakemake", *args], cwd=workdir, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(done.stdout[-3000:] + done.stderr[-3000:])
    return done.stdout + done.stderr, time.perf_counter() - start


def rule_of(path: Path) -> str:
    stage = re.sub(r"\d+$", "", path.stem)
    return "shard" if stage == "shard" else stage


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=100_000)
    ap.add_argument("--samples-per-photo", type=int, default=1)
    ap.add_argument("--grid-size", type=int, default=30)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--until", help="stop after this rule (e.g. atlas_sample: a sample only)")
    args = ap.parse_args()
    until = ["--until", args.until] if args.until else []
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="actgrid_atlas_scale_"))
    start = time.perf_counter()
    workflow_copy(workdir, args)
    print(f"date {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, workdir {workdir}")
    print(f"{args.photos} photos made in {time.perf_counter() - start:.0f} s")
    out, seconds = snakemake(workdir, "-n", "--cores", str(args.cores), "atlases", *until)
    jobs = int(re.search(r"^total\s+(\d+)$", out, re.M)[1])
    print(f"dry run: {jobs} jobs in {seconds:.1f} s")
    _, wall = snakemake(workdir, "--cores", str(args.cores), "atlases", *until)
    print(f"snakemake atlases: {wall:.0f} s wall, {args.photos / wall:.1f} photos/s\n")
    results = workdir / "results/bench"
    found: dict[str, list] = {}
    for path in results.rglob("benchmarks/*.tsv"):
        found.setdefault(rule_of(path), []).append(read_benchmark(path))
    print("| rule | jobs | seconds (sum) | seconds a job | peak RSS MB (max) |")
    print("|---|---|---|---|---|")
    for rule in RULES:
        if rule in found:
            s, rss = np.asarray(found[rule]).T
            print(f"| {rule} | {len(s)} | {s.sum():.0f} | {s.mean():.1f} | {rss.max():.0f} |")
    size = sum(p.stat().st_size for p in results.rglob("*") if p.is_file())
    print(f"\nresults: {size / 1e6:.0f} MB, {size / args.photos / 1e3:.1f} kB a photo")
    for report in results.rglob("atlas.json"):
        r = json.loads(report.read_text())
        print(
            f"{r['samples']} vectors from {r['photos']} photos, {r['bins_filled']} of "
            f"{r['grid'] ** 2} bins filled, faithfulness mean {r['faithfulness']['mean']:.3f}"
        )


if __name__ == "__main__":
    main()
