"""Matching metrics as pure functions over numpy arrays, shared by pulse, the simulator and the service.

Every rate is a float in [0, 1] (or ``None`` when its denominator is empty), so callers can
tell "0 %" apart from "nothing to measure".
"""

from __future__ import annotations

import numpy as np

from flok.errors import InputError

HOUR = 3600.0


def _share(mask: np.ndarray) -> float | None:
    m = np.asarray(mask, dtype=bool)
    return float(m.mean()) if m.size else None


def fill_rate(seats_taken: np.ndarray, capacity: np.ndarray) -> float | None:
    """Seats taken over seats offered (an opportunity cannot count more than its capacity)."""
    cap = np.asarray(capacity, dtype=np.int64)
    total = int(cap.sum())
    if total == 0:
        return None
    return float(np.minimum(np.asarray(seats_taken, dtype=np.int64), cap).sum() / total)


def oversubscription_rate(attempt_opportunity: np.ndarray, capacity: np.ndarray) -> float | None:
    """Share of RSVP attempts (given in time order) that found their opportunity already full.

    First come, first served: the j-th attempt at an opportunity hits "full" when j ≥ its
    capacity. Seats freed by later cancellations are not modelled.
    """
    opp = np.asarray(attempt_opportunity, dtype=np.int64)
    if opp.size == 0:
        return None
    order = np.argsort(opp, kind="stable")
    sorted_opp = opp[order]
    nth = np.arange(opp.size) - np.searchsorted(sorted_opp, sorted_opp)
    return float((nth >= np.asarray(capacity, dtype=np.int64)[sorted_opp]).mean())


def matched_share(matched: np.ndarray) -> float | None:
    """Share of participants with a seat."""
    return _share(matched)


def matched_within(joined_at: np.ndarray, first_match_at: np.ndarray, hours: float = 24.0) -> float | None:
    """Share of participants (with a known join time) matched within ``hours`` of joining.

    Times are epoch seconds; NaN in ``first_match_at`` means never matched.
    """
    joined = np.asarray(joined_at, dtype=np.float64)
    first = np.asarray(first_match_at, dtype=np.float64)
    known = ~np.isnan(joined)
    with np.errstate(invalid="ignore"):
        quick = (first - joined) <= hours * HOUR
    return _share(quick[known])


def time_to_first(joined_at: np.ndarray, first_at: np.ndarray) -> dict[str, float | int | None]:
    """Median and 90th percentile, in hours, from joining to a first RSVP, over those who made one."""
    delay = (np.asarray(first_at, dtype=np.float64) - np.asarray(joined_at, dtype=np.float64)) / HOUR
    delay = delay[~np.isnan(delay)]
    if delay.size == 0:
        return {"median_hours": None, "p90_hours": None, "count": 0}
    return {
        "median_hours": float(np.median(delay)),
        "p90_hours": float(np.percentile(delay, 90)),
        "count": int(delay.size),
    }


def inclusion_gap(matched: np.ndarray, first_timer: np.ndarray) -> float | None:
    """First-timers' match rate minus everyone's (negative: first-timers are left behind)."""
    m = np.asarray(matched, dtype=bool)
    f = np.asarray(first_timer, dtype=bool)
    if not f.any():
        return None
    return float(m[f].mean() - m.mean())


def gini(values: np.ndarray) -> float | None:
    """Gini coefficient of non-negative amounts (0 = equal exposure, → 1 = all on one)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0 or x.sum() <= 0:
        return None
    if x[0] < 0:
        raise InputError("gini needs non-negative values")
    n = x.size
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * x.sum()) - (n + 1) / n)
