"""Stage 2: NMF of a layer's activation vectors into k groups, as Lucid's ChannelReducer."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from actgrid import files

NEGATIVE_MODES = ("error", "clip", "shift")


class FactorizeError(ValueError):
    """Activations NMF cannot take."""


def make_nonnegative(flat: np.ndarray, mode: str, source: str) -> np.ndarray:
    """Refuse (``error``), zero (``clip``) or offset (``shift``) negative activations."""
    low = float(flat.min())
    if low >= 0:
        return flat
    if mode == "error":
        frac = float((flat < 0).mean())
        raise FactorizeError(
            f"{source}: {frac:.0%} of activations are negative (min {low:.3g}); NMF needs a "
            "post-activation layer (e.g. *_relu), or set nmf.negative to 'clip' or 'shift'"
        )
    if mode == "clip":
        return np.maximum(flat, 0)
    if mode == "shift":
        return flat - low
    raise FactorizeError(f"unknown nmf.negative mode {mode!r}; use one of {NEGATIVE_MODES}")


def factorize(flat: np.ndarray, k: int, seed: int = 0, max_iter: int = 1000):
    """NMF of [N, C]: group weights [N, k] with each group's max 1, components [k, C], errors."""
    n, c = flat.shape
    if k > min(n, c):
        raise FactorizeError(f"{k} NMF groups is more than the {min(n, c)} cells/channels")
    nmf = NMF(n_components=k, init="nndsvda", max_iter=max_iter, random_state=seed)
    # on one BLAS thread: more split its sums otherwise and change the last bits, so the job
    # (threads: 1) and render_grid's process (every core) would give other groups
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = nmf.fit_transform(flat)
    components = nmf.components_
    peak = weights.max(0)
    peak[peak == 0] = 1.0
    weights, components = weights / peak, components * peak[:, None]
    relative = float(np.linalg.norm(flat - weights @ components) / max(np.linalg.norm(flat), 1e-12))
    return (
        weights.astype(np.float32),
        components.astype(np.float32),
        float(nmf.reconstruction_err_),
        relative,
    )


def run(targets_path, photos: list[str], out, k: int, negative: str, seed: int) -> None:
    """Factorize each photo's vectors of an activations file (its cells) or those of a bins
    file (an atlas's filled bins: ``photos`` is ``[atlas.NAME]``) into one groups file."""
    groups = {}
    for photo in photos:
        targets, attrs, _ = files.read_targets(targets_path, photo)
        where = f"{targets_path} ({photo})"
        flat = make_nonnegative(targets, negative, where)
        try:
            weights, components, err, rel = factorize(flat, k, seed)
        except FactorizeError as e:
            raise FactorizeError(f"{where}: {e}") from None
        groups[photo] = (weights, components, {"reconstruction_error": err, "relative_error": rel})
    attrs = dict(
        groups=k, negative=negative, seed=seed, model_id=attrs["model_id"], layer=attrs["layer"]
    )
    files.write_groups(out, groups, attrs)
