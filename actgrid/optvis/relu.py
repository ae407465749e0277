"""Lucid's redirected ReLU gradients (``lucid.optvis.redirected_relu_grad``, used by its
``render_vis`` with ``relu_gradient_override=True``), for any model's features.

Where a tile's ReLU (or ReLU6) passes no gradient at all, as for a channel that is 0 on the grey
starting image, the gradient is passed through instead, except where it would push an input
further below 0 (or above 6): the tile then moves toward activating the channel instead of
staying grey. Where the ReLU passes some gradient for a tile, it is the plain one.
"""

from __future__ import annotations

import tensorflow as tf

GRADIENTS = {"Relu": "ActgridRedirectedRelu", "Relu6": "ActgridRedirectedRelu6"}


def _redirected(x, grad, plain, pushing_out):
    """``plain`` for tiles where it is not all zero, else ``grad`` except where it pushes
    ``x`` out of the ReLU's range (``pushing_out``)."""
    redirected = tf.where(pushing_out, tf.zeros_like(grad), grad)
    flat = tf.reshape(plain, [tf.shape(plain)[0], -1])
    passes = tf.reduce_any(flat != 0, axis=1)
    passes = tf.reshape(
        passes, tf.concat([tf.shape(passes), tf.ones([tf.rank(x) - 1], tf.int32)], 0)
    )
    return tf.where(passes, plain, redirected)


@tf.RegisterGradient(GRADIENTS["Relu"])
def _relu(op, grad):
    x = op.inputs[0]
    plain = tf.where(x < 0.0, tf.zeros_like(grad), grad)
    return _redirected(x, grad, plain, tf.logical_and(x < 0.0, grad > 0.0))


@tf.RegisterGradient(GRADIENTS["Relu6"])
def _relu6(op, grad):
    x = op.inputs[0]
    plain = tf.where(tf.logical_or(x < 0.0, x > 6.0), tf.zeros_like(grad), grad)
    pushing_out = tf.logical_or(
        tf.logical_and(x < 0.0, grad > 0.0), tf.logical_and(x > 6.0, grad < 0.0)
    )
    return _redirected(x, grad, plain, pushing_out)


def redirected(function, spec: tf.TensorSpec):
    """A one-input, one-output concrete ``function`` (a frozen graph) again, its ReLUs'
    gradients redirected."""
    graph_def = function.graph.as_graph_def()
    feed, fetch = function.inputs[0].name, function.outputs[0].name

    def imported(x):
        with tf.compat.v1.get_default_graph().gradient_override_map(GRADIENTS):
            return tf.compat.v1.import_graph_def(
                graph_def, input_map={feed: x}, return_elements=[fetch], name=""
            )[0]

    return tf.compat.v1.wrap_function(imported, [spec])
