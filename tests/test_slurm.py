"""The workflow submitted through snakemake-executor-plugin-slurm to a real single-node SLURM."""

import re
import subprocess

import h5py
import pytest
from PIL import Image
from slurm_cluster import SingleNodeSlurm, available
from workflow_helpers import TINY, changed, make_workdir, write_config

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not available(), reason="SLURM not installed: apt-get install slurm-wlm munge"
    ),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    slurm = SingleNodeSlurm(tmp_path_factory.mktemp("slurm"))
    slurm.start()
    yield slurm
    slurm.stop()


def run_on_slurm(workdir, cluster) -> dict[int, str]:
    """Run the workflow with the SLURM profile; return {SLURM job id: job comment} it submitted."""
    done = subprocess.run(
        [
            "snakemake",
            "--profile",
            "profiles/slurm",
            "--seconds-between-status-checks",
            "3",
            "--slurm-init-seconds-before-status-checks",
            "3",
        ],
        cwd=workdir,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    ids = {int(i) for i in re.findall(r"submitted with SLURM jobid (\d+)", log)}
    table = cluster.run("squeue", "-t", "all", "-h", "-o", "%i|%T|%k").stdout.split()
    jobs = {int(i): (state, comment) for i, state, comment in (row.split("|") for row in table)}
    assert ids and ids <= set(jobs), "every submitted job is known to SLURM"
    assert all(jobs[i][0] == "COMPLETED" for i in ids)
    return {i: jobs[i][1] for i in ids}


def kinds(jobs: dict[int, str]) -> list[str]:
    return sorted(
        re.match(r"rule_(render_shard|render_shared|prepare|assemble)", c)[1] for c in jobs.values()
    )


def test_every_job_goes_through_sbatch_and_shards_ask_for_a_gpu(cluster, tmp_path):
    workdir = make_workdir(tmp_path, images=["chelsea"])
    write_config(workdir, TINY)
    jobs = run_on_slurm(workdir, cluster)
    # extract+factorize batched into one 'prepare' job; each shard is its own job; viewer and
    # index run where Snakemake runs (localrules).
    assert kinds(jobs) == ["assemble", "prepare", "render_shard", "render_shard", "render_shared"]
    for job_id, comment in jobs.items():
        details = cluster.run("scontrol", "show", "job", str(job_id)).stdout
        wants_gpu = "gres/gpu" in details or "gpu:1" in details
        assert wants_gpu == comment.startswith("rule_render"), details
    (grid,) = (workdir / "results").rglob("grid.png")
    assert Image.open(grid).size == (6 * 20, 6 * 20)  # 96 px input: 6×6 cells of 24 - 4 px
    slurm_logs = list((workdir / ".snakemake/slurm_logs").rglob("*.log"))
    assert {int(p.stem) for p in slurm_logs} == set(jobs)
    # render jobs keep the GPU SLURM gave them (its CUDA_VISIBLE_DEVICES); no local slots
    renders = [p for p in (workdir / "results").rglob("batches/**/*.h5") if "shar" in p.name]
    for output in renders:  # shared.h5 and the shards (not the activations, not the groups)
        with h5py.File(output, "r") as f:
            assert f.attrs["cuda_visible_devices"] == "0", output
    for log in (workdir / "results").rglob("batches/**/logs/*.log"):
        assert "GPU slot" not in log.read_text()

    write_config(workdir, changed("render", "steps", 8))
    rerun = run_on_slurm(workdir, cluster)
    assert kinds(rerun) == ["assemble", "render_shard", "render_shard", "render_shared"]
