"""Readable directory names that encode the parameters of an expensive stage, and back.

Putting the defining parameters in the path means switching a parameter back to an earlier
value finds the earlier outputs still there: nothing to recompute.
"""

from __future__ import annotations

import re

from actgrid.images import RESIZE_MODES

MODEL_RE = re.compile(
    rf"^(?P<name>[A-Za-z0-9_]+)-(?P<weights>[0-9a-f]{{8}})_(?P<input_size>\d+)px_(?P<resize>{'|'.join(RESIZE_MODES)})$"
)
GROUPS_RE = re.compile(
    r"^(?:nmf(?P<k>\d+)(?:-(?P<negative>clip|shift))?|(?P<naive>naive)(?P<sampled>-sampled)?)$"
)
RENDER_RE = re.compile(
    r"^W(?P<size>\d+)_steps(?P<steps>\d+)(?:_batch(?P<batch>\d+))?_lr(?P<lr>[0-9.e+-]+)"
    r"(?:_frac(?P<shared_fraction>[0-9.]+))?_cos(?P<cossim_pow>[0-9.]+)"
    r"_adam(?P<adam>dense|percell)_(?P<transforms>standard|none)_seed(?P<seed>\d+)$"
)


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
        "weights": m["weights"],
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


def render_tag(method: str, p: dict) -> str:
    """The render directory's name: the parameters that matter for ``method``."""
    batch = "" if method == "naive" else f"_batch{p['batch']}"
    frac = f"_frac{p['shared_fraction']:g}" if method == "shared" else ""
    return (
        f"W{p['size']}_steps{p['steps']}{batch}_lr{p['lr']:g}{frac}_cos{p['cossim_pow']:g}"
        f"_adam{p['adam'].replace('_', '')}_{'standard' if p['transforms'] else 'none'}"
        f"_seed{p['seed']}"
    )


def parse_render_tag(tag: str, method: str) -> dict:
    """Render parameters of a render directory; the method comes from its groups directory."""
    m = _match(RENDER_RE, tag, "render")
    if (m["shared_fraction"] is None) == (method == "shared") or (m["batch"] is None) != (
        method == "naive"
    ):
        raise ValueError(f"render directory {tag!r} does not fit method {method!r}")
    p = {
        "method": method,
        "size": int(m["size"]),
        "steps": int(m["steps"]),
        "lr": float(m["lr"]),
        "cossim_pow": float(m["cossim_pow"]),
        "adam": "dense" if m["adam"] == "dense" else "per_cell",
        "transforms": m["transforms"] == "standard",
        "seed": int(m["seed"]),
    }
    if method != "naive":
        p["batch"] = int(m["batch"])
    if method == "shared":
        p["shared_fraction"] = float(m["shared_fraction"])
    return p
