"""Read-side use cases of community matching: a participant's feed, trending, metrics, pulse history."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from flok.app.history import pulse_history
from flok.app.market import build_participants, snapshot
from flok.app.state import State
from flok.metrics import fill_rate, gini, matched_share
from flok.pulse import FitScorer, feed, labels
from flok.store import campaigns, community, runs


@dataclass(frozen=True)
class FeedItem:
    opportunity_id: str
    title: str
    eligible: bool
    fit: float
    score: float
    pulse: float
    start: datetime | None
    labels: list[str]
    reasons: list[str]
    codes: list[str]
    why_not: list[str]
    suggested: bool


@dataclass(frozen=True)
class Feed:
    participant_id: str
    suggestion: str | None
    items: list[FeedItem] = field(default_factory=list)


@dataclass(frozen=True)
class Trending:
    opportunity_id: str
    title: str | None
    demand_now: float
    pulse: float
    seats_left: int
    labels: list[str]


def participant_feed(state: State, org: int, participant_id: str, *, limit: int = 50) -> Feed:
    """Opportunities this participant can join, best adjusted score first, then the others with why not."""
    with state.db.read() as conn:
        person = community.get_participant(conn, org, participant_id)
        snap = snapshot(conn, org, state.pulse, catalogs=state.catalogs, participant_id=participant_id)
        suggested = community.suggested_opportunity(conn, org, participant_id)
    suggestion = next((r.opportunity_id for r in snap.rows if r.id == suggested), None)
    scorer = FitScorer(build_participants([person]), snap.opportunities)
    items = feed(0, scorer, snap.market, limit=limit) if snap.rows else []
    return Feed(
        participant_id=participant_id,
        suggestion=suggestion,
        items=[
            FeedItem(
                **{k: v for k, v in vars(i).items() if k != "start"},
                start=None if math.isnan(i.start) else datetime.fromtimestamp(i.start, UTC),
                suggested=i.opportunity_id == suggestion,
            )
            for i in items
        ],
    )


def trending(state: State, org: int, *, limit: int = 10) -> list[Trending]:
    """Opportunities by current pulse (demand decayed to now), hottest first."""
    with state.db.read() as conn:
        snap = snapshot(conn, org, state.pulse, catalogs=state.catalogs)
    m = snap.market
    order = sorted(range(len(snap.rows)), key=lambda i: (-m.pulse[i], snap.rows[i].opportunity_id))
    return [
        Trending(
            opportunity_id=snap.rows[i].opportunity_id,
            title=snap.rows[i].title,
            demand_now=float(m.demand[i]),
            pulse=float(m.pulse[i]),
            seats_left=int(m.remaining[i]),
            labels=labels(float(m.pulse[i]), int(m.capacity[i]), int(m.confirmed[i]), state.pulse),
        )
        for i in order[:limit]
    ]


def community_metrics(state: State, org: int) -> dict[str, Any]:
    """Fill, matching and exposure figures of the organization's community, plus runs and campaigns."""
    with state.db.read() as conn:
        snap = snapshot(conn, org, state.pulse, catalogs=state.catalogs)
        n_people = community.participant_count(conn, org)
        events = community.event_count(conn, org)
        by_status = campaigns.count_by_status(conn, org)
        run_status = runs.count_by_status(conn, org)
    m = snap.market
    attending = {str(p) for p in m.attending_participant}
    matched = np.zeros(max(n_people, len(attending)), dtype=bool)
    matched[: len(attending)] = True
    return {
        "opportunities": len(snap.rows),
        "participants": n_people,
        "feedback_events": events,
        "capacity": int(m.capacity.sum()),
        "confirmed": int(m.confirmed.sum()),
        "fill_rate": fill_rate(m.confirmed, m.capacity),
        "matched_share": matched_share(matched) if matched.size else None,
        "confirmed_gini": gini(m.confirmed.astype(float)) if m.confirmed.size else None,
        "mean_pulse": float(m.pulse.mean()) if m.pulse.size else None,
        "high_demand": int((m.pulse >= state.pulse.high_demand_pulse).sum()),
        "full": int((m.remaining <= 0).sum()),
        "campaigns": by_status,
        "runs": run_status,
    }


def pulse_histories(state: State, org: int, *, days: float) -> dict[str, list[float]]:
    """opportunity_id → pulse over the last ``days`` (for the dashboard's sparklines)."""
    with state.db.read() as conn:
        rows = community.list_opportunities(conn, org, limit=1000)
        return pulse_history(conn, org, rows, state.pulse, days=days)
