"""Where a job computes: a GPU slot per render job, TensorFlow's threads and GPU memory.

Snakemake caps how many jobs hold a ``gpu`` resource but never says *which* GPU a local job got.
So locally, the controller (the Snakefile) lists the GPU slots (each GPU id, ``jobs_per_gpu``
times) in the environment variable ``ACTGRID_GPU_SLOTS``, caps ``gpu`` at their number, and each
render job takes a free slot by locking its file (``fcntl.flock``) and sets
``CUDA_VISIBLE_DEVICES`` to the slot's GPU before TensorFlow starts. The kernel drops the lock
when the process ends, however it ends (SIGKILL too), so a slot is never lost and never held
twice. Under a scheduler (SLURM with ``--gpus``) the controller sets no slots and a job keeps
the ``CUDA_VISIBLE_DEVICES`` the scheduler gave it.

The device query (``nvidia-smi``) has a stand-in for machines without GPUs, used by the tests:
``ACTGRID_FAKE_GPUS=0,1`` makes the query report GPUs 0 and 1 (empty: none).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

SLOTS_VAR = "ACTGRID_GPU_SLOTS"
FAKE_VAR = "ACTGRID_FAKE_GPUS"
log = logging.getLogger("actgrid")
_held = []  # open lock files of this process's slot: closing them would release it


def query_gpus() -> list[str]:
    """Ids of this machine's GPUs (``nvidia-smi``; ``ACTGRID_FAKE_GPUS`` stands in for it)."""
    if FAKE_VAR in os.environ:
        return [g.strip() for g in os.environ[FAKE_VAR].split(",") if g.strip()]
    if not shutil.which("nvidia-smi"):
        return []
    done = subprocess.run(
        ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
        capture_output=True,
        text=True,
    )
    return done.stdout.split() if done.returncode == 0 else []


def default_lock_dir() -> str:
    return str(Path(tempfile.gettempdir()) / f"actgrid-gpu-slots-{os.getuid()}")


def plan_slots(cfg: dict) -> dict | None:
    """The local GPU slots for a ``gpus:`` config entry, or None without GPUs.

    ``ids: auto`` takes the GPUs in the controller's ``CUDA_VISIBLE_DEVICES`` if it is set,
    else every GPU the device query finds. Ids not taken from ``CUDA_VISIBLE_DEVICES`` are
    nvidia-smi's, so jobs then number GPUs as it does (``CUDA_DEVICE_ORDER=PCI_BUS_ID``).
    """
    ids, plan = cfg["ids"], {"lock_dir": cfg.get("lock_dir") or default_lock_dir()}
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if ids == "auto" and visible is not None:
        ids = visible.split(",")
    else:
        ids = query_gpus() if ids == "auto" else ids
        plan["order"] = "PCI_BUS_ID"  # nvidia-smi's numbering (CUDA's default differs)
    ids = [str(i).strip() for i in ids if str(i).strip() not in ("", "-1")]
    if not ids:
        return None
    plan["slots"] = [f"{gpu}:{j}" for gpu in ids for j in range(cfg["jobs_per_gpu"])]
    return plan


def acquire_slot(wait: float = 0.2) -> str | None:
    """Take a free local GPU slot and point ``CUDA_VISIBLE_DEVICES`` at its GPU.

    Call before TensorFlow is imported. Returns the slot (``gpu:j``), or None where the
    controller set no slots (CPU-only machine, or a scheduler assigned the GPUs).
    """
    if SLOTS_VAR not in os.environ:
        return None
    plan = json.loads(os.environ[SLOTS_VAR])
    lock_dir = Path(plan["lock_dir"])
    lock_dir.mkdir(parents=True, exist_ok=True)
    waited = False
    while True:
        for slot in plan["slots"]:  # lowest free slot first
            f = open(lock_dir / f"gpu{slot.replace(':', '.slot')}.lock", "a")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                continue
            _held.append(f)
            gpu = slot.split(":")[0]
            if "order" in plan:
                os.environ["CUDA_DEVICE_ORDER"] = plan["order"]
            os.environ["CUDA_VISIBLE_DEVICES"] = gpu
            log.info(f"GPU slot {slot} acquired: CUDA_VISIBLE_DEVICES={gpu} (pid {os.getpid()})")
            return slot
        if not waited:
            log.info(f"all {len(plan['slots'])} GPU slots are taken; waiting for one")
            waited = True
        time.sleep(wait)


def limit_memory(tf, memory_limit_mb: int | None = None) -> list[str]:
    """Keep TensorFlow from reserving all memory of its GPUs: grow on demand, or a fixed limit.

    Call after importing TensorFlow and before anything runs on a GPU. Returns the GPUs set.
    """
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        if memory_limit_mb:
            tf.config.set_logical_device_configuration(
                gpu, [tf.config.LogicalDeviceConfiguration(memory_limit=memory_limit_mb)]
            )
        else:
            tf.config.experimental.set_memory_growth(gpu, True)
    if gpus:
        how = f"limit {memory_limit_mb} MB" if memory_limit_mb else "memory growth"
        log.info(f"GPUs {[g.name for g in gpus]}: {how}")
    return [g.name for g in gpus]


def hide_gpus() -> None:
    """Keep a job that needs no GPU (extraction) off the GPUs the render jobs' slots share."""
    if SLOTS_VAR in os.environ:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""


def start_tensorflow(threads: int, gpu: bool = False, memory_limit_mb: int | None = None):
    """A job's TensorFlow: its GPU slot (``gpu``) or none, its threads, its GPU memory, and the
    settings that make the same inputs give the same bits.

    Call before TensorFlow is imported anywhere else. Returns the slot taken, if any.
    """
    slot = acquire_slot() if gpu else hide_gpus()
    log.info(f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '(unset)')}")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(max(1, threads))
    # Same inputs, same bits (docs/reproducibility.md): one op at a time, each on all the job's
    # threads (two side by side gave gradients that differed from run to run), and no
    # arithmetic rewrites by Grappler (it rewrote the render step differently from one
    # process to the next). Neither costs loop rate here.
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})
    limit_memory(tf, memory_limit_mb)
    return slot
