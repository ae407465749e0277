import dataclasses
import logging

import numpy as np
import pytest
import tensorflow as tf
from test_numerics import PARAMS, _activations

from actgrid import files, render
from actgrid.models import from_config

from actgrid.optvis import param
from actgrid.optvis.state import AdamState
from actgrid.optvis.optimizer import TileOptimizer


def _optimizer(model, shared, steps_seed=0, chunk_cells=None, adam_dense=False, batch=4):
    """The workflow's optimizer (``render.grid_optimizer``) of 12 cells of a small layer."""
    features = model.features("block3_expand_relu")
    rng = np.random.default_rng(0)
    targets = np.maximum(rng.standard_normal((12, 144)), 0).astype(np.float32)
    unique = AdamState.start(param.init_spectra(rng, 12, 24))
    kwargs = {}
    if shared:
        kwargs = dict(
            group_weights=rng.random((12, 3)).astype(np.float32),
            groups=AdamState.start(param.init_spectra(rng, 3, 24)),
            train_groups=True,
        )
    p = dataclasses.replace(
        PARAMS, tile_size=24, batch_size=batch, adam="dense" if adam_dense else "per_cell"
    )
    return render.grid_optimizer(
        p, features, targets, unique, steps_seed, chunk_cells=chunk_cells, **kwargs
    )


def test_objective_rises_and_loop_is_traced_once(model):
    opt = _optimizer(model, shared=True)
    before = opt.final_figures()[0].mean()
    opt.run(tf.constant(10))
    opt.run(tf.constant(20))
    assert opt.run.experimental_get_tracing_count() == 1
    assert opt.final_figures()[0].mean() > before
    assert opt.groups.t.numpy()[0] == 30


def test_only_sampled_cells_move(model):
    opt = _optimizer(model, shared=False)
    start = opt.unique.param.numpy().copy()
    opt.run(tf.constant(1))
    moved = np.abs(opt.unique.param.numpy() - start).reshape(12, -1).max(1) > 0
    assert moved.sum() == 4
    np.testing.assert_array_equal(opt.unique.t.numpy() > 0, moved)


def test_same_seed_same_result(model):
    a, b = _optimizer(model, True, 7), _optimizer(model, True, 7)
    a.run(tf.constant(5))
    b.run(tf.constant(5))
    np.testing.assert_allclose(a.all_images(), b.all_images(), atol=1e-5)
    tiles = a.all_images()
    assert tiles.shape == (12, 24, 24, 3) and tiles.min() >= 0 and tiles.max() <= 1


def test_chunks_give_the_same_gradients_and_steps(model):
    """A batch computed in parts one after another, the last one padded (5 cells in 3 parts of
    2), gives each cell the gradient it gets in one part, and the groups the same sum."""
    opt = _optimizer(model, True, 3, 2, batch=5)
    assert opt.chunks == 3 and opt.cells_per_step == 5
    idx, warps = opt.sampler.draw(opt.transforms, opt.size)
    in_one = opt._chunk(idx, warps, opt.groups.param)
    in_parts = opt._in_sequence(idx, warps, opt.groups.param)
    for one, part in zip(in_one, in_parts):  # objectives, cells' gradients, groups' gradient
        np.testing.assert_allclose(part.numpy(), one.numpy(), rtol=1e-4, atol=1e-7)
    whole, parts = _optimizer(model, True, 3, batch=5), _optimizer(model, True, 3, 2, batch=5)
    trace_whole, trace_parts = whole.run(tf.constant(6)), parts.run(tf.constant(6))
    np.testing.assert_allclose(trace_parts, trace_whole, rtol=1e-3)
    # the network's kernels round differently at another batch size, and the groups' gradient
    # is summed in another order; Adam turns rounding differences in near-zero gradients into
    # steps of up to ~1% of the learning rate
    np.testing.assert_allclose(parts.all_images(), whole.all_images(), atol=5e-3)
    np.testing.assert_allclose(parts.groups.param.numpy(), whole.groups.param.numpy(), atol=3e-3)


@pytest.mark.parametrize("method,batch", [("naive", 36), ("naive_sampled", 8)])
def test_naive_renders_every_cell_each_step_and_naive_sampled_a_batch(
    tmp_path, caplog, method, batch
):
    acts = _activations(tmp_path / "activations.h5", from_config(input_size=96))
    p = dataclasses.replace(
        PARAMS, method=method, steps=2, adam="dense", batch_size=None if method == "naive" else 8
    )
    with caplog.at_level(logging.INFO, logger="actgrid"):
        render.run_shard([render.Subject("p", acts)], None, tmp_path / "s.h5", p, 0, 1, {})
    assert f"36 cells, batch {batch} " in caplog.text
    cells = files.read_shards([tmp_path / "s.h5"], "p")
    assert set(np.unique(cells["retrieval"])) <= {0, 1}
    assert np.all((cells["faithfulness"] > -1) & (cells["faithfulness"] < 1))


def test_dense_adam_moves_cells_on_their_momentum(model):
    opt = _optimizer(model, shared=False, adam_dense=True)
    opt.run(tf.constant(1))
    after_one = opt.unique.param.numpy().copy()
    opt.run(tf.constant(1))
    moved = np.abs(opt.unique.param.numpy() - after_one).reshape(12, -1).max(1) > 0
    assert moved.sum() > 4  # batch 4: cells sampled in step 1 only moved on in step 2 too
    np.testing.assert_array_equal(opt.unique.t.numpy(), 2)


def test_out_of_memory_starts_again_in_more_chunks_and_says_so(tmp_path, caplog, monkeypatch):
    """A stand-in for a device that cannot hold a step (8 cells) in parts of more than 3 cells:
    the job starts over in parts of 4, then 2 cells, and its file is the one such a run writes."""
    acts = _activations(tmp_path / "activations.h5", from_config(input_size=96))
    p = dataclasses.replace(PARAMS, method="naive_sampled", steps=2, adam="dense", batch_size=8)
    run = TileOptimizer.run

    def small_device(self, n_steps):
        if self.chunks < 3:
            raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")
        return run(self, n_steps)

    monkeypatch.setattr(TileOptimizer, "run", small_device)
    photo = [render.Subject("p", acts)]
    with caplog.at_level(logging.INFO, logger="actgrid"):
        render.run_shard(photo, None, tmp_path / "s.h5", p, 0, 1, {}, chunk_cells=8, retries=2)
    assert "out of memory in parts of 8 cells" in caplog.text
    assert "starting again in parts of 2 cells" in caplog.text
    render.run_shard(photo, None, tmp_path / "four.h5", p, 0, 1, {}, chunk_cells=2)
    mine, four = (files.read_shards([tmp_path / f], "p") for f in ("s.h5", "four.h5"))
    np.testing.assert_array_equal(mine["tiles"], four["tiles"])
    with pytest.raises(tf.errors.ResourceExhaustedError):  # out of retries: the job fails
        render.run_shard(photo, None, tmp_path / "x.h5", p, 0, 1, {}, chunk_cells=8, retries=1)
    assert not (tmp_path / "x.h5").exists()
