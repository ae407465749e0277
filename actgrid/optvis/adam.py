"""Adam over rows of parameters: per-cell (only the sampled rows step) or dense (Lucid's)."""

from __future__ import annotations

import tensorflow as tf

from actgrid.optvis.state import AdamState

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


class RowAdam(tf.Module):
    """Adam on the rows of a variable ``param`` [n, ...], with moments and a step count per row.

    Per-cell (``dense=False``): a step moves only the rows it has gradients for, each with its
    own step count, so a row behaves as if optimized alone on the steps it was sampled in; only
    those rows are read and written. Dense (Lucid's, as ``tf.train.AdamOptimizer`` on the whole
    variable): every row steps every time, rows without a gradient on their momentum. Adam is
    elementwise, so either way a row's trajectory depends only on its own gradients and the
    step count, not on which other rows share its job (or shard).

    ``state``: where the moments and step counts start (an ``AdamState`` of ``param``'s rows;
    default: not stepped yet).
    """

    def __init__(
        self, param: tf.Variable, state: AdamState | None = None, *, lr: float, dense=False
    ):
        super().__init__()
        self.dense = dense
        self.param = param
        if state is None:
            state = AdamState.start(param.numpy())
        if dense and len(state.t) and state.t.min() != state.t.max():
            raise ValueError(f"dense Adam needs one step count for all rows, not {set(state.t)}")
        self.m = tf.Variable(state.m, name="m")
        self.v = tf.Variable(state.v, name="v")
        self.t = tf.Variable(state.t, name="t")
        self.lr = lr

    def _update(self, param, m, v, t, grad):
        m = BETA1 * m + (1 - BETA1) * grad
        v = BETA2 * v + (1 - BETA2) * tf.square(grad)
        shape = [-1] + [1] * (len(param.shape) - 1)
        t = tf.reshape(t, shape)
        step = self.lr * tf.sqrt(1 - BETA2**t) / (1 - BETA1**t)
        return param - step * m / (tf.sqrt(v) + EPS), m, v

    def descend_rows(self, idx: tf.Tensor, rows: tf.Tensor, grad: tf.Tensor) -> None:
        """One Adam step with the gradient ``grad`` of rows ``idx`` (unique, values ``rows``).

        Dense: every row steps, the others with a zero gradient.
        """
        if self.dense:
            self.descend_all(tf.scatter_nd(idx[:, None], grad, tf.shape(self.param)))
            return
        t = tf.gather(self.t, idx) + 1.0
        new, m, v = self._update(rows, tf.gather(self.m, idx), tf.gather(self.v, idx), t, grad)
        self.param.scatter_nd_update(idx[:, None], new)
        self.m.scatter_nd_update(idx[:, None], m)
        self.v.scatter_nd_update(idx[:, None], v)
        self.t.scatter_nd_update(idx[:, None], t)

    def descend_all(self, grad: tf.Tensor) -> None:
        """One Adam step on every row, in place: TensorFlow's fused kernel, as Lucid's
        ``tf.train.AdamOptimizer`` steps (a third of the time of the step written out, and
        no temporaries the size of the variable)."""
        self.t.assign_add(tf.ones_like(self.t))
        t = self.t[0]  # one count for all rows: dense Adam's (checked at the start) and the
        # group images' (they always step together)
        tf.raw_ops.ResourceApplyAdam(
            var=self.param.handle,
            m=self.m.handle,
            v=self.v.handle,
            beta1_power=BETA1**t,
            beta2_power=BETA2**t,
            lr=tf.constant(self.lr, tf.float32),
            beta1=tf.constant(BETA1, tf.float32),
            beta2=tf.constant(BETA2, tf.float32),
            epsilon=tf.constant(EPS, tf.float32),
            grad=grad,
        )

    def state(self) -> AdamState:
        """The parameters and their Adam state now."""
        return AdamState(*(x.numpy() for x in (self.param, self.m, self.v, self.t)))
