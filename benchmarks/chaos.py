"""Chaos: killed jobs, a power cut and a full disk, each resumed with the documented commands
and compared with a clean run, file by file.

    python benchmarks/chaos.py [--photos 24] [--kill-fraction 0.1] [--slurm] [--seed 0]

Local executor (``snakemake --cores 2``): ``kill`` SIGKILLs a random share of the jobs as they
run; ``power`` SIGKILLs the controller and every job at once, part way; ``disk`` puts the results
on a tmpfs (root only) half the size they need, then makes room. With ``--slurm``, on a real
single-node SLURM (tests/slurm_cluster.py): ``slurm-controller`` SIGKILLs the controller mid-run
(its jobs go on), ``slurm-scancel`` cancels a running render job. Each is resumed as
docs/workflow.md says: ``snakemake --unlock``, then the same command, until it succeeds.

Per scenario it prints: jobs killed (for ``disk``: the jobs it failed), resumes needed, outputs compared, byte-identical, missing,
extra, unreadable, temporary files left, and the failures the controller's log named in a line.
Outputs are every file under the results but the rule logs and Snakemake's benchmark files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = ["Snakefile", "actgrid", "rules", "scripts", "schemas", "profiles", "envs", "report"]
CHEAP = {  # seconds a job, not minutes: the faults matter here, not the pictures
    "model": {"name": "efficientnet_lite0", "input_size": 96, "resize": "stretch"},
    "layers": ["block10_dw_relu"],
    "nmf": {"groups": 3},
    "render": {"tile_size": 24, "steps": 48, "batch_size": 8, "n_shards": 2, "images_per_job": 6},
    "atlas": {"enabled": True, "grid_size": 6, "min_count": 2},
}
TEMP_FILE = re.compile(r"^\..*\.tmp\d+")
FAILURE_LINE = re.compile(r"^(Error in rule \w+:|actgrid: disk full: .*)$", re.M)


def workflow_copy(folder: Path, photos: list[Path], config: dict, results="results") -> Path:
    """A copy of the workflow with ``photos`` as its one dataset and ``config`` (CHEAP)."""
    import yaml

    folder.mkdir(parents=True)
    for name in WORKFLOW:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, folder / name)
    (folder / "images").mkdir()
    for photo in photos:
        shutil.copy2(photo, folder / "images")
    config = {"datasets": {"chaos": {"images": "images"}}, "results": results, **config}
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


def outputs(results: Path) -> dict[str, str]:
    """Every output under ``results`` (rule logs and benchmark files aside) and its sha256."""
    return {
        str(p.relative_to(results)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(results.rglob("*"))
        if p.is_file() and not {"logs", "benchmarks"} & set(p.relative_to(results).parts)
    }


def readable(path: Path) -> bool:
    """Whether a file opens as what its name says, every array read."""
    try:
        if path.suffix == ".h5":
            with h5py.File(path, "r") as f:
                f.visititems(lambda _, o: o[()] if isinstance(o, h5py.Dataset) else None)
        elif path.suffix in (".png", ".jpg"):
            Image.open(path).load()
        elif path.suffix == ".json":
            json.loads(path.read_text())
        else:
            path.read_text(encoding="utf-8")
        return True
    except Exception:
        return False


def compare(clean: dict[str, str], results: Path) -> dict:
    """This run's outputs against the clean run's: counts of each way they can differ."""
    found = outputs(results)
    return {
        "outputs": len(clean),
        "identical": sum(found.get(k) == v for k, v in clean.items()),
        "missing": len(clean.keys() - found.keys()),
        "extra": len(found.keys() - clean.keys()),
        "unreadable": sum(not readable(results / k) for k in found),
        "temp files": sum(bool(TEMP_FILE.match(p.name)) for p in results.rglob("*")),
    }


class Controller:
    """A Snakemake run in its own session (so a power cut takes it and all its jobs)."""

    def __init__(self, workdir: Path, args: list[str], env=None):
        self.workdir = workdir
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            ["snakemake", *args],
            cwd=workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout=3600) -> str:
        self.proc.wait(timeout)
        return Path(self.log.name).read_text(errors="replace")

    def power_cut(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def job_pids(workdir: Path) -> list[int]:
    """Running jobs of a run in ``workdir``: the Python processes of the rule scripts (not
    the shells Snakemake starts them from)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            script = len(argv) > 1 and b".snakemake/scripts/" in argv[1]
            if script and os.path.basename(argv[0]).startswith(b"python"):
                if Path(os.readlink(proc / "cwd")) == workdir:
                    pids.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return pids


def planned_jobs(workdir: Path, args: list[str], env=None) -> int:
    done = subprocess.run(
        ["snakemake", "-n", *args], cwd=workdir, capture_output=True, text=True, env=env
    )
    match = re.search(r"^total\s+(\d+)", done.stdout, re.M)
    return int(match[1]) if match else 0


def resume(workdir: Path, args: list[str], env=None, tries: int = 5) -> tuple[int, str]:
    """The documented resume: ``snakemake --unlock``, then the same command until it succeeds,
    with ``--rerun-incomplete`` once Snakemake asks for it (outputs of jobs that finished after
    their controller died). Returns how many runs it took and their logs."""
    logs, extra = "", []
    for n in range(1, tries + 1):
        subprocess.run(["snakemake", "--unlock"], cwd=workdir, capture_output=True, env=env)
        run = Controller(workdir, [*args, *extra], env)
        log = run.wait()
        logs += log
        if run.proc.returncode == 0:
            return n, logs
        if "--rerun-incomplete" in log:
            extra = ["--rerun-incomplete"]
    raise RuntimeError(f"{workdir}: not complete after {tries} resumes:\n{logs[-3000:]}")


def kill_jobs(workdir: Path, args: list[str], fraction: float, rng: random.Random) -> tuple:
    """SIGKILL ``fraction`` of the planned jobs (at least one), each a moment (0.1-1 s) after it
    starts: every few job starts, until that many are dead."""
    total = planned_jobs(workdir, args)
    n_kill = max(1, math.ceil(fraction * total))
    every = max(1, round(0.3 / fraction)) if fraction > 0 else 1  # often enough to reach n_kill
    run, seen, due, killed = Controller(workdir, ["--keep-going", *args]), set(), {}, 0
    while run.running():
        now = time.time()
        for pid in job_pids(workdir):
            if pid not in seen:
                seen.add(pid)
                if len(seen) % every == 0 and killed + len(due) < n_kill:
                    due[pid] = now + rng.uniform(0.1, 1.0)
        for pid, when in list(due.items()):
            if now >= when:
                del due[pid]
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:  # it finished first: another start takes its place
                    pass
        time.sleep(0.05)
    return killed, run.wait()


def cut_power(workdir: Path, args: list[str], after: float) -> tuple:
    run = Controller(workdir, args)
    time.sleep(after)
    jobs = len(job_pids(workdir))
    run.power_cut()
    return jobs + 1, run.wait()  # every running job and the controller


def fill_disk(workdir: Path, args: list[str], mount: Path, size: int) -> tuple:
    """Results on a tmpfs of ``size`` bytes: run until it is full, then make room."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    log = Controller(workdir, ["--keep-going", *args]).wait()
    subprocess.run(["mount", "-o", f"remount,size={8 * size}", str(mount)], check=True)
    return len(re.findall(r"^Error in rule", log, re.M)), log  # the jobs the full disk failed


def scenario(name, clean, workdir, results, args, make_fault, env=None) -> dict:
    start = time.time()
    killed, log = make_fault()
    resumes, resumed = resume(workdir, args, env)
    figures = {
        "scenario": name,
        "jobs killed": killed,
        "resumes": resumes,
        **compare(clean, results),
    }
    lines = FAILURE_LINE.findall(log + resumed)
    figures["failures named"] = len(lines)
    figures["disk full lines"] = sum(line.startswith("actgrid: disk full") for line in lines)
    figures["raw tracebacks of errno 28"] = (log + resumed).count("[Errno 28]")
    figures["asked for --rerun-incomplete"] = "--rerun-incomplete" in resumed
    figures["seconds"] = round(time.time() - start)
    print(json.dumps(figures), flush=True)
    return figures


def local_scenarios(folder: Path, photos, kinds, fraction, rng, config=CHEAP) -> list[dict]:
    """The clean run and each of ``kinds`` (kill, power, disk) under the local executor."""
    args = ["--cores", "2"]
    clean_dir = workflow_copy(folder / "clean", photos, config)
    start = time.time()
    log = Controller(clean_dir, args).wait()
    clean_seconds = time.time() - start
    if "steps (100%) done" not in log:
        raise RuntimeError(f"the clean run failed:\n{log[-3000:]}")
    clean = outputs(clean_dir / "results")
    size = sum((clean_dir / "results" / k).stat().st_size for k in clean)
    rows = [{"scenario": "clean", "outputs": len(clean), "seconds": round(clean_seconds)}]
    print(json.dumps(rows[-1]), flush=True)
    for kind in kinds:
        if kind == "kill":
            w = workflow_copy(folder / kind, photos, config)
            fault = lambda: kill_jobs(w, args, fraction, rng)  # noqa: E731
            rows.append(scenario(kind, clean, w, w / "results", args, fault))
        elif kind == "power":
            w = workflow_copy(folder / kind, photos, config)
            fault = lambda: cut_power(w, args, 0.45 * clean_seconds)  # noqa: E731
            rows.append(scenario(kind, clean, w, w / "results", args, fault))
        elif kind == "disk":  # the tmpfs mounted on the results folder: the same paths
            w = workflow_copy(folder / kind, photos, config)
            mount = w / "results"
            mount.mkdir()
            fault = lambda: fill_disk(w, args, mount, size // 2)  # noqa: E731
            try:
                rows.append(scenario(kind, clean, w, mount, args, fault))
            finally:
                subprocess.run(["umount", str(mount)])
    return rows


def slurm_scenarios(folder: Path, photos: list[Path], rng) -> list[dict]:
    sys.path.insert(0, str(REPO / "tests"))
    from slurm_cluster import SingleNodeSlurm

    args = ["--profile", "profiles/slurm", "--seconds-between-status-checks", "3"]
    args += ["--slurm-init-seconds-before-status-checks", "3"]
    cluster = SingleNodeSlurm(folder / "slurm")
    cluster.start()
    try:
        env = cluster.env
        clean_dir = workflow_copy(folder / "slurm-clean", photos, CHEAP)
        start = time.time()
        log = Controller(clean_dir, args, env).wait()
        clean_seconds = time.time() - start
        if "steps (100%) done" not in log:
            raise RuntimeError(f"the clean SLURM run failed:\n{log[-3000:]}")
        clean = outputs(clean_dir / "results")
        rows = [{"scenario": "slurm clean", "outputs": len(clean), "seconds": round(clean_seconds)}]
        print(json.dumps(rows[-1]), flush=True)

        w = workflow_copy(folder / "slurm-controller", photos, CHEAP)

        def kill_controller():
            run = Controller(w, args, env)
            time.sleep(0.5 * clean_seconds)
            run.proc.send_signal(signal.SIGKILL)  # the controller only: its jobs run on
            return 1, run.wait()

        rows.append(
            scenario("slurm-controller", clean, w, w / "results", args, kill_controller, env)
        )

        w2 = workflow_copy(folder / "slurm-scancel", photos, CHEAP)

        def cancel_render_job():
            run = Controller(w2, args, env)
            cancelled = 0
            while run.running() and not cancelled:
                table = cluster.run("squeue", "-h", "-t", "R", "-o", "%i|%k").stdout.split()
                renders = [row.split("|")[0] for row in table if "render" in row]
                if renders:
                    time.sleep(rng.uniform(1, 4))
                    cluster.run("scancel", rng.choice(renders))
                    cancelled = 1
                time.sleep(0.5)
            return cancelled, run.wait()

        rows.append(
            scenario("slurm-scancel", clean, w2, w2 / "results", args, cancel_render_job, env)
        )
        return rows
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--kill-fraction", type=float, default=0.1)
    parser.add_argument(
        "--scenarios", default="kill,power,disk", help="local ones, comma-separated"
    )
    parser.add_argument("--slurm", action="store_true", help="also the SLURM scenarios")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from dataset import derive_photos

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        photos = derive_photos(folder / "photos", args.photos)
        kinds = [k for k in args.scenarios.split(",") if k]
        rows = local_scenarios(folder, photos, kinds, args.kill_fraction, rng) if kinds else []
        if args.slurm:
            rows += slurm_scenarios(folder, photos, rng)
    print(f"date {time.strftime('%Y-%m-%d')}, {args.photos} photos, {os.cpu_count()} cores")
    for row in rows:
        print(json.dumps(row))  # again, together


if __name__ == "__main__":
    main()
