"""Time and peak memory of each atlas stage, on a dataset of photos derived from the shipped ones.

    python benchmarks/atlas.py [--photos 120] [--grid-size 20] [--workdir DIR] [--cores 2]

Builds (or reuses) a copy of the workflow in ``--workdir`` whose one dataset holds ``--photos``
photos (``dataset.derive_photos``: the three shipped photos, their mirror images and crops; 3 is
the default dataset itself), the default config otherwise with the atlas on and ``--grid-size``
bins a side. Runs ``snakemake atlases`` (extracting what is missing), forcing every atlas stage
to rerun, and prints each stage's wall seconds and peak resident memory (MB) as Snakemake's
``benchmark:`` files of the atlas rules recorded them, then the sample's size and the atlas's
figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import COPY, REPO, derive_photos  # noqa: E402

STAGES = ("sample", "layout", "bins", "factorize", "shared", "shard0", "atlas")


def workflow_copy(workdir: Path, photos: int, grid_size: int) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    for name in COPY:  # this checkout's workflow; results already there are kept
        src, dst = REPO / name, workdir / name
        shutil.copytree(src, dst, dirs_exist_ok=True) if src.is_dir() else shutil.copy2(src, dst)
    if photos == 3:
        shutil.copytree(REPO / "data/default", workdir / "photos", dirs_exist_ok=True)
    else:
        derive_photos(workdir / "photos", photos)
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["datasets"] = {"bench": {"images": "photos"}}
    config["atlas"].update(enabled=True, grid_size=grid_size)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def read_benchmark(path: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) from a Snakemake benchmark file."""
    header, values = path.read_text().splitlines()[:2]
    row = dict(zip(header.split("\t"), values.split("\t")))
    return float(row["s"]), float(row["max_rss"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=120)
    ap.add_argument("--grid-size", type=int, default=20)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="actgrid_atlas_"))
    workflow_copy(workdir, args.photos, args.grid_size)
    cmd = ["snakemake", "--cores", str(args.cores), "atlases", "--forcerun", "atlas_sample"]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(done.stdout[-3000:] + done.stderr[-3000:])
    atlas_dir = next((workdir / "results/bench/atlas").glob("*/*"))
    print(f"{args.photos} photos, {args.grid_size}×{args.grid_size} bins, workdir {workdir}")
    print(f"snakemake atlases (extracting what was missing): {wall:.0f} s wall\n")
    print("| stage | seconds | peak RSS (MB) |\n|---|---|---|")
    for stage in STAGES:
        for path in sorted(atlas_dir.rglob(f"benchmarks/{stage}.tsv")):
            seconds, rss = read_benchmark(path)
            where = path.parent.parent.relative_to(atlas_dir)
            label = stage if where == Path(".") else f"{stage} ({where.parts[0]})"
            print(f"| {label} | {seconds:.1f} | {rss:.0f} |")
    for report in sorted(atlas_dir.rglob("atlas.json")):
        r = json.loads(report.read_text())
        print(
            f"\n{report.parent.relative_to(atlas_dir)}: {r['samples']} vectors from {r['photos']} "
            f"photos, {r['bins_filled']} bins filled, faithfulness mean "
            f"{r['faithfulness']['mean']:.3f} (most typical patches "
            f"{r['faithfulness_photo']['mean']:.3f})"
        )


if __name__ == "__main__":
    main()
