"""Which cells a step optimizes: each photo its own random sample, drawn so that a photo's
draws are those it would get alone."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


class CellSampler(tf.Module):
    """Each step, ``batches[i]`` random cells of photo ``i`` (``counts[i]`` cells, consecutive
    rows), and the batch's random transforms.

    The draws are common to all photos: each step draws one key per cell position and one
    transform per batch place, and every photo takes the first of them that it has; so a
    photo's draws, and its tiles, are those it would get alone, whichever photos share its job,
    and the ops are the same for any number of photos.
    """

    def __init__(self, counts: list[int], batches: list[int], seed: int):
        super().__init__()
        batches = [min(int(b), int(c)) for b, c in zip(batches, counts)]
        offsets = np.cumsum([0] + list(counts[:-1])).tolist()
        #: (first row, cells, batch) of each photo
        self.parts = [(int(o), int(c), b) for o, c, b in zip(offsets, counts, batches)]
        self.cells_per_step = sum(batches)
        self.rng = tf.random.Generator.from_seed(seed)
        counts, batches = np.asarray(counts), np.asarray(batches)
        self.most_cells, self.most_batch = int(counts.max()), int(batches.max())
        self.padding = tf.constant(np.arange(self.most_cells)[None, :] >= counts[:, None])
        self.taken = tf.constant(np.arange(self.most_batch)[None, :] < batches[:, None])
        self.place = tf.constant(np.concatenate([np.arange(b) for b in batches]), tf.int32)
        self.place_offset = tf.constant(np.repeat(offsets, batches), tf.int32)

    def draw(self, transforms, size: int):
        """This step's cells (each photo's own sample) and their random ``transforms`` of
        ``size``-pixel tiles (None for none)."""
        keys = tf.broadcast_to(self.rng.uniform([self.most_cells]), tf.shape(self.padding))
        keys = tf.where(self.padding, -1.0, keys)  # a photo's cells beyond its own: never taken
        top = tf.math.top_k(keys, self.most_batch).indices
        idx = self.place_offset + tf.boolean_mask(top, self.taken)
        warps = transforms.draw(self.rng, self.most_batch, size)
        return idx, None if warps is None else tf.gather(warps, self.place)
