"""Rows of parameters with their Adam moments and step counts, as NumPy arrays: what a render
job hands on (phase one's state in ``shared.h5``) and what an optimizer starts from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIELDS = ("param", "m", "v", "t")  # the arrays, in this order; ``t``: each row's step count


@dataclass
class AdamState:
    """``param`` [n, ...] and its Adam moments ``m``, ``v`` (same shape) and step counts ``t`` [n]."""

    param: np.ndarray
    m: np.ndarray
    v: np.ndarray
    t: np.ndarray

    @classmethod
    def start(cls, param: np.ndarray) -> AdamState:
        """Parameters that have not stepped yet: zero moments and step counts."""
        param = np.asarray(param, np.float32)
        zeros = np.zeros_like(param)
        return cls(param, zeros, zeros.copy(), np.zeros(len(param), np.float32))

    @classmethod
    def concatenate(cls, states: list[AdamState]) -> AdamState:
        """The rows of ``states``, one after another."""
        return cls(*(np.concatenate([getattr(s, k) for s in states]) for k in FIELDS))

    def split(self, counts: list[int]) -> list[AdamState]:
        """Consecutive parts of ``counts`` rows each (the inverse of ``concatenate``)."""
        ends = np.cumsum(counts)[:-1]
        parts = zip(*(np.split(getattr(self, k), ends) for k in FIELDS))
        return [AdamState(*arrays) for arrays in parts]

    def rows(self, idx) -> AdamState:
        """Rows ``idx`` only."""
        return AdamState(*(getattr(self, k)[idx] for k in FIELDS))

    def __len__(self) -> int:
        return len(self.param)
