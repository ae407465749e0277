"""Same inputs, same bits? A render job's phase one run in fresh processes, per TF setting.

    python benchmarks/determinism.py [--runs 8] [--steps 32] [--only WORD ...]

Workload: chelsea and coffee (one render batch: 2 x 196 cells, 128 cells a step) at the default
settings (224 px, block10_dw_relu, W=48, batch 64, shared method). Each setting runs ``--runs``
times, each time in a new process, interleaved so the machine's noise hits all alike; for
each it prints how many different results (the checksum of every cell's parameters) the runs
gave, whether they are all the one result of actgrid's own setting, the largest difference of a
cell's Fourier parameters from it (they are of order 1), the seconds of the loop and
cell-steps/s. ``actgrid`` is what a job does (``devices.start_tensorflow``); the others change
what the name says.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PHOTOS = ("chelsea", "coffee")
MODEL = {"type": "embedded", "name": "efficientnet_lite0", "input_size": 224}
# name -> (intra-op threads, what the trial changes from what a job does)
SETTINGS = {
    "actgrid (2 threads)": (2, {}),
    "actgrid, 1 thread": (1, {}),
    "before: 2 ops at a time, arithmetic rewrites": (2, {"INTER": "2", "ARITHMETIC": "1"}),
    "one op at a time, arithmetic rewrites": (2, {"ARITHMETIC": "1"}),
    "2 ops at a time, no arithmetic rewrites": (2, {"INTER": "2"}),
    "before, with TF op determinism": (2, {"INTER": "2", "ARITHMETIC": "1", "DETERMINISM": "1"}),
    "before, oneDNN off": (2, {"INTER": "2", "ARITHMETIC": "1", "TF_ENABLE_ONEDNN_OPTS": "0"}),
    "actgrid, oneDNN off": (2, {"TF_ENABLE_ONEDNN_OPTS": "0"}),
    "actgrid, an older CPU (oneDNN up to AVX2)": (2, {"ONEDNN_MAX_CPU_ISA": "AVX2"}),
}


def prepare(folder: Path) -> None:
    """Each photo's activations and NMF groups, as the workflow's first two stages write them."""
    from actgrid import extract, factorize
    from actgrid.models import from_config

    for name in PHOTOS:
        acts = folder / f"{name}.activations.h5"
        model = from_config(MODEL, input_size=224)
        extract.extract({name: REPO / f"data/default/{name}.png"}, acts, model, "block10_dw_relu")
        factorize.run(acts, [name], folder / f"{name}.groups.h5", 6, "error", seed=0)


def trial(folder: Path, steps: int, intra: int) -> dict:
    """One run of phase one in this process: the checksum of its result and its seconds."""
    from actgrid.devices import start_tensorflow

    start_tensorflow(intra)
    import tensorflow as tf

    if os.environ.get("INTER"):
        tf.config.threading.set_inter_op_parallelism_threads(int(os.environ["INTER"]))
    if os.environ.get("ARITHMETIC"):
        tf.config.optimizer.set_experimental_options({"arithmetic_optimization": True})
    if os.environ.get("DETERMINISM"):
        tf.config.experimental.enable_op_determinism()
    import numpy as np
    import yaml

    from actgrid import render
    from actgrid.params import RenderParams

    defaults = yaml.safe_load((REPO / "config.yaml").read_text())["render"]
    p = RenderParams.from_config({**defaults, "steps": 2 * steps}, "shared")
    photos = [
        render.Subject(n, str(folder / f"{n}.activations.h5"), str(folder / f"{n}.groups.h5"))
        for n in PHOTOS
    ]
    targets, _, features = render._load_batch(photos, MODEL)
    start = time.perf_counter()
    state, trace = render._shared_phase(photos, targets, features, p, chunk_cells=None)
    seconds = time.perf_counter() - start
    digest = hashlib.sha256(trace.tobytes())
    for name in PHOTOS:
        for part in ("unique", "groups"):
            digest.update(state[name][part].param.tobytes())
    params = np.concatenate([state[name]["unique"].param for name in PHOTOS])
    np.save(folder / f"{digest.hexdigest()[:12]}.npy", params)
    return {"sha": digest.hexdigest()[:12], "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=32, help="steps of phase one")
    parser.add_argument(
        "--only", nargs="*", default=[], help="run only the settings whose names contain these"
    )
    parser.add_argument("--trial", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trial:
        folder, steps, intra = args.trial
        print(json.dumps(trial(Path(folder), int(steps), int(intra))))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepare(folder)
        chosen = {
            name: setting
            for name, setting in SETTINGS.items()
            if name == "actgrid (2 threads)" or any(word in name for word in args.only or [""])
        }
        results = {name: [] for name in chosen}
        for _ in range(args.runs):
            for name, (intra, env) in chosen.items():
                done = subprocess.run(
                    [sys.executable, __file__, "--trial", tmp, str(args.steps), str(intra)],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
                    check=True,
                )
                results[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
        report(results, args, folder)


def report(results: dict, args, folder: Path) -> None:
    """One line per setting; the largest parameter difference from actgrid's first result."""
    import numpy as np

    first = results["actgrid (2 threads)"][0]["sha"]
    ours = np.load(folder / f"{first}.npy")
    print(f"date {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {args.runs} runs each")
    print(
        f"{'setting':<44} {'results':>7} {'= actgrid':>9} {'max |Δ| params':>14} "
        f"{'loop s':>7} {'cell-steps/s':>12}"
    )
    for name, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        rate = args.steps * 128 / seconds  # 64 cells a step for each of the two photos
        shas = {r["sha"] for r in runs}
        same = "yes" if shas == {first} else "no"
        delta = max(float(np.abs(np.load(folder / f"{sha}.npy") - ours).max()) for sha in shas)
        print(f"{name:<44} {len(shas):>7} {same:>9} {delta:>14.2g} {seconds:>7.2f} {rate:>12.0f}")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
