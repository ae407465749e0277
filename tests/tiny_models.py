"""Small networks of each model source type, built by the tests (no downloads needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

INCEPTION_RANGE = (-117.0, 138.0)  # Lucid's InceptionV1: pixel values 0..255 minus 117


def inception_style_graph(path: Path, seed: int = 0) -> Path:
    """A frozen GraphDef named and fed like Lucid's InceptionV1 (input ``input``, [-117, 138]).

    conv2d0 (7x7/2) - maxpool0 - localresponsenorm0 - conv2d1 - conv2d2 - maxpool1 -
    mixed3a, mixed3b - maxpool4 - mixed4a..mixed4d: 14x14 at 224 px, as in the original, each
    a concatenation of ReLU towers (``<name>_pre_relu`` is not in the file: Lucid adds it on
    import, and so do we). Few channels, random weights.
    """
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    graph = tf.Graph()
    with graph.as_default():

        def conv(x, name, k, cout, stride=1):
            cin = x.shape[-1]
            w = rng.normal(0, np.sqrt(2 / (k * k * cin)), (k, k, cin, cout)).astype(np.float32)
            y = tf.nn.conv2d(x, w, stride, "SAME", name=f"{name}_pre_relu/conv")
            return tf.nn.bias_add(y, np.full(cout, 0.01, np.float32), name=f"{name}_pre_relu")

        def relu_conv(x, name, k, cout, stride=1):
            return tf.nn.relu(conv(x, name, k, cout, stride), name=name)

        def mixed(x, name, c):
            branches = [
                conv(x, f"{name}_1x1", 1, c),
                conv(relu_conv(x, f"{name}_3x3_bottleneck", 1, c), f"{name}_3x3", 3, c),
                conv(relu_conv(x, f"{name}_5x5_bottleneck", 1, c), f"{name}_5x5", 5, c),
                conv(tf.nn.max_pool2d(x, 3, 1, "SAME"), f"{name}_pool_reduce", 1, c),
            ]
            towers = [tf.nn.relu(b, name=b.op.name[: -len("_pre_relu")]) for b in branches]
            return tf.concat(towers, -1, name=name)  # Lucid adds <name>_pre_relu itself

        x = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3], name="input")
        x = x / 128.0  # the real graph's first convolution is scaled for this range too
        x = relu_conv(x, "conv2d0", 7, 16, 2)
        x = tf.nn.max_pool2d(x, 3, 2, "SAME", name="maxpool0")
        x = tf.nn.local_response_normalization(x, name="localresponsenorm0")
        x = relu_conv(relu_conv(x, "conv2d1", 1, 16), "conv2d2", 3, 24)
        x = tf.nn.max_pool2d(x, 3, 2, "SAME", name="maxpool1")
        x = mixed(mixed(x, "mixed3a", 8), "mixed3b", 8)
        x = tf.nn.max_pool2d(x, 3, 2, "SAME", name="maxpool4")
        for name in ("mixed4a", "mixed4b", "mixed4c", "mixed4d"):
            x = mixed(x, name, 8)
        pooled = tf.reduce_mean(x, [1, 2], name="avgpool0")
        w = rng.normal(0, 0.1, (pooled.shape[-1], 10)).astype(np.float32)
        tf.nn.softmax(tf.matmul(pooled, w), name="softmax2")
    path.write_bytes(graph.as_graph_def().SerializeToString())
    return path


def small_keras_network(input_shape=(64, 64, 3), seed: int = 0):
    """A small functional CNN with a fixed input size and a classifier top."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(input_shape, name="pixels")
    x = keras.layers.Conv2D(16, 3, 2, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.Conv2D(32, 3, 2, padding="same", name="conv2")(x)
    x = keras.layers.ReLU(name="conv2_relu")(x)
    x = keras.layers.Conv2D(32, 3, 2, padding="same", activation="relu", name="conv3")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, outputs)
