"""Every model setting that changes what the network computes is in the results' key: changed,
exactly the stages it affects rerun; settings that change nothing rerun nothing."""

import copy
import shutil

import pytest

from actgrid.models import from_config
from actgrid.files import sha256
from tiny_models import small_keras_network
from workflow_helpers import TINY, make_workdir, planned, snakemake, write_config

# One photo, the shared method, two shards (tests/workflow_helpers.py's TINY)
CHAIN = {
    "extract": 1,
    "factorize": 1,
    "render_shared": 1,
    "render_shard": 2,
    "assemble": 1,
    "index": 1,
}
PB_OPTIONS = {"type": "frozen_graph", "name": "g", "path": "g.pb"}


def _identity(tmp_path, **cfg):
    return from_config({**cfg, "path": str(tmp_path / "m.pb")}).identity


@pytest.mark.parametrize(
    "cfg,changed",
    [
        ({**PB_OPTIONS, "value_range": [-1, 1]}, True),
        ({**PB_OPTIONS, "value_range": [0, 1]}, False),  # the default, written out
        ({**PB_OPTIONS, "value_range": [0.0, 1.0]}, False),
        ({**PB_OPTIONS, "input_name": "image"}, True),
        ({**PB_OPTIONS, "sha256": None}, False),  # a check of the file, not a setting
        ({**PB_OPTIONS, "type": "saved_model", "signature": "other"}, True),
        ({**PB_OPTIONS, "type": "saved_model", "signature": "serving_default"}, False),
        ({**PB_OPTIONS, "name": "other"}, True),  # the label of the results' paths
    ],
)
def test_identity_keys_every_network_setting(tmp_path, cfg, changed):
    (tmp_path / "m.pb").write_bytes(b"weights")
    if cfg.get("sha256", 0) is None:
        cfg["sha256"] = sha256(tmp_path / "m.pb")
    base = _identity(tmp_path, **{**PB_OPTIONS, "type": cfg["type"]})
    assert (_identity(tmp_path, **cfg) != base) == changed


def test_identity_without_network_settings_is_the_weights_checksum(tmp_path):
    (tmp_path / "m.pb").write_bytes(b"weights")
    model = from_config({**PB_OPTIONS, "path": str(tmp_path / "m.pb")})
    assert model.identity == f"g-{model.weights_sha256[:8]}"  # results of earlier versions kept


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory):
    """The tiny config with a Keras file model, run once."""
    tmp = tmp_path_factory.mktemp("keys")
    workdir = make_workdir(tmp / "wf", images=("chelsea",))
    (workdir / "models").mkdir()
    small_keras_network((64, 64, 3)).save(workdir / "models/small.keras")
    config = copy.deepcopy(TINY)
    config["model"] = {"type": "keras_file", "name": "small", "path": "models/small.keras"}
    config["model"].update(input_size=96, resize="stretch")
    config["layers"] = ["conv3"]
    config["render"]["methods"] = ["shared"]
    write_config(workdir, config)
    snakemake(workdir)
    return workdir, config


def _file_copy(workdir):
    shutil.copy2(workdir / "models/small.keras", workdir / "models/copy.keras")
    return "models/copy.keras"


@pytest.mark.slow
@pytest.mark.parametrize(
    "key,value,plan",
    [
        ("value_range", [-1, 1], CHAIN),  # every activation changes: extract and all after it
        ("value_range", [0, 255], CHAIN),
        ("input_size", 128, CHAIN),
        ("resize", "crop", CHAIN),
        ("name", "renamed", CHAIN),  # the label of the results' paths: new results
        ("value_range", [0, 1], {}),  # the default, written out
        ("sha256", "<the file's>", {}),  # a check of the file
        ("path", "<a copy of the same file>", {}),  # where the weights lie is not what they are
    ],
)
def test_model_setting_reruns_exactly_what_it_affects(keras_run, key, value, plan):
    workdir, config = keras_run
    changed = copy.deepcopy(config)
    if value == "<the file's>":
        value = sha256(workdir / config["model"]["path"])
    if value == "<a copy of the same file>":
        value = _file_copy(workdir)
    changed["model"][key] = value
    write_config(workdir, changed)
    try:
        assert planned(workdir) == plan
    finally:
        write_config(workdir, config)
