import pytest

from actgrid import tags

P = {
    "size": 48,
    "steps": 256,
    "batch": 64,
    "lr": 0.05,
    "shared_fraction": 0.5,
    "cossim_pow": 1,
    "adam": "dense",
    "transforms": True,
    "seed": 0,
}


@pytest.mark.parametrize("method", ["shared", "naive", "naive_sampled"])
@pytest.mark.parametrize("adam", ["dense", "per_cell"])
def test_render_directories_name_their_method_and_parameters(method, adam):
    groups = tags.groups_tag(method, 6, "error")
    assert tags.parse_groups_tag(groups)["method"] == method
    assert tags.has_groups(groups) == (method == "shared")
    tag = tags.render_tag(method, {**P, "adam": adam})
    p = tags.parse_render_tag(tag, method)
    assert p["adam"] == adam and p["method"] == method and p["steps"] == 256
    assert ("batch" in p) == (method != "naive")  # naive: every cell, every step
    assert ("shared_fraction" in p) == (method == "shared")
    for other in {"shared", "naive", "naive_sampled"} - {method}:
        with pytest.raises(ValueError, match="does not fit"):
            tags.parse_render_tag(tag, other)


def test_default_render_directory():
    assert tags.render_tag("shared", P) == (
        "W48_steps256_batch64_lr0.05_frac0.5_cos1_adamdense_standard_seed0"
    )
    assert tags.groups_tag("naive_sampled", 6, "error") == "naive-sampled"
