"""Adam with per-row state, so only the rows sampled in a step are read and written."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


class RowAdam(tf.Module):
    """Parameters [n, ...] with Adam moments and a step count per row.

    Each row keeps its own step count for bias correction, so a row behaves exactly as if
    it were optimized alone on the steps it was sampled in. That makes a cell's trajectory
    independent of which other cells share its job (and so of the number of shards).
    """

    def __init__(self, value, m=None, v=None, t=None, lr=0.05, name=None):
        super().__init__(name=name)
        value = np.asarray(value, np.float32)
        self.param = tf.Variable(value, name="param")
        self.m = tf.Variable(np.zeros_like(value) if m is None else m, name="m")
        self.v = tf.Variable(np.zeros_like(value) if v is None else v, name="v")
        n = value.shape[0]
        self.t = tf.Variable(np.zeros(n, np.float32) if t is None else t, name="t")
        self.lr = lr

    def _update(self, param, m, v, t, grad):
        m = BETA1 * m + (1 - BETA1) * grad
        v = BETA2 * v + (1 - BETA2) * tf.square(grad)
        shape = [-1] + [1] * (len(param.shape) - 1)
        t = tf.reshape(t, shape)
        step = self.lr * tf.sqrt(1 - BETA2**t) / (1 - BETA1**t)
        return param - step * m / (tf.sqrt(v) + EPS), m, v

    def descend_rows(self, idx: tf.Tensor, rows: tf.Tensor, grad: tf.Tensor) -> None:
        """One Adam step on rows ``idx`` (unique), whose current values are ``rows``."""
        t = tf.gather(self.t, idx) + 1.0
        new, m, v = self._update(rows, tf.gather(self.m, idx), tf.gather(self.v, idx), t, grad)
        self.param.scatter_nd_update(idx[:, None], new)
        self.m.scatter_nd_update(idx[:, None], m)
        self.v.scatter_nd_update(idx[:, None], v)
        self.t.scatter_nd_update(idx[:, None], t)

    def descend_all(self, grad: tf.Tensor) -> None:
        """One Adam step on every row."""
        self.t.assign_add(tf.ones_like(self.t))
        new, m, v = self._update(self.param, self.m, self.v, self.t, grad)
        self.param.assign(new)
        self.m.assign(m)
        self.v.assign(v)

    def state(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k).numpy() for k in ("param", "m", "v", "t")}
