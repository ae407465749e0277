"""GPU slots and GPU memory, tested on a CPU machine through the device query's stand-in.

``ACTGRID_FAKE_GPUS`` stands in for ``nvidia-smi``; TensorFlow's own GPU list is replaced in a
subprocess. Everything on our side of those two boundaries runs for real: slot planning, the
file locks between real processes (SIGKILL included), the render job script, Snakemake.
"""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from actgrid import devices

REPO = Path(__file__).resolve().parents[1]


def test_slots_from_the_device_query_or_visible_devices(monkeypatch, tmp_path):
    cfg = {"ids": "auto", "jobs_per_gpu": 2, "lock_dir": str(tmp_path)}
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv(devices.FAKE_VAR, "0,1")
    assert devices.plan_slots(cfg)["slots"] == ["0:0", "0:1", "1:0", "1:1"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")  # the user's choice of GPUs wins
    assert devices.plan_slots({**cfg, "jobs_per_gpu": 1})["slots"] == ["3:0", "5:0"]
    assert devices.plan_slots({**cfg, "ids": [2]})["slots"] == ["2:0", "2:1"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert devices.plan_slots(cfg) is None  # no GPU visible: CPU only
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    monkeypatch.setenv(devices.FAKE_VAR, "")
    assert devices.plan_slots(cfg) is None


HOLDER = """
import logging, sys, time
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
from actgrid import devices
print("slot", devices.acquire_slot(wait=0.05), flush=True)
time.sleep(60)
"""


def _holder(env):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER], env=env, stdout=subprocess.PIPE, text=True
    )
    return proc


def _slot_of(proc) -> str:
    for line in proc.stdout:
        if line.startswith("slot "):
            return line.split()[1]
    raise AssertionError("the holder ended without a slot")


def test_slots_are_exclusive_between_processes_and_freed_by_sigkill(tmp_path):
    plan = {"slots": ["0:0", "1:0"], "lock_dir": str(tmp_path)}
    env = {**os.environ, devices.SLOTS_VAR: json.dumps(plan), "PYTHONPATH": str(REPO)}
    first, second = _holder(env), _holder(env)
    try:
        held = {_slot_of(first), _slot_of(second)}
        assert held == {"0:0", "1:0"}
        third = _holder(env)  # every slot taken: it waits
        time.sleep(1.5)
        assert third.poll() is None
        assert "waiting" in third.stdout.readline()
        first.send_signal(signal.SIGKILL)  # the kernel drops the killed holder's lock
        first.wait()
        assert _slot_of(third) in held
    finally:
        for proc in (first, second, locals().get("third")):
            if proc:
                proc.kill()
                proc.wait()


FAKE_TF_GPUS = """
import json, sys, types
import tensorflow as tf
from tensorflow.python.eager import context

calls = []
fake = [tf.config.PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(2)]
real_list = tf.config.list_physical_devices
tf.config.list_physical_devices = lambda kind=None: fake if kind == "GPU" else real_list(kind)
tf.config.experimental.set_memory_growth = lambda device, on: calls.append(
    ["growth", device.name, on, context.context()._initialized]
)
tf.config.set_logical_device_configuration = lambda device, cfg: calls.append(
    ["limit", device.name, cfg[0].memory_limit, context.context()._initialized]
)

from snakemake.iocontainers import Namedlist

args = json.loads(sys.argv[1])
snakemake = types.SimpleNamespace(
    log=[args["log"]],
    threads=1,
    params=types.SimpleNamespace(settings=args["params"]),
    input=Namedlist(fromdict={"targets": args["activations"]}),
    output=[args["out"]],
    resources=types.SimpleNamespace(
        chunk_cells=256, retries=0, gpu_memory_mb=args["limit"] or 0, model_source='{"input_size": 96}'
    ),
)
exec(compile(open(args["script"]).read(), args["script"], "exec"))
with open(args["result"], "w") as f:  # stdout now goes to the job's log
    json.dump({"calls": calls, "initialized": context.context()._initialized}, f)
"""


@pytest.mark.parametrize("limit", [None, 512])
def test_render_job_limits_gpu_memory_before_tensorflow_starts(tmp_path, limit):
    """The real render_shard script, with TensorFlow's GPU list replaced by two fake GPUs."""
    from test_numerics import PARAMS, _activations

    from actgrid.models import from_config

    acts = _activations(tmp_path / "activations.h5", from_config(input_size=96), name="photo")
    args = {
        "script": str(REPO / "scripts/render_shard.py"),
        "log": str(tmp_path / "shard.log"),
        "out": str(tmp_path / "shard0.h5"),
        "activations": str(acts),
        "limit": limit,
        "result": str(tmp_path / "result.json"),
        "params": {
            "render": {**PARAMS.as_dict(), "steps": 2},
            "images": ["photo"],
            "shard": 0,
            "n_shards": 1,
        },
    }
    done = subprocess.run(
        [sys.executable, "-c", FAKE_TF_GPUS, json.dumps(args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    log = Path(args["log"])
    assert done.returncode == 0, done.stderr[-2000:] + (log.read_text() if log.exists() else "")
    result = json.loads(Path(args["result"]).read_text())
    kind, value = ("limit", 512) if limit else ("growth", True)
    assert result["calls"] == [
        [kind, f"/physical_device:GPU:{i}", value, False] for i in range(2)
    ]  # every GPU, each before TensorFlow's runtime started
    assert result["initialized"]  # and then the job ran
    assert (tmp_path / "shard0.h5").exists()


def _stamp(line: str) -> float:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()


def _render_logs(workdir: Path) -> list[Path]:
    """The logs of the render jobs (the shared phase's and the shards')."""
    logs = (workdir / "results").rglob("batches/**/logs/*.log")
    return [log for log in logs if log.stem == "shared" or log.stem.startswith("shard")]


def _job_records(workdir: Path) -> list[dict]:
    """Each render job's slot, CUDA_VISIBLE_DEVICES, and when it took the slot and finished."""
    records = []
    for log in _render_logs(workdir):
        lines = log.read_text().splitlines()
        slot = [line for line in lines if "GPU slot" in line and "acquired" in line]
        visible = [line for line in lines if " INFO CUDA_VISIBLE_DEVICES=" in line]
        wrote = [line for line in lines if " INFO wrote " in line]
        assert slot and visible and wrote, f"{log}: {lines[-5:]}"
        records.append(
            {
                "log": log,
                "slot": slot[0].split("GPU slot ")[1].split()[0],
                "visible": visible[0].rsplit("=", 1)[1],
                "start": _stamp(slot[0]),
                "end": _stamp(wrote[-1]),
            }
        )
    return records


@pytest.mark.slow
def test_concurrent_render_jobs_hold_distinct_gpu_slots(tmp_path):
    """Two fake GPUs, six render jobs, one of them SIGKILLed while it holds a slot."""
    import h5py
    from workflow_helpers import changed, make_workdir, write_config

    workdir = make_workdir(tmp_path / "wf")
    write_config(workdir, changed("render", "images_per_job", 1))  # 2 batches × 3 render jobs
    lock_dir = tmp_path / "locks"
    env = {**os.environ, devices.FAKE_VAR: "0,1"}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    (workdir / "gpus.yaml").write_text(f"gpus:\n  lock_dir: {lock_dir}\n")
    proc = subprocess.Popen(
        ["snakemake", "--cores", "6", "--configfile", "config.yaml", "gpus.yaml"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    killed = None
    deadline = time.time() + 600
    while killed is None and time.time() < deadline and proc.poll() is None:
        for log in _render_logs(workdir):
            line = next((x for x in log.read_text().splitlines() if "acquired" in x), None)
            if line:
                pid = int(line.rsplit("pid ", 1)[1].rstrip(")"))
                os.kill(pid, signal.SIGKILL)
                killed = {"slot": line.split("GPU slot ")[1].split()[0], "time": time.time()}
                break
        time.sleep(0.1)
    out = proc.communicate(timeout=900)[0]
    assert proc.returncode == 0, out[-3000:]
    assert killed, "no render job took a slot"

    records = _job_records(workdir)
    assert len(records) == 6
    for r in records:  # each job computed on its slot's GPU and recorded it in its output
        assert r["visible"] == r["slot"].split(":")[0]
        with h5py.File(r["log"].parent.parent / (r["log"].stem + ".h5"), "r") as f:
            assert f.attrs["cuda_visible_devices"] == r["visible"]
    for a in records:  # no two jobs held one slot at once
        for b in records:
            if a is not b and a["slot"] == b["slot"]:
                assert a["end"] <= b["start"] or b["end"] <= a["start"], (a, b)
    events = sorted([(r["start"], 1) for r in records] + [(r["end"], -1) for r in records])
    running = [sum(step for _, step in events[: i + 1]) for i in range(len(events))]
    assert max(running) == 2  # concurrent, but never more jobs than the two slots
    reused = [r for r in records if r["slot"] == killed["slot"] and r["start"] > killed["time"]]
    assert reused, f"slot {killed['slot']} was not taken again after its job was killed"


def test_render_jobs_ask_for_memory_by_their_batch_and_threads_by_the_run(tmp_path):
    """A render job's mem_mb (SLURM's --mem) grows with its batch's photos, and it takes one
    thread where a run has as many batches as cores: a dry run."""
    import re

    from workflow_helpers import changed, make_workdir, snakemake, write_config

    workdir = make_workdir(tmp_path / "wf", images=("chelsea", "coffee", "astronaut"))

    def render_jobs(config, rules=("render_shard", "render_shared")) -> list[tuple[int, int]]:
        """Each job's (mem_mb, threads) of ``rules``, from a dry run on 2 cores."""
        write_config(workdir, config)
        plan = snakemake(workdir, "-n").split("\nrule ")
        jobs = [job for job in plan if job.startswith(tuple(f"{rule}:" for rule in rules))]
        threads = [re.search(r"\bthreads: (\d+)", job) for job in jobs]  # none shown: 1
        memory = [int(re.search(r"\bmem_mb=(\d+)", job).group(1)) for job in jobs]
        return sorted(zip(memory, [int(t.group(1)) if t else 1 for t in threads]))

    one_batch = changed("render", "images_per_job", 8)
    assert render_jobs(one_batch) == [(2300, 2)] * 3  # 3 photos: a shared job and 2 shards
    # 3 batches on 2 cores: one thread a job, two jobs side by side
    three_batches = changed("render", "images_per_job", 1)
    assert render_jobs(three_batches) == [(2100, 1)] * 9
    # the atlas's and the dictionary's jobs, one a layer and run last, keep both threads
    three_batches.update(atlas={"enabled": True}, dictionary={"enabled": True})
    others = ("atlas_render_shard", "atlas_render_shared", "dictionary_render_shard")
    assert render_jobs(three_batches, others) == [(4000, 2)] * 4
