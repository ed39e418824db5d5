"""Seeded, Zipf-skewed allocation instances: a few opportunities are heavily oversubscribed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flok.model import Options, Problem


@dataclass(frozen=True)
class Instance:
    n: int
    m: int
    capacity: np.ndarray
    pref_participant: np.ndarray
    pref_opportunity: np.ndarray
    rank: np.ndarray

    def problem(self, options: Options | None = None) -> Problem:
        return Problem.from_arrays(
            opportunity_ids=np.array([f"o{i}" for i in range(self.m)], dtype=object),
            capacity=self.capacity,
            pref_participant=self.pref_participant,
            pref_opportunity=self.pref_opportunity,
            rank=self.rank,
            n_participants=self.n,
            options=options,
        )


def zipf_instance(
    n: int,
    m: int,
    *,
    seed: int = 0,
    min_ranks: int = 3,
    max_ranks: int = 10,
    exponent: float = 1.0,
    seats_per_participant: float = 1.0,
) -> Instance:
    """n participants rank 3–10 opportunities drawn by Zipf popularity; seats ≈ participants."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, m + 1) ** exponent
    popularity /= popularity.sum()
    perm = rng.permutation(m)  # popular ones are not simply the first ids
    k = rng.integers(min(min_ranks, m), min(max_ranks, m) + 1, size=n)
    draws = 3 * int(k.max())
    cand = perm[rng.choice(m, size=(n, draws), p=popularity)]
    # Keep the first occurrence of each opportunity in draw order, then the first k per row.
    order = np.argsort(cand, axis=1, kind="stable")
    sorted_c = np.take_along_axis(cand, order, axis=1)
    dup_sorted = np.zeros_like(sorted_c, dtype=bool)
    dup_sorted[:, 1:] = sorted_c[:, 1:] == sorted_c[:, :-1]
    dup = np.empty_like(dup_sorted)
    np.put_along_axis(dup, order, dup_sorted, axis=1)
    keep = ~dup
    position = np.cumsum(keep, axis=1)
    keep &= position <= k[:, None]
    rows, cols = np.nonzero(keep)
    rank = position[rows, cols].astype(np.int64)
    opp = cand[rows, cols].astype(np.int64)
    base = n * seats_per_participant / m
    capacity = np.maximum(1, np.round(base * rng.uniform(0.5, 1.5, size=m))).astype(np.int64)
    return Instance(
        n=n, m=m, capacity=capacity, pref_participant=rows.astype(np.int64), pref_opportunity=opp, rank=rank
    )
