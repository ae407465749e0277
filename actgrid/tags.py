"""Readable directory names that encode the parameters of an expensive stage, and back
(the render directory's: ``actgrid.params``).

Putting the defining parameters in the path means switching a parameter back to an earlier
value finds the earlier outputs still there: nothing to recompute.
"""

from __future__ import annotations

import re

from actgrid.images import RESIZE_MODES

MODEL_RE = re.compile(
    rf"^(?P<name>[A-Za-z0-9_]+)-(?P<checksum>[0-9a-f]{{8}})_(?P<input_size>\d+)px_(?P<resize>{'|'.join(RESIZE_MODES)})$"
)
GROUPS_RE = re.compile(
    r"^(?:nmf(?P<k>\d+)(?:-(?P<negative>clip|shift))?|(?P<naive>naive)(?P<sampled>-sampled)?)$"
)
#: the same grammar without names and anchors: the Snakefile's wildcard constraint
GROUPS_PATTERN = re.sub(r"\(\?P<\w+>", "(?:", GROUPS_RE.pattern)[1:-1]


def _match(regex: re.Pattern, tag: str, what: str) -> re.Match:
    m = regex.match(tag)
    if not m:
        raise ValueError(f"{tag!r} is not a valid {what} directory name")
    return m


def model_tag(identity: str, input_size: int, resize: str) -> str:
    return f"{identity}_{input_size}px_{resize}"


def parse_model_tag(tag: str) -> dict:
    m = _match(MODEL_RE, tag, "model")
    return {
        "model": m["name"],
        "checksum": m["checksum"],
        "input_size": int(m["input_size"]),
        "resize": m["resize"],
    }


def groups_tag(method: str, k: int, negative: str) -> str:
    """``nmf<k>[-clip|-shift]`` for the shared method, ``naive`` or ``naive-sampled``."""
    if method != "shared":
        return method.replace("_", "-")
    return f"nmf{k}" + ("" if negative == "error" else f"-{negative}")


def parse_groups_tag(tag: str) -> dict:
    m = _match(GROUPS_RE, tag, "groups")
    if m["naive"]:
        return {"method": "naive_sampled" if m["sampled"] else "naive"}
    return {"method": "shared", "k": int(m["k"]), "negative": m["negative"] or "error"}


def has_groups(groups_tag: str) -> bool:
    """Whether a grid's method (its groups directory) uses NMF groups."""
    return parse_groups_tag(groups_tag)["method"] == "shared"


def method_name(groups_tag: str) -> str:
    """'naive', 'naive-sampled', or 'shared' with its groups directory: 'shared (nmf6)'."""
    return f"shared ({groups_tag})" if has_groups(groups_tag) else groups_tag
