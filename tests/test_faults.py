"""Faults: killed jobs, failing images, retries and concurrency never lose finished work."""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from actgrid.files import sha256
from workflow_helpers import (
    REPO,
    TINY,
    changed,
    make_workdir,
    planned,
    snakemake,
    write_config,
)

pytestmark = pytest.mark.slow


def _shard_target(workdir, shard):
    """The path of one shard of the tiny config's grid, as the workflow names it."""
    log = snakemake(workdir, "-n")
    return re.findall(r"output: (\S+/shards2/shard%d\.h5)" % shard, log)[0]


def _grids(workdir):
    """The photos that have a grid."""
    return sorted(path.parent.name for path in (workdir / "results/tiny").rglob("grid.png"))


def _wait_for(predicate, seconds=300):
    deadline = time.time() + seconds
    while time.time() < deadline and not predicate():
        time.sleep(0.2)
    assert predicate(), "timed out"


def _optimizing(log: Path) -> bool:
    return log.exists() and "step" in log.read_text(errors="replace")


def _long_shards(workdir):
    config = changed("render", "steps", 1500)
    config["render"]["shared_fraction"] = 0.0  # all steps in the shards
    write_config(workdir, config)


def test_killed_render_reruns_only_the_incomplete_shard(tmp_path):
    workdir = make_workdir(tmp_path, images=["chelsea"])
    _long_shards(workdir)
    # Finish shard 0 alone, then kill the full run while shard 1 is optimizing.
    shard0_target = _shard_target(workdir, 0)
    snakemake(workdir, shard0_target)
    proc = subprocess.Popen(
        ["snakemake", "--cores", "2"],
        cwd=workdir,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    batch_dir = (workdir / shard0_target).parent.parent
    _wait_for(lambda: _optimizing(batch_dir / "shards2/logs/shard1.log"))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    shard0 = batch_dir / "shards2/shard0.h5"
    digest = sha256(shard0)
    assert not (batch_dir / "shards2/shard1.h5").exists()
    assert not list((batch_dir / "shards2").glob(".shard1*"))  # no half-written file left
    snakemake(workdir, "--unlock")
    assert planned(workdir) == {"render_shard": 1, "assemble": 1, "index": 1}
    snakemake(workdir)
    assert sha256(shard0) == digest
    assert _grids(workdir) == ["chelsea"]


def _shard_processes(workdir):
    """Pids of render_shard scripts running in ``workdir``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            cwd = os.readlink(proc / "cwd")
        except (OSError, ValueError):
            continue
        if b"render_shard.py" in cmdline and Path(cwd) == workdir:
            pids.append(int(proc.name))
    return pids


def test_killed_shard_is_retried_as_it_was(tmp_path):
    """A shard SIGKILLed from outside (a crash, the OOM killer): Snakemake retries it with the
    same chunks, so it gives the same bits (a TensorFlow out-of-memory error is the job's own
    to answer with more chunks: tests/test_render.py)."""
    workdir = make_workdir(tmp_path, images=["chelsea"])
    _long_shards(workdir)
    batch_dir = (workdir / _shard_target(workdir, 0)).parent.parent
    log0 = batch_dir / "shards2/logs/shard0.log"
    proc = subprocess.Popen(
        ["snakemake", "--cores", "1"],  # one job at a time: shard 0 runs alone
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    _wait_for(lambda: _optimizing(log0) and _shard_processes(workdir))
    for pid in _shard_processes(workdir):
        os.kill(pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, out[-3000:]
    assert "Trying to restart job" in out
    assert "computed in 1 chunk(s)" in log0.read_text()  # the retry's own log
    assert _grids(workdir) == ["chelsea"]


def _awkward_dataset(workdir):
    """Two good photos with a space and non-ASCII in their names, and a truncated one."""
    images = workdir / "images"
    for path in images.iterdir():
        path.unlink()
    Image.open(REPO / "data/default/chelsea.png").save(images / "my cat.png")
    Image.open(REPO / "data/default/coffee.png").convert("RGB").save(images / "café ☕.jpg")
    data = (REPO / "data/default/astronaut.png").read_bytes()
    (images / "broken.png").write_bytes(data[: len(data) // 3])


def _outputs(workdir):
    return sorted(
        str(p.relative_to(workdir))
        for p in (workdir / "results").rglob("*")
        if p.is_file() and "logs" not in p.parts
    )


def test_failing_image_does_not_stop_the_others(tmp_path):
    """--keep-going: the broken photo fails its batch by name; the other batch finishes, on 1 and
    2 cores alike. Batches of 2 on average: the broken photo shares its batch with the café's,
    the cat is alone in the other."""
    from actgrid import batches

    config = {**TINY, "layers": ["block10_dw_relu", "block7_dw_relu"]}
    config["render"] = {**TINY["render"], "methods": ["naive"], "images_per_job": 2}
    split = sorted(batches.split(["my cat", "café ☕", "broken"], 2).values())
    assert split == [["broken", "café ☕"], ["my cat"]]
    runs = {}
    for cores in (2, 1):
        workdir = make_workdir(tmp_path / f"cores{cores}", images=[])
        _awkward_dataset(workdir)
        write_config(workdir, config)
        log = subprocess.run(
            ["snakemake", "--keep-going", "--cores", str(cores)],
            cwd=workdir,
            capture_output=True,
            text=True,
        )
        assert log.returncode != 0
        runs[cores] = workdir
        assert "Error in rule extract" in log.stderr and "images/broken.png" in log.stderr
        logs = [p.read_text() for p in (workdir / "results/tiny").rglob("extract.log")]
        assert sum("broken.png: not a readable image" in text for text in logs) == 2  # 2 layers
        grids = list((workdir / "results/tiny").rglob("grid.png"))
        assert {g.parent.name for g in grids} == {"my cat"} and len(grids) == 2  # 2 layers
        # finished work is kept and trusted: only the broken batch's jobs are left to run
        assert planned(workdir) == {
            "extract": 2,
            "render_shard": 4,
            "assemble": 2,
            "index": 1,
        }
    assert _outputs(runs[1]) == _outputs(runs[2])  # no file shared, none missing
    for name in _outputs(runs[1]):
        if name.endswith("metrics.json"):
            one, two = (json.loads((runs[c] / name).read_text()) for c in (1, 2))
            assert abs(one["faithfulness"]["mean"] - two["faithfulness"]["mean"]) < 0.02
