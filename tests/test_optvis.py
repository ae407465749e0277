import numpy as np
import pytest
import tensorflow as tf

from actgrid.optvis import objectives, param, transform
from actgrid.optvis.adam import RowAdam
from actgrid.optvis.state import AdamState


def test_fft_param_statistics():
    rng = np.random.default_rng(0)
    spectra = param.init_spectra(rng, 256, 48)
    assert spectra.shape == (256, 2, 3, 48, 25)
    assert spectra.std() == pytest.approx(0.01, rel=0.02)
    imgs = param.spectra_to_images(tf.constant(spectra), 48).numpy()
    assert imgs.shape == (256, 48, 48, 3)
    assert abs(imgs.mean()) < 0.01
    # 1/f scaling: neighbouring pixels are strongly correlated (natural-image-like noise).
    corr = np.corrcoef(imgs[:, :, :-1].ravel(), imgs[:, :, 1:].ravel())[0, 1]
    assert corr > 0.5


def test_spectrum_scale_values():
    scale = param.spectrum_scale(48)
    assert scale[0, 0] == pytest.approx(48 * 48)  # DC: 1/(1/48) · sqrt(48·48)
    assert scale[0, 24] == pytest.approx(48 / 0.5)


def test_colour_decorrelation_round_trip():
    x = tf.random.normal([4, 8, 8, 3])
    y = param.decorrelate_colors(x)
    back = tf.linalg.matvec(tf.constant(np.linalg.inv(param.COLOR_DECORRELATION)), y)
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1e-5)
    assert np.linalg.norm(param.COLOR_DECORRELATION, axis=0).max() == pytest.approx(1.0)


@pytest.mark.parametrize("size", [48, 31])
def test_numpy_tiles_equal_tensorflow_tiles(size):
    spectra = 20 * param.init_spectra(np.random.default_rng(1), 3, size)  # far from grey
    tf_rgb = param.to_valid_rgb(param.spectra_to_images(tf.constant(spectra), size)).numpy()
    np.testing.assert_allclose(param.spectra_to_rgb(spectra, size), tf_rgb, atol=2e-5)
    assert tf_rgb.std() > 0.01


def test_valid_rgb_range():
    rgb = param.to_valid_rgb(tf.random.normal([2, 8, 8, 3]) * 100).numpy()
    assert rgb.min() >= 0 and rgb.max() <= 1


STANDARD = transform.TRANSFORMS["standard"]


def test_transform_shapes_and_gradient():
    rng = tf.random.Generator.from_seed(0)
    x = tf.Variable(tf.random.uniform([5, 48, 48, 3]))
    with tf.GradientTape() as tape:
        y = STANDARD.apply(x, STANDARD.draw(rng, 5, 48))
        loss = tf.reduce_sum(y)
    assert y.shape == (5, 60, 60, 3)
    assert STANDARD.apply(x, None).shape == (5, 60, 60, 3)  # untransformed, same size
    assert transform.TRANSFORMS["none"].draw(rng, 5, 48) is None
    assert float(tf.reduce_sum(tape.gradient(loss, x))) > 0


def test_transforms_draw_per_tile_and_fill_grey():
    rng = tf.random.Generator.from_seed(1)
    x = tf.ones([16, 32, 32, 3])
    y = STANDARD.apply(x, STANDARD.draw(rng, 16, 32)).numpy()
    assert np.allclose(y[:, 0, 0], 0.5)  # corners come from the grey padding
    assert len({y[i].sum().round(2) for i in range(16)}) > 1  # each tile its own draw


def test_transforms_per_batch_draw_once_for_every_tile():
    per_batch = transform.TRANSFORMS["standard_batch"]
    warps = per_batch.draw(tf.random.Generator.from_seed(1), 16, 32).numpy()
    assert warps.shape == (16, 8) and (warps == warps[0]).all()
    # a step's draws from the sampler: the same for a photo alone and beside another
    from actgrid.optvis.sampling import CellSampler

    alone = CellSampler([20], [8], 3).draw(per_batch, 32)
    beside = CellSampler([20, 20], [8, 8], 3).draw(per_batch, 32)
    np.testing.assert_array_equal(beside[1].numpy()[:8], alone[1].numpy())
    assert (beside[1].numpy() == alone[1].numpy()[0]).all()


def test_identity_affine_is_a_shift():
    x = tf.random.uniform([1, 20, 20, 3])
    t = tf.constant([[1, 0, -3, 0, 1, -3, 0, 0]], tf.float32)  # output p -> input p - 3
    y = transform.apply_affine(x, t, 26).numpy()
    np.testing.assert_allclose(y[0, 3:23, 3:23], x.numpy()[0], atol=1e-6)


def test_direction_objective_sign():
    target = tf.constant([[1.0, 2.0, 0.0]])
    acts = tf.reshape(tf.tile(target, [4, 1]), [1, 2, 2, 3])
    assert float(objectives.direction(acts, target)[0]) == pytest.approx(5.0)
    assert float(objectives.direction(-acts, target)[0]) == pytest.approx(-5.0)


def test_row_adam_matches_a_lone_adam():
    rows = RowAdam(tf.Variable(np.zeros((3, 2), np.float32)), lr=0.1)
    lone = tf.keras.optimizers.Adam(0.1, epsilon=1e-8)
    v = tf.Variable(np.zeros(2, np.float32))
    for g in ([1.0, -2.0], [0.5, 0.5], [-1.0, 3.0]):
        grad = tf.constant([g], tf.float32)
        rows.descend_rows(tf.constant([1]), tf.gather(rows.param, [1]), grad)
        lone.apply_gradients([(tf.constant(g), v)])
    np.testing.assert_allclose(rows.param.numpy()[1], v.numpy(), rtol=1e-4, atol=1e-6)
    assert not rows.param.numpy()[[0, 2]].any()  # rows not sampled stay put
    np.testing.assert_array_equal(rows.t.numpy(), [0, 3, 0])


def test_dense_adam_steps_every_row_as_lucids_adam_does():
    """Dense: the whole variable steps each time, rows without a gradient on their momentum."""
    rows = RowAdam(tf.Variable(np.zeros((3, 2), np.float32)), lr=0.1, dense=True)
    lone = tf.keras.optimizers.Adam(0.1, epsilon=1e-8)
    v = tf.Variable(np.zeros((3, 2), np.float32))
    for idx, g in (([1], [1.0, -2.0]), ([0], [0.5, 0.5]), ([0], [-1.0, 3.0])):
        grad = tf.constant([g], tf.float32)
        rows.descend_rows(tf.constant(idx), tf.gather(rows.param, idx), grad)
        lone.apply_gradients([(tf.scatter_nd(tf.constant(idx)[:, None], grad, [3, 2]), v)])
    np.testing.assert_allclose(rows.param.numpy(), v.numpy(), rtol=1e-4, atol=1e-6)
    assert np.abs(rows.param.numpy()[1]).min() > 0.2  # sampled once, kept moving
    assert not rows.param.numpy()[2].any()  # never sampled: no momentum
    np.testing.assert_array_equal(rows.t.numpy(), [3, 3, 3])
    uneven = AdamState.start(np.zeros((2, 2), np.float32))
    uneven.t[:] = [0, 7]
    with pytest.raises(ValueError, match="one step count for all rows"):
        RowAdam(tf.Variable(uneven.param), uneven, lr=0.1, dense=True)


def test_adam_state_concatenates_and_splits_back():
    parts = [AdamState.start(np.full((n, 2), n, np.float32)) for n in (1, 3, 2)]
    parts[1].t[:] = 7
    whole = AdamState.concatenate(parts)
    assert len(whole) == 6 and whole.t.tolist() == [0, 7, 7, 7, 0, 0]
    for part, back in zip(parts, whole.split([1, 3, 2])):
        for key in ("param", "m", "v", "t"):
            np.testing.assert_array_equal(getattr(part, key), getattr(back, key))
    np.testing.assert_array_equal(whole.rows([1, 4]).param[:, 0], [3, 2])


def test_an_optimizer_starts_from_its_adam_state():
    state = AdamState.start(np.ones((2, 3), np.float32))
    state.m[:], state.v[:], state.t[:] = 0.5, 0.25, 4
    rows = RowAdam(tf.Variable(state.param), state, lr=0.1)
    back = rows.state()
    for key in ("param", "m", "v", "t"):
        np.testing.assert_array_equal(getattr(back, key), getattr(state, key))
