import numpy as np
import pytest

from actgrid import factorize


def test_nmf_shapes_and_normalisation():
    rng = np.random.default_rng(0)
    flat = rng.random((196, 40)).astype(np.float32)
    w, h, err, rel = factorize.factorize(flat, 6)
    assert w.shape == (196, 6) and h.shape == (6, 40)
    np.testing.assert_allclose(w.max(0), 1.0)
    assert w.min() >= 0 and h.min() >= 0
    assert 0 < rel < 1 and err > 0
    assert np.linalg.norm(flat - w @ h) / np.linalg.norm(flat) == pytest.approx(rel, rel=1e-4)


def test_negative_activations():
    flat = np.array([[1.0, -2.0], [3.0, 4.0]])
    with pytest.raises(factorize.FactorizeError, match="acts.h5: 25% of activations are negative"):
        factorize.make_nonnegative(flat, "error", "acts.h5")
    assert factorize.make_nonnegative(flat, "clip", "x").min() == 0
    np.testing.assert_allclose(factorize.make_nonnegative(flat, "shift", "x")[0], [3.0, 0.0])


def test_more_groups_than_cells():
    with pytest.raises(factorize.FactorizeError, match="more than"):
        factorize.factorize(np.ones((4, 10)), 6)
