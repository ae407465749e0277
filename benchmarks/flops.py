"""FLOPs of one cell-step, and the machine's measured fp32 matmul peak."""

from __future__ import annotations

import time

import numpy as np


def forward_backward_flops(layer: str, side: int) -> int:
    """Floating-point operations of the network to ``layer`` and its gradient, for one image.

    Counted by TensorFlow's profiler on the traced Keras layers (the profiler does not look
    inside the frozen function the renderer calls, which runs the same ops). Ops without a
    registered FLOP count, such as the depthwise convolutions' input gradients, count as 0:
    the figure is a lower bound.
    """
    import tensorflow as tf

    from actgrid.models import from_config

    features = from_config().layer_function(layer)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(features(x))
        return tape.gradient(y, x)

    graph = step.get_concrete_function(tf.TensorSpec([1, side, side, 3], tf.float32)).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(graph, options=options)
    return int(profile.total_float_ops)


def matmul_peak(n: int = 2048, seconds: float = 3.0) -> float:
    """Measured fp32 matmul rate (FLOP/s) with TensorFlow's current thread settings."""
    import tensorflow as tf

    a = tf.constant(np.random.default_rng(0).standard_normal((n, n)), tf.float32)

    @tf.function
    def chain(x, k: int = 8):
        for _ in range(k):
            x = tf.matmul(x, a) * (1.0 / n)
        return x

    chain(a).numpy()
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        chain(a).numpy()
        runs += 1
    return runs * 8 * 2 * n**3 / (time.perf_counter() - start)
