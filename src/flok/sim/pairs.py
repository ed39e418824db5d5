"""Every (participant, opportunity) pair a participant could ever consider, fit scored once.

A pair is possible when the opportunity lies within ``max_km`` and inside one of the
participant's availability windows (``flok.pulse.FitScorer`` decides both). Fit does not
change during a run, so feeds read it from here instead of scoring again at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flok.pulse import FitScorer

CHUNK = 2048


@dataclass(frozen=True, eq=False)
class Pairs:
    """Possible pairs sorted by participant; ``indptr[p]:indptr[p+1]`` are participant ``p``'s."""

    participant: np.ndarray
    opportunity: np.ndarray
    fit: np.ndarray
    indptr: np.ndarray

    def of(self, who: np.ndarray) -> np.ndarray:
        """Positions of all pairs of the participants ``who`` (grouped by participant, in order)."""
        lo, hi = self.indptr[who], self.indptr[who + 1]
        length = hi - lo
        starts = np.repeat(lo - np.cumsum(length) + length, length)
        return starts + np.arange(int(length.sum()))


def possible_pairs(scorer: FitScorer) -> Pairs:
    """Eligible pairs by distance and availability, with ``S`` from the scorer (full coverage)."""
    n = len(scorer.participants)
    cols: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    covered_all = scorer.config.min_coverage >= 1.0
    for a in range(0, n, CHUNK):
        rows = slice(a, min(a + CHUNK, n))
        if covered_all:
            local, oi = scorer.timely_pairs(rows)
            near = scorer.near_pairs(local + a, oi)
        else:
            local, oi = np.nonzero(scorer.nearby_block(rows) & scorer.available_block(rows))
            near = np.ones(local.size, dtype=bool)
        local, oi = local[near], oi[near]
        fit = scorer.evaluate(local + a, oi, covered=np.ones(local.size) if covered_all else None)
        ok = ~fit.too_far & ~fit.unavailable
        cols.append((local[ok] + a, oi[ok], fit.score[ok]))
    p, o, s = (np.concatenate(c) for c in zip(*cols, strict=True)) if cols else (np.zeros(0),) * 3
    m = max(len(scorer.opportunities), 1)
    order = np.argsort(p.astype(np.int64) * m + o.astype(np.int64), kind="stable")
    p, o, s = p[order].astype(np.int64), o[order].astype(np.int64), s[order].astype(np.float64)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(p, minlength=n))]).astype(np.int64)
    return Pairs(p, o, s, indptr)
