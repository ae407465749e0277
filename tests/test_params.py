"""Render parameters and their directory names, both ways, exactly; the groups names."""

import dataclasses
import re

import numpy as np
import pytest

from actgrid import tags
from actgrid.params import TAG_PATTERN, RenderParams

RENDER = {  # config.yaml's render: entry
    "tile_size": 48,
    "steps": 256,
    "batch_size": 64,
    "learning_rate": 0.05,
    "shared_fraction": 0.5,
    "cossim_pow": 1,
    "adam": "dense",
    "transforms": "standard",
    "seed": 0,
}


@pytest.mark.parametrize("method", ["shared", "naive", "naive_sampled"])
@pytest.mark.parametrize("adam", ["dense", "per_cell"])
def test_render_directories_name_their_method_and_parameters(method, adam):
    groups = tags.groups_tag(method, 6, "error")
    assert tags.parse_groups_tag(groups)["method"] == method
    assert tags.has_groups(groups) == (method == "shared")
    assert re.fullmatch(tags.GROUPS_PATTERN, groups)
    p = RenderParams.from_config({**RENDER, "adam": adam}, method)
    assert RenderParams.from_tag(p.tag, method) == p
    assert re.fullmatch(TAG_PATTERN, p.tag)  # the Snakefile's wildcard constraint takes it
    assert (p.batch_size is None) == (method == "naive")  # naive: every cell, every step
    assert (p.shared_fraction is None) == (method != "shared")
    for other in {"shared", "naive", "naive_sampled"} - {method}:
        with pytest.raises(ValueError, match="does not fit"):
            RenderParams.from_tag(p.tag, other)


def test_default_render_directory():
    assert RenderParams.from_config(RENDER, "shared").tag == (
        "W48_steps256_batch64_lr0.05_frac0.5_cos1_adamdense_standard_seed0"
    )
    assert tags.groups_tag("naive_sampled", 6, "error") == "naive-sampled"


def test_every_number_keeps_all_its_digits():
    rng = np.random.default_rng(0)
    values = [0.0123456789, 1e-05, 3.0, 0.1 + 0.2, 2.5e-7, 123456.789] + list(rng.random(200))
    for x in values:
        changed = {"learning_rate": x, "shared_fraction": min(x, 1.0), "cossim_pow": x * 3}
        p = RenderParams.from_config({**RENDER, **changed}, "shared")
        back = RenderParams.from_tag(p.tag, "shared")
        assert back == p and back.learning_rate == x  # exactly, not to 6 digits
        assert re.fullmatch(TAG_PATTERN, p.tag)
    assert (
        "_lr0.0123456789_"
        in RenderParams.from_config({**RENDER, "learning_rate": 0.0123456789}, "shared").tag
    )


def test_only_the_canonical_name_is_accepted():
    tag = RenderParams.from_config(RENDER, "shared").tag
    for other in (tag.replace("lr0.05", "lr0.050"), tag.replace("cos1", "cos1.0")):
        with pytest.raises(ValueError, match="not written as actgrid writes"):
            RenderParams.from_tag(other, "shared")
    with pytest.raises(ValueError, match="not a valid render directory"):
        RenderParams.from_tag("W48_whatever", "shared")


def test_parameters_that_do_not_apply_are_refused():
    p = RenderParams.from_config(RENDER, "shared")
    with pytest.raises(ValueError, match="batch_size"):
        dataclasses.replace(p, method="naive")
    with pytest.raises(ValueError, match="shared_fraction"):
        dataclasses.replace(p, method="naive_sampled")
    assert p.phase_steps == (128, 128)
    assert RenderParams.from_config(RENDER, "naive").phase_steps == (0, 256)
