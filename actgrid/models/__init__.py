"""Models behind one interface (``Model``): identity, layers, and features from RGB in [0, 1].

A config's ``model:`` entry picks a type (see README, "Models"):
``embedded`` (EfficientNet-Lite, the default), ``keras_application``, ``keras_file``,
``saved_model`` and ``frozen_graph``.
"""

from __future__ import annotations

from actgrid.models.base import Model
from actgrid.models.efficientnet_lite import EfficientNetLite
from actgrid.models.sources import ModelError
from actgrid.models.graph_models import FrozenGraph, SavedModel
from actgrid.models.keras_models import KerasApplication, KerasFile

TYPES = {
    "embedded": EfficientNetLite,
    "keras_application": KerasApplication,
    "keras_file": KerasFile,
    "saved_model": SavedModel,
    "frozen_graph": FrozenGraph,
}
DEFAULTS = {"type": "embedded", "name": "efficientnet_lite0", "input_size": 224}

__all__ = ["Model", "ModelError", "TYPES", "from_config", "matching"]


def from_config(cfg: dict | None = None, **overrides) -> Model:
    """The model a ``model:`` config entry describes (missing keys take the defaults)."""
    cfg = {**DEFAULTS, **(cfg or {}), **overrides}
    if cfg["type"] not in TYPES:
        raise ModelError(f"model.type: unknown {cfg['type']!r}; have {', '.join(TYPES)}")
    return TYPES[cfg["type"]](cfg)


def matching(cfg: dict, identity: str, input_size: int) -> Model:
    """The configured model at ``input_size``, checked to be the one ``identity`` names."""
    model = from_config(cfg, input_size=input_size)
    if model.identity != identity:
        raise ModelError(
            f"these results belong to model {identity}, but the config's model is "
            f"{model.identity}: switch model: back, or ask for the new model's results"
        )
    return model
