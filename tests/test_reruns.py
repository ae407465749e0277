"""A changed parameter recomputes only the stages it affects (real Snakemake, real files)."""

import os
import re
import signal
import subprocess
import time

import pytest
from workflow_helpers import (
    TINY,
    add_image,
    changed,
    job_counts,
    make_workdir,
    planned,
    snakemake,
    sha256,
    write_config,
)

pytestmark = pytest.mark.slow

RENDER = {"render_shared": 2, "render_shard": 4, "assemble": 2}
FROM_NMF = {"factorize": 2, **RENDER}
CHAIN = {"extract": 2, **FROM_NMF}


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    """Two images rendered with the tiny config."""
    workdir = make_workdir(tmp_path_factory.mktemp("reruns"))
    write_config(workdir, TINY)
    assert job_counts(snakemake(workdir)) == CHAIN
    return workdir


@pytest.fixture
def config_of(done):
    """Write a config for the test and restore the tiny one afterwards."""
    yield lambda config: write_config(done, config)
    write_config(done, TINY)


def test_nothing_changed_runs_nothing(done):
    assert planned(done) == {}
    assert "Nothing to be done" in snakemake(done)


@pytest.mark.parametrize(
    "key,value",
    [
        ("steps", 8),
        ("tile_size", 32),
        ("learning_rate", 0.1),
        ("seed", 1),
        ("transforms", "none"),
        ("batch_size", 4),
        ("cossim_pow", 0),
        ("shared_fraction", 0.25),
    ],
)
def test_render_parameter_reruns_render_and_assembly(done, config_of, key, value):
    config_of(changed("render", key, value))
    assert planned(done) == RENDER


def test_shard_count_reruns_shards_and_assembly(done, config_of):
    config_of(changed("render", "n_shards", 3))
    assert planned(done) == {"render_shard": 6, "assemble": 2}


def test_assembly_parameter_reruns_assembly_alone(done, config_of):
    config_of(changed("assemble", "crop", 3))
    assert planned(done) == {"assemble": 2}


def test_swapped_values_are_detected(done, config_of):
    config = changed("assemble", "crop", 8)
    config["assemble"]["coherence_side"] = 2  # defaults: crop 2, coherence_side 8
    config_of(config)
    assert planned(done) == {"assemble": 2}


def test_group_count_reruns_all_but_extraction(done, config_of):
    config_of(changed("nmf", "groups", 4))
    assert planned(done) == FROM_NMF


def test_new_layer_runs_its_own_chain_only(done, config_of):
    config_of({**TINY, "layers": ["block10_dw_relu", "block7_dw_relu"]})
    assert planned(done) == CHAIN  # two images × the new layer
    config_of({**TINY, "layers": ["block7_dw_relu"]})
    assert planned(done) == CHAIN


def test_model_input_size_reruns_the_chain(done, config_of):
    config_of(changed("model", "input_size", 64))
    assert planned(done) == CHAIN


def test_switching_back_costs_nothing(done, config_of):
    config_of(changed("render", "steps", 8))
    assert job_counts(snakemake(done)) == RENDER
    config_of(TINY)
    assert planned(done) == {}


def test_new_image_runs_its_jobs_only_and_code_edits_rerun_downstream(tmp_path):
    workdir = make_workdir(tmp_path, images=["chelsea"])
    write_config(workdir, TINY)
    snakemake(workdir)
    before = sorted(p for p in (workdir / "results").rglob("*") if p.is_file())
    digests = [sha256(p) for p in before]
    add_image(workdir, "coffee")
    log = snakemake(workdir)
    assert job_counts(log) == {k: v // 2 for k, v in CHAIN.items()}
    assert [sha256(p) for p in before] == digests
    with open(workdir / "scripts/render_shard.py", "a") as f:
        f.write("# an edit\n")
    assert planned(workdir) == {"render_shard": 4, "assemble": 2}


def test_output_cache_is_shared_between_workdirs(tmp_path):
    env = {"SNAKEMAKE_OUTPUT_CACHE": str(tmp_path / "cache")}
    (tmp_path / "cache").mkdir()
    first = make_workdir(tmp_path / "first", images=["chelsea"])
    second = make_workdir(tmp_path / "second", images=["chelsea"])
    for workdir in (first, second):
        write_config(workdir, TINY)
    snakemake(first, "--cache", env=env)
    log = snakemake(second, "--cache", env=env)
    layer = next((second / "results/tiny/chelsea").glob("*/block10_dw_relu"))
    for path in (layer / "activations.h5", layer / "nmf3/groups.h5"):
        assert path.is_symlink() and str(tmp_path / "cache") in os.path.realpath(path)
    assert log.count("from cache.") == 2
    assert (layer / "logs/extract.log").stat().st_size == 0  # the extract job never ran here


def test_killed_render_reruns_only_the_incomplete_shard(tmp_path):
    workdir = make_workdir(tmp_path, images=["chelsea"])
    config = changed("render", "steps", 1500)
    config["render"]["shared_fraction"] = 0.0
    write_config(workdir, config)
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
    render_dir = (workdir / shard0_target).parent.parent
    log1 = render_dir / "shards2/logs/shard1.log"
    deadline = time.time() + 300
    while time.time() < deadline and not (log1.exists() and "step" in log1.read_text()):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    shard0 = render_dir / "shards2/shard0.h5"
    digest = sha256(shard0)
    assert not (render_dir / "shards2/shard1.h5").exists()
    assert not list((render_dir / "shards2").glob(".shard1*"))  # no half-written file left
    snakemake(workdir, "--unlock")
    assert planned(workdir) == {"render_shard": 1, "assemble": 1}
    snakemake(workdir)
    assert sha256(shard0) == digest
    assert (render_dir / "grid.png").exists()


def _shard_target(workdir, shard):
    """The path of one shard of the tiny config's grid, as the workflow names it."""
    log = snakemake(workdir, "-n")
    paths = re.findall(r"output: (\S+/shards2/shard%d\.h5)" % shard, log)
    return paths[0]
