"""Build the pulse library's inputs (``Opportunities``, ``ParticipantProfiles``, ``Market``) from stored rows.

Demand lives in the database as ``(D, t_ref)``; the market is that state read at one time,
so no event log is replayed per request.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from flok.pulse import FitScorer, Market, Opportunities, ParticipantProfiles, PulseConfig
from flok.pulse.demand import demand_at, market_pulse, market_pulse_one
from flok.store import community
from flok.store.db import Transaction
from flok.store.rows import OpportunityRow, ParticipantRow


def demand_now(row: OpportunityRow, at: float, config: PulseConfig) -> float:
    """Stored demand decayed to ``at`` (a late clock never reads before ``t_ref``)."""
    return _decayed(float(row.demand), row.t_ref, at, config)


def _decayed(demand: float, t_ref: float | None, at: float, config: PulseConfig) -> float:
    if t_ref is None:
        return 0.0
    return demand_at(demand, t_ref, max(at, t_ref), tau_seconds=config.tau_seconds)


def pulse_of(
    demand: float,
    capacity: int,
    confirmed: int,
    start: datetime | float | None,
    at: float,
    config: PulseConfig,
) -> float:
    """Pulse of one opportunity as the library reads it (demand per seat left, projected to its
    start: ``flok.pulse.market_pulse``), so an answer, a label and a feed agree; NaN without seats."""
    when = start.timestamp() if isinstance(start, datetime) else start
    return market_pulse_one(demand, capacity, confirmed, when, at, config)


def pulse_now(
    demand: float,
    t_ref: float | None,
    capacity: int,
    confirmed: int,
    start: float | None,
    config: PulseConfig,
) -> float | None:
    """Pulse of stored ``(demand, t_ref)`` decayed to the clock: the one reading every answer
    gives (an opportunity, a feedback answer, trending); None without seats."""
    now = time.time()
    value = pulse_of(_decayed(demand, t_ref, now, config), capacity, confirmed, start, now, config)
    return None if math.isnan(value) else value


def build_opportunities(rows: Sequence[OpportunityRow]) -> Opportunities:
    return Opportunities.build(
        [r.opportunity_id for r in rows],
        [r.capacity for r in rows],
        title=[r.title or "" for r in rows],
        start=[r.start for r in rows],
        end=[r.end for r in rows],
        lat=[r.lat for r in rows],
        lon=[r.lon for r in rows],
        tags=[r.tags or [] for r in rows],
    )


def build_participants(rows: Sequence[ParticipantRow]) -> ParticipantProfiles:
    return ParticipantProfiles.build(
        [r.participant_id for r in rows],
        interests=[r.interests or [] for r in rows],
        lat=[r.lat for r in rows],
        lon=[r.lon for r in rows],
        availability=[
            [(datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"])) for w in r.availability]
            for r in rows
        ],
        first_timer=[r.first_timer for r in rows],
        joined_at=[r.created_at for r in rows],
    )


@dataclass(frozen=True)
class Snapshot:
    opportunities: Opportunities
    rows: list[OpportunityRow]  # read only their fixed fields (id, opportunity_id, title): see Catalogs
    market: Market


@dataclass(frozen=True)
class Catalog:
    """An organization's opportunities as of one ``catalog_version``, parsed once."""

    version: int
    rows: list[OpportunityRow]
    opportunities: Opportunities
    row_ids: list[int]


class Catalogs:
    """Per-process cache of catalogs, so a feed or trending request does not re-read and re-parse
    every opportunity (tags, times, places) each time.

    Correct across processes: every opportunity write bumps ``organizations.catalog_version``
    in its own transaction, and a request reads that version first, so a cached catalog is
    used only while it is current. What changes all the time (demand, seats taken) is never
    cached: ``snapshot`` reads it fresh.
    """

    def __init__(self, max_organizations: int = 256) -> None:
        self.max_organizations = max_organizations
        self._by_org: dict[int, Catalog] = {}
        self._lock = threading.Lock()

    def get(self, conn: Transaction, org_id: int) -> Catalog:
        version = community.catalog_version(conn, org_id)
        hit = self._by_org.get(org_id)
        if hit is not None and hit.version == version:
            return hit
        rows = community.list_opportunities(conn, org_id)
        catalog = Catalog(version, rows, build_opportunities(rows), [int(r.id) for r in rows])
        with self._lock:
            if len(self._by_org) >= self.max_organizations:
                self._by_org.pop(next(iter(self._by_org)))  # the oldest entry
            self._by_org[org_id] = catalog
        return catalog


def snapshot(
    conn: Transaction,
    org_id: int,
    config: PulseConfig,
    at: float | None = None,
    *,
    catalogs: Catalogs | None = None,
    participant_id: str | None = None,
) -> Snapshot:
    """Every opportunity of the organization with demand, pulse and attendance as of ``at``.

    With ``catalogs``, the fixed fields come from the cache and only demand and seats are read;
    with ``participant_id``, only that participant's RSVPs are loaded (enough for a feed).
    """
    now = time.time() if at is None else at
    rows: list[OpportunityRow]
    if catalogs is not None:
        catalog = catalogs.get(conn, org_id)
        live = community.live_state(conn, org_id)
        if [r[0] for r in live] != catalog.row_ids:  # changed between the two reads: no cache
            return snapshot(conn, org_id, config, at, participant_id=participant_id)
        rows, opps = catalog.rows, catalog.opportunities
    else:
        rows = community.list_opportunities(conn, org_id)
        opps = build_opportunities(rows)
        live = [(int(r.id), float(r.demand), r.t_ref, int(r.confirmed)) for r in rows]
    d = np.array([_decayed(demand, t_ref, now, config) for _, demand, t_ref, _ in live], dtype=np.float64)
    index = {row_id: i for i, (row_id, *_) in enumerate(live)}
    confirmed = np.array([c for *_, c in live], dtype=np.int64)
    # (an RSVP for an opportunity created after ``live`` was read belongs to the next snapshot)
    attend = [a for a in community.attendance(conn, org_id, participant_id) if a[1] in index]
    who = np.array([p for p, _ in attend], dtype=object)
    which = np.array([index[o] for _, o in attend], dtype=np.int64)
    market = Market(
        at=now,
        demand=d,
        pulse=market_pulse(d, opps.capacity, confirmed, opps.start, now, config),
        capacity=opps.capacity,
        confirmed=confirmed,
        attending_participant=who,
        attending_opportunity=which,
        config=config,
    )
    return Snapshot(opps, rows, market)


def scorer(participant_rows: Sequence[ParticipantRow], snap: Snapshot) -> FitScorer:
    return FitScorer(build_participants(participant_rows), snap.opportunities)
