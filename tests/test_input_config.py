"""Bad configuration is refused before any job runs, with a message naming the key."""

import copy
import re
import subprocess

import pytest
import yaml

from actgrid import checks
from actgrid.models import from_config
from workflow_helpers import REPO

GOOD_DATASET = {"d": {"images": str(REPO / "data/default")}}

CASES = {
    "unknown key": (
        {"render": {"stpes": 5}},
        "Additional properties are not allowed ('stpes' was unexpected)",
    ),
    "wrong type": ({"render": {"steps": "many"}}, "'many' is not of type 'integer'"),
    "zero steps": ({"render": {"steps": 0}}, "0 is less than the minimum of 1"),
    "negative tiles": ({"render": {"tile_size": -4}}, "-4 is less than the minimum of 8"),
    "zero groups": ({"nmf": {"groups": 0}}, "0 is less than the minimum of 1"),
    "more shards than cells (checks.check_layers, below)": (
        {"render": {"n_shards": 197}},
        "render.n_shards=197 is more than the 196 cells of layer 'block10_dw_relu'",
    ),
    "missing dataset folder": (
        {"datasets": {"d": {"images": "no/such/folder"}}},
        "dataset 'd': no/such/folder is not a folder, glob, sample sheet or image file",
    ),
    "empty dataset": ({"datasets": {"d": {"images": "EMPTY"}}}, "dataset 'd': no images found"),
    "duplicate image names": (
        {"datasets": {"d": {"images": "DUPLICATES/**/*.png"}}},
        "dataset 'd': two images are named 'cat'",
    ),
    "unknown layer": ({"layers": ["mixed4d"]}, "has no layer 'mixed4d'; closest:"),
    "unknown model type": ({"model": {"type": "onnx"}}, "'onnx' is not one of"),
    "option of another model type": (
        {"model": {"value_range": [0, 1]}},
        "value_range does not apply to type embedded",
    ),
    "atlas of no bins": ({"atlas": {"grid_size": 0}}, "0 is less than the minimum of 1"),
    "atlas sample size": (
        {"atlas": {"samples_per_photo": "most"}},
        "'most' is not valid under any of the given schemas",
    ),
    "atlas layout packing": ({"atlas": {"min_dist": 2}}, "2 is greater than the maximum of 1"),
    "dataset asking for nothing": (
        {
            "datasets": {"d": {"images": str(REPO / "data/default"), "grids": False}},
            "atlas": {"enabled": False},
        },
        "dataset 'd' has grids: false and atlas.enabled is false: it asks for nothing",
    ),
    "bad dataset name": ({"datasets": {"my data": {"images": "x"}}}, "'my data' does not match"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_config_fails_before_any_job(tmp_path, case):
    overrides, message = CASES[case]
    (tmp_path / "EMPTY").mkdir()
    for folder in ("a", "b"):
        (tmp_path / "DUPLICATES" / folder).mkdir(parents=True)
        (tmp_path / "DUPLICATES" / folder / "cat.png").write_bytes(b"")
    config = {"datasets": GOOD_DATASET, **overrides}
    for key, value in config["datasets"].items():
        value["images"] = value["images"].replace("EMPTY", str(tmp_path / "EMPTY"))
        value["images"] = value["images"].replace("DUPLICATES", str(tmp_path / "DUPLICATES"))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    cmd = ["snakemake", "-n", "--configfile", "config.yaml", str(path)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert message in out, out[-2000:]
    assert "Job stats" not in out  # nothing was planned, let alone run


LAYER_CASES = {
    "more groups than cells": (
        {"nmf": {"groups": 200}},
        "nmf.groups=200 is more than layer 'block10_dw_relu' can factorize (196 cells",
    ),
    "more groups than channels": (
        {"nmf": {"groups": 40}, "layers": ["stem_relu"]},
        "nmf.groups=40 is more than layer 'stem_relu' can factorize (12544 cells, 32 channels)",
    ),
    "more shards than cells": (
        {"render": {"n_shards": 197}},
        "render.n_shards=197 is more than the 196 cells of layer 'block10_dw_relu'",
    ),
}


def test_layer_checks_in_plain_python():
    """``checks.check_layers`` on the default config and the embedded model: the default passes,
    each bad value fails naming its key; groups too many for a layer pass without a method
    that has groups."""
    default = yaml.safe_load((REPO / "config.yaml").read_text())
    model = from_config(default["model"])
    checks.check_layers(default, model)
    for overrides, message in LAYER_CASES.values():
        config = copy.deepcopy(default)
        for section, values in overrides.items():
            config[section] = values if isinstance(values, list) else {**config[section], **values}
        with pytest.raises(ValueError, match=re.escape(message)):
            checks.check_layers(config, model)
    naive = copy.deepcopy(default)
    naive["nmf"]["groups"], naive["render"]["methods"] = 200, ["naive", "naive_sampled"]
    checks.check_layers(naive, model)
