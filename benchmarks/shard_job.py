"""Wall time of one real render_shard job at the notebook workload, start to finish.

    python benchmarks/shard_job.py [--workdir DIR] [--cores 2]

Renders chelsea with the default config up to the shared phase, then times
``snakemake --forcerun render_shard <shard 0>``: Snakemake's start, Python and TensorFlow
imports, the model build, 512 steps of 98 cells in batches of 32, the final tiles and the write.
"""

from __future__ import annotations

import re
from pathlib import Path

from rerun_times import parse_args, timed


def main() -> None:
    args = parse_args(__doc__)
    workdir = args.workdir
    (workdir / "chelsea.yaml").write_text("datasets: {default: {images: data/default/chelsea.*}}\n")
    config = ["--configfile", "config.yaml", "chelsea.yaml"]
    _, plan = timed(workdir, args.cores, "-n", *config)
    (shard0,) = set(re.findall(r"output: (\S+/shards2/shard0\.h5)", plan))
    shared = str(Path(shard0).parent.parent / "shared.h5")
    timed(workdir, args.cores, shared, *config)
    seconds, _ = timed(workdir, args.cores, "--forcerun", "render_shard", shard0, *config)
    log = (Path(workdir) / Path(shard0).parent / "logs/shard0.log").read_text()
    rate = re.findall(r"(\d+) cell-steps/s", log)[-1]
    print(f"render_shard job, wall time incl. Snakemake, imports, model: {seconds:.1f} s")
    print(f"  its optimization loop: {rate} cell-steps/s (from the job's log)")


if __name__ == "__main__":
    main()
