"""Pulse over the last days, per opportunity, from the stored feedback events.

The service keeps only the current ``(D, t_ref)``; the past is recomputed from the event log
with the engine's own vectorized ingest (``flok.pulse.ingest`` with ``until``), so the
sparkline and the stored demand can never disagree on the formula.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from flok.pulse import PulseConfig, ingest
from flok.pulse.demand import market_pulse
from flok.store import community
from flok.store.db import Transaction
from flok.store.rows import OpportunityRow

DAY = 86_400.0


def pulse_history(
    conn: Transaction,
    org_id: int,
    rows: Sequence[OpportunityRow],
    config: PulseConfig,
    *,
    days: float = 7.0,
    points: int = 29,
    now: float | None = None,
) -> dict[str, list[float]]:
    """opportunity_id → pulse at ``points`` evenly spaced times over the last ``days`` (an empty
    list for an opportunity without seats, whose pulse is undefined)."""
    end = time.time() if now is None else now
    times = np.linspace(end - days * DAY, end, points)
    index = {int(r.id): i for i, r in enumerate(rows)}
    # Older events still count (decayed), but after ~20 τ their weight is below 1e-8.
    horizon = times[0] - 20 * config.tau_seconds
    events = community.events_since(conn, org_id, float(horizon))
    known = [(index[o], w, t) for o, w, t in events if o in index]
    opp = np.array([k[0] for k in known], dtype=np.int64)
    weight = np.array([k[1] for k in known], dtype=np.float64)
    at = np.array([k[2] for k in known], dtype=np.float64)
    capacity = np.array([r.capacity for r in rows], dtype=np.int64)
    # Seats taken as they are now (their past is not kept): the same reading as the pulse shown.
    confirmed = np.array([r.confirmed for r in rows], dtype=np.int64)
    start = np.array([np.nan if r.start is None else r.start.timestamp() for r in rows], dtype=np.float64)
    series = np.empty((len(rows), points))
    for j, t in enumerate(times):
        state = ingest(opp, weight, at, len(rows), tau_seconds=config.tau_seconds, until=float(t))
        series[:, j] = market_pulse(state.at(float(t)), capacity, confirmed, start, float(t), config)
    return {
        str(r.opportunity_id): series[i].round(1).tolist() if r.capacity > 0 else []
        for i, r in enumerate(rows)
    }
