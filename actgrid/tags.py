"""Readable directory names that encode the parameters of an expensive stage, and back
(the render directory's: ``actgrid.params``).

Putting the defining parameters in the path means switching a parameter back to an earlier
value finds the earlier outputs still there: nothing to recompute.
"""

from __future__ import annotations

import re

from actgrid.images import RESIZE_MODES
from actgrid.methods import METHODS, Method, by_folder, method

MODEL_RE = re.compile(
    rf"^(?P<name>[A-Za-z0-9_]+)-(?P<checksum>[0-9a-f]{{8}})_(?P<input_size>\d+)px_(?P<resize>{'|'.join(RESIZE_MODES)})$"
)
_FOLDERS = sorted(METHODS.values(), key=lambda m: -len(m.folder))  # longest first
_GROUPED = "|".join(re.escape(m.folder) for m in _FOLDERS if m.has_groups)
_GROUPLESS = "|".join(re.escape(m.folder) for m in _FOLDERS if not m.has_groups)
GROUPS_RE = re.compile(
    rf"^(?:(?P<grouped>{_GROUPED})(?P<k>\d+)(?:-(?P<negative>clip|shift))?"
    rf"|(?P<groupless>{_GROUPLESS}))$"
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


def groups_tag(name: str, k: int, negative: str) -> str:
    """A method's groups directory: its folder, and for a method with groups their number and
    how negative activations were handled (``nmf6``, ``nmf6-clip``, ``naive-sampled``)."""
    m = method(name)
    if not m.has_groups:
        return m.folder
    return f"{m.folder}{k}" + ("" if negative == "error" else f"-{negative}")


def parse_groups_tag(tag: str) -> dict:
    m = _match(GROUPS_RE, tag, "groups")
    if m["groupless"]:
        return {"method": by_folder(m["groupless"]).name}
    name = by_folder(m["grouped"]).name
    return {"method": name, "k": int(m["k"]), "negative": m["negative"] or "error"}


def method_of(groups_tag: str) -> Method:
    """The render method of a groups directory."""
    return method(parse_groups_tag(groups_tag)["method"])


def has_groups(groups_tag: str) -> bool:
    """Whether a grid's method (its groups directory) uses NMF groups."""
    return method_of(groups_tag).has_groups


def method_name(groups_tag: str) -> str:
    """'naive', 'naive-sampled', or 'shared' with its groups directory: 'shared (nmf6)'."""
    m = method_of(groups_tag)
    return f"{m.name} ({groups_tag})" if m.has_groups else groups_tag
