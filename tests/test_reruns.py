"""A changed parameter recomputes only the stages it affects (real Snakemake, real files)."""

import os
import shutil

import pytest
from workflow_helpers import (
    REPO,
    TINY,
    batch_layer,
    changed,
    job_counts,
    make_workdir,
    planned,
    snakemake,
    write_config,
)

from actgrid.files import sha256

pytestmark = pytest.mark.slow

VIEW = {"index": 1}  # a grid changed: the dataset's index follows
# The tiny config's two photos are one batch: one job a stage (a shared job and two shards).
GRIDS = {"assemble": 1, **VIEW}  # the batch's grids and viewers
RENDER = {"render_shared": 1, "render_shard": 2, **GRIDS}
FROM_NMF = {"factorize": 1, **RENDER}
CHAIN = {"extract": 1, **FROM_NMF}


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
        ("adam", "per_cell"),
    ],
)
def test_render_parameter_reruns_render_and_assembly(done, config_of, key, value):
    config_of(changed("render", key, value))
    assert planned(done) == RENDER


@pytest.mark.parametrize(
    "section,key,value",
    [
        ("render", "chunk_cells", 64),
        ("render", "retries", 0),
        (None, "max_image_pixels", 10**9),
        ("gpus", "jobs_per_gpu", 2),
        ("gpus", "memory_limit_mb", 1000),
    ],
)
def test_settings_that_do_not_change_results_rerun_nothing(done, config_of, section, key, value):
    config = changed(section, key, value) if section else {**TINY, key: value}
    config_of(config)
    assert planned(done) == {}


def test_shard_count_reruns_shards_and_assembly(done, config_of):
    config_of(changed("render", "n_shards", 3))
    assert planned(done) == {"render_shard": 3, **GRIDS}


def test_photos_per_job_rebatches_every_stage(done, config_of):
    config_of(changed("render", "images_per_job", 1))  # one batch -> a batch per photo
    assert planned(done) == {k: v if k == "index" else 2 * v for k, v in CHAIN.items()}


def test_assembly_parameter_reruns_assembly_alone(done, config_of):
    config_of(changed("assemble", "crop", 3))
    assert planned(done) == GRIDS


def test_swapped_values_are_detected(done, config_of):
    config = changed("assemble", "crop", 8)
    config["assemble"]["coherence_side"] = 2  # defaults: crop 2, coherence_side 8
    config_of(config)
    assert planned(done) == GRIDS


@pytest.mark.parametrize("key,value", [("groups", 4), ("seed", 1)])
def test_nmf_setting_reruns_all_but_extraction(done, config_of, key, value):
    config_of(changed("nmf", key, value))
    assert planned(done) == FROM_NMF


def test_new_layer_runs_its_own_chain_only(done, config_of):
    config_of({**TINY, "layers": ["block10_dw_relu", "block7_dw_relu"]})
    assert planned(done) == CHAIN  # the batch at the new layer
    config_of({**TINY, "layers": ["block7_dw_relu"]})
    assert planned(done) == CHAIN


def test_model_input_size_reruns_the_chain(done, config_of):
    config_of(changed("model", "input_size", 64))
    assert planned(done) == CHAIN


def test_switching_back_costs_nothing(done, config_of):
    config_of(changed("render", "steps", 8))
    assert job_counts(snakemake(done)) == RENDER
    config_of(TINY)
    assert planned(done) == {"index": 1}  # the dataset's page lists the config's grids again


def test_code_edits_rerun_downstream(done):
    script = done / "scripts/render_shard.py"
    text = script.read_text()
    try:
        script.write_text(text + "# an edit\n")
        assert planned(done) == {"render_shard": 2, **GRIDS}
    finally:
        script.write_text(text)
        os.utime(script, (0, 0))  # older than the outputs again


PHOTOS = {"a": "chelsea", "b": "coffee", "c": "astronaut", "d": "chelsea"}


def _expected(before: dict, after: dict, changed_batch: str | None = None) -> dict:
    """The jobs a dataset change should plan: every stage of the new (or changed) batches."""
    n = len([b for b in after if b not in before or b == changed_batch])
    return {k: v if k == "index" else n * v for k, v in CHAIN.items()}


def _batch_files(results) -> dict:
    """Every file of every batch (logs aside) and its sha256."""
    files = (results / "batches").rglob("*")
    return {p: sha256(p) for p in files if p.is_file() and "logs" not in p.parts}


def _batch_of(path) -> str:
    return next(part for part in path.parts if part.startswith("batch_"))


def test_added_removed_and_changed_photos_rerun_their_batch_only(tmp_path):
    """Photos a..d in render batches of 2 on average: each change reruns one batch's jobs."""
    from actgrid import batches

    workdir = make_workdir(tmp_path, images=[])
    for name, photo in PHOTOS.items():
        shutil.copy2(REPO / f"data/default/{photo}.png", workdir / f"images/{name}.png")
    write_config(workdir, changed("render", "images_per_job", 2))
    snakemake(workdir)
    split = batches.split(PHOTOS, 2)
    assert len(split) > 1
    results = workdir / "results/tiny"
    before = _batch_files(results)

    # added: its batch's stages
    shutil.copy2(REPO / "data/default/coffee.png", workdir / "images/e.png")
    added = batches.split([*PHOTOS, "e"], 2)
    expected = _expected(split, added)
    assert planned(workdir) == expected
    assert job_counts(snakemake(workdir)) == expected
    kept = set(split) & set(added)
    assert kept and {p: sha256(p) for p in before if _batch_of(p) in kept} == {
        p: digest for p, digest in before.items() if _batch_of(p) in kept
    }  # every file of the other batches untouched: activations, groups, shards, grids
    (workdir / "images/e.png").unlink()
    # back to the earlier batches, all still there: only the dataset's page changes
    assert job_counts(snakemake(workdir)) == {"index": 1}

    # removed: the rest of its batch
    (workdir / "images/d.png").unlink()
    assert planned(workdir) == _expected(split, batches.split(["a", "b", "c"], 2))
    shutil.copy2(REPO / "data/default/chelsea.png", workdir / "images/d.png")
    assert planned(workdir) == {}

    # changed (edited): its batch
    shutil.copy(REPO / "data/default/coffee.png", workdir / "images/c.png")
    expected = _expected(split, split, changed_batch=next(b for b in split if "c" in split[b]))
    assert planned(workdir) == expected


def test_output_cache_is_shared_between_workdirs(tmp_path):
    env = {"SNAKEMAKE_OUTPUT_CACHE": str(tmp_path / "cache")}
    (tmp_path / "cache").mkdir()
    first = make_workdir(tmp_path / "first", images=["chelsea"])
    second = make_workdir(tmp_path / "second", images=["chelsea"])
    for workdir in (first, second):
        write_config(workdir, TINY)
    snakemake(first, "--cache", env=env)
    log = snakemake(second, "--cache", env=env)
    layer = batch_layer(second)
    for path in (layer / "activations.h5", layer / "nmf3/groups.h5"):
        assert path.is_symlink() and str(tmp_path / "cache") in os.path.realpath(path)
    assert log.count("from cache.") == 2
    assert (layer / "logs/extract.log").stat().st_size == 0  # the extract job never ran here
