"""Where a render step's time goes: TensorFlow's profiler, summed by op type.

    python benchmarks/profile_step.py [--method shared|naive] [--steps 8] [--top 20]

Runs the notebook workload's compiled loop under the profiler and prints, per op type, the
milliseconds per step (wall time of each op, summed; ops on the two threads may overlap) and the
number of ops per step, largest first, then the step's total wall time.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

from workload import optimizer, targets


def op_times(logdir: Path) -> tuple[collections.Counter, collections.Counter]:
    """Microseconds and counts per op type over the profiled run, from the trace's XPlane file."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    (path,) = logdir.rglob("*.xplane.pb")
    space = xplane_pb2.XSpace()
    space.ParseFromString(path.read_bytes())
    times, counts = collections.Counter(), collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if ":" in name:  # "scope/op_name:OpType"
                    kind = name.rsplit(":", 1)[1].strip()
                    times[kind] += event.duration_ps / 1e6
                    counts[kind] += 1
    return times, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="shared", choices=["shared", "naive"])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()

    import tensorflow as tf

    cells, features = targets()
    opt = optimizer(features, cells, args.method)
    opt.run(tf.constant(4))  # trace and warm up outside the profile
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        opt.run(tf.constant(args.steps)).numpy()
        tf.profiler.experimental.stop()
        times, counts = op_times(Path(logdir))
    # The compiled call itself and the executor's own events are not ops.
    calls = [us for kind, us in times.items() if kind.startswith("__inference_run")]
    ops = [(k, us) for k, us in times.most_common() if not k.startswith("__")]
    print(f"{'op type':<46} {'ms/step':>8} {'ops/step':>8}")
    for kind, us in [(k, us) for k, us in ops if k not in ("Run", "Process")][: args.top]:
        print(f"{kind:<46} {us / 1e3 / args.steps:8.2f} {counts[kind] // args.steps:8d}")
    if calls:
        print(
            f"{'step (wall, the whole compiled call / steps)':<46} {max(calls) / 1e3 / args.steps:8.2f}"
        )


if __name__ == "__main__":
    sys.exit(main())
