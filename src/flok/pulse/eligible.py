"""What a person can still join, and which logged events are stamped in the future.

One rule for every caller (feed, rebalance, the service's trending list, the simulator), so an
opportunity that has started, or starts within the sign-up lead time, is never offered
anywhere: an opportunity can be joined at ``at`` when it starts after ``at + lead`` (or has no
fixed time) and, when seats are given, has one left. Per pair, "not already joined" is the
caller's attendance check (``Market.attending``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from flok.errors import InputError
from flok.pulse.demand import PulseConfig

STARTED = "STARTED"
SIGNUP_CLOSED = "SIGNUP_CLOSED"


def joinable(start: np.ndarray, seats_left: np.ndarray | None, at: float, config: PulseConfig) -> np.ndarray:
    """Mask of opportunities a person can still join at ``at`` (epoch seconds).

    ``start`` NaN means "any time" (always open); ``seats_left`` None checks the time only
    (e.g. a feed that still lists full opportunities, or the simulator's baselines).
    """
    s = np.asarray(start, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ok = np.isnan(s) | (s > at + config.lead_seconds)
    if seats_left is not None:
        ok &= np.asarray(seats_left) > 0
    return np.asarray(ok)


def too_late(start: np.ndarray, at: float, config: PulseConfig) -> list[str | None]:
    """Per opportunity: ``STARTED`` (start ≤ at), ``SIGNUP_CLOSED`` (within the lead time) or None."""
    out: list[str | None] = []
    for s in np.asarray(start, dtype=np.float64):
        if np.isnan(s) or s > at + config.lead_seconds:
            out.append(None)
        else:
            out.append(STARTED if s <= at else SIGNUP_CLOSED)
    return out


def first_future(at: np.ndarray, now: float, config: PulseConfig) -> int | None:
    """Index of the first event stamped more than ``clock_skew_seconds`` after ``now``, if any."""
    late = np.flatnonzero(np.asarray(at, dtype=np.float64) > now + config.clock_skew_seconds)
    return int(late[0]) if late.size else None


def future_message(at: float, config: PulseConfig) -> str:
    """Why an event in the future is refused, in words shared by the library and the CLI."""
    when = datetime.fromtimestamp(at, UTC).isoformat()
    return (
        f"{when} is in the future (more than {config.clock_skew_seconds:g} s ahead of the clock); "
        "one such event would freeze its opportunity's demand"
    )


def refuse_future(at: np.ndarray, now: float, config: PulseConfig) -> None:
    """Raise ``InputError`` (row from 1, field ``at``) for the first event from the future."""
    bad = first_future(at, now, config)
    if bad is not None:
        raise InputError(future_message(float(at[bad]), config), source="events", row=bad + 1, field="at")
