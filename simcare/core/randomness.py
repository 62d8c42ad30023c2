"""Named random streams, one per purpose, derived from (base seed, replication) only.

Because a replication's streams never depend on the worker, the engine or the policy, the same
seed gives the same numbers everywhere, and every policy faces the same customers (common
random numbers).
"""

from __future__ import annotations

import numpy as np

STREAMS = ("arrivals", "customers", "journeys", "word_of_mouth", "loyalty", "contagion", "learning")
"""Purposes with their own generator. New ones go last, so existing streams keep their draws."""

Streams = dict[str, np.random.Generator]


def make_streams(base_seed: int, replication: int) -> Streams:
    """Return independent generators per purpose for one replication."""
    if base_seed < 0 or replication < 0:
        raise ValueError("seed and replication must be >= 0")
    root = np.random.SeedSequence(base_seed, spawn_key=(replication,))
    return {
        name: np.random.default_rng(child)
        for name, child in zip(STREAMS, root.spawn(len(STREAMS)), strict=True)
    }
