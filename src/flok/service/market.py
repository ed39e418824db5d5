"""Build the pulse library's inputs (``Opportunities``, ``Participants``, ``Market``) from stored rows.

Demand lives in the database as ``(D, t_ref)``; the market is that state read at one time,
so no event log is replayed per request.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Connection, RowMapping

from flok.pulse import FitScorer, Market, Opportunities, Participants, PulseConfig, pulse
from flok.pulse.demand import demand_at, pulse_one
from flok.store import community


def demand_now(row: RowMapping, at: float, config: PulseConfig) -> float:
    """Stored demand decayed to ``at`` (a late clock never reads before ``t_ref``)."""
    t_ref = row["t_ref"]
    if t_ref is None:
        return 0.0
    return demand_at(float(row["demand"]), t_ref, max(at, t_ref), tau_seconds=config.tau_seconds)


def pulse_of(demand: float, capacity: int, config: PulseConfig) -> float:
    return pulse_one(demand, capacity, k=config.k)


def build_opportunities(rows: Sequence[RowMapping]) -> Opportunities:
    return Opportunities.build(
        [r["opportunity_id"] for r in rows],
        [r["capacity"] for r in rows],
        title=[r["title"] or "" for r in rows],
        start=[r["start"] for r in rows],
        end=[r["end"] for r in rows],
        lat=[r["lat"] for r in rows],
        lon=[r["lon"] for r in rows],
        tags=[r["tags"] or [] for r in rows],
    )


def build_participants(rows: Sequence[RowMapping]) -> Participants:
    return Participants.build(
        [r["participant_id"] for r in rows],
        interests=[r["interests"] or [] for r in rows],
        lat=[r["lat"] for r in rows],
        lon=[r["lon"] for r in rows],
        availability=[
            [
                (datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"]))
                for w in r["availability"]
            ]
            for r in rows
        ],
        joined_at=[r["created_at"] for r in rows],
    )


@dataclass(frozen=True)
class Snapshot:
    opportunities: Opportunities
    rows: list[RowMapping]
    market: Market


def snapshot(conn: Connection, org_id: int, config: PulseConfig, at: float | None = None) -> Snapshot:
    """Every opportunity of the organization with demand, pulse and attendance as of ``at``."""
    now = time.time() if at is None else at
    rows = community.list_opportunities(conn, org_id)
    opps = build_opportunities(rows)
    d = np.array([demand_now(r, now, config) for r in rows], dtype=np.float64)
    index = {r["id"]: i for i, r in enumerate(rows)}
    attend = community.attendance(conn, org_id)
    who = np.array([p for p, _ in attend], dtype=object)
    which = np.array([index[o] for _, o in attend], dtype=np.int64)
    market = Market(
        at=now,
        demand=d,
        pulse=pulse(d, opps.capacity, k=config.k),
        capacity=opps.capacity,
        confirmed=np.array([r["confirmed"] for r in rows], dtype=np.int64),
        attending_participant=who,
        attending_opportunity=which,
        config=config,
    )
    return Snapshot(opps, rows, market)


def scorer(participant_rows: Sequence[RowMapping], snap: Snapshot) -> FitScorer:
    return FitScorer(build_participants(participant_rows), snap.opportunities)
