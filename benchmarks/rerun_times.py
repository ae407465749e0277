"""Wall time of a full run, a no-op rerun and a render-only rerun of the default dataset.

    python benchmarks/rerun_times.py [--workdir DIR] [--cores 2]

Works in a fresh copy of the workflow (in DIR, or a temporary folder) with the default
config.yaml, so the repository's own results/ are not touched. Prints one line per run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPY = ["Snakefile", "rules", "scripts", "schemas", "profiles", "envs", "config.yaml", "data"]


def timed(workdir: Path, cores: int, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        ["snakemake", "--cores", str(cores), *args], cwd=workdir, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return time.perf_counter() - start, done.stdout + done.stderr


def jobs(log: str) -> str:
    if "Job stats:" not in log:
        return "no jobs"
    table = log.split("Job stats:", 1)[1].split("total", 1)[0].splitlines()[3:]
    return ", ".join(" ".join(line.split()) for line in table if line.strip())


def workflow_copy(workdir: Path | None) -> Path:
    """A copy of the workflow with the default config (in ``workdir`` or a temporary folder)."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="actgrid-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        src, dst = REPO / name, workdir / name
        if not dst.exists():
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
    return workdir


def parse_args(doc: str) -> argparse.Namespace:
    """``--workdir`` (a copy of the workflow is made there) and ``--cores``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    args.workdir = workflow_copy(args.workdir)
    return args


def main() -> None:
    args = parse_args(__doc__)
    workdir = args.workdir
    (workdir / "seed1.yaml").write_text("render:\n  seed: 1\n")
    runs = [
        ("full run", []),
        ("no-op rerun", []),
        ("render-only rerun (render.seed 0 -> 1)", ["--configfile", "config.yaml", "seed1.yaml"]),
        ("switch back (render.seed 1 -> 0)", []),
    ]
    print(f"workdir {workdir}, --cores {args.cores}")
    for label, extra in runs:
        seconds, log = timed(workdir, args.cores, *extra)
        print(f"{label:42s} {seconds:8.1f} s   jobs: {jobs(log)}", flush=True)


if __name__ == "__main__":
    main()
