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


def oversubscription_rate(refused: int, attempts: int) -> float | None:
    """RSVP attempts refused because the opportunity was full ÷ all RSVP attempts.

    Both counts come from recorded outcomes (a refusal is logged when it happens), never
    inferred from capacities afterwards: the library (``full`` events in a log), the service
    (its RSVP attempts) and the simulator (its attempt log) all pass their counts here.
    """
    if attempts < 0 or not 0 <= refused <= attempts:
        raise InputError(f"need 0 ≤ refused ≤ attempts, got {refused} of {attempts}")
    if attempts == 0:
        return None
    return refused / attempts


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
