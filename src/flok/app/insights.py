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
from flok.metrics import (
    fill_rate,
    gini,
    inclusion_gap,
    matched_share,
    matched_within,
    oversubscription_rate,
    time_to_first,
)
from flok.pulse import FitConfig, FitScorer, feed, joinable, labels
from flok.store import attempts, campaigns, community, runs


@dataclass(frozen=True)
class FeedItem:
    opportunity_id: str
    title: str
    eligible: bool
    fit: float
    score: float | None  # None without seats (no pulse, so no adjusted score)
    pulse: float | None
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


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else value


def participant_feed(
    state: State, org: int, participant_id: str, *, limit: int = 50, fit: FitConfig | None = None
) -> Feed:
    """Opportunities this participant can join, best adjusted score first, then the others with why not.

    ``fit``: the fit weights and no-location rule of this request (default ``FitConfig()``).
    """
    with state.db.read() as conn:
        person = community.get_participant(conn, org, participant_id)
        snap = snapshot(conn, org, state.pulse, catalogs=state.catalogs, participant_id=participant_id)
        suggested = community.suggested_opportunity(conn, org, participant_id)
    suggestion = next((r.opportunity_id for r in snap.rows if r.id == suggested), None)
    scorer = FitScorer(build_participants([person]), snap.opportunities, fit)
    items = feed(0, scorer, snap.market, limit=limit) if snap.rows else []
    return Feed(
        participant_id=participant_id,
        suggestion=suggestion,
        items=[
            FeedItem(
                **{k: v for k, v in vars(i).items() if k not in ("start", "pulse", "score")},
                pulse=_optional(i.pulse),
                score=_optional(i.score),
                start=None if math.isnan(i.start) else datetime.fromtimestamp(i.start, UTC),
                suggested=i.opportunity_id == suggestion,
            )
            for i in items
        ],
    )


def trending(state: State, org: int, *, limit: int = 10) -> list[Trending]:
    """Opportunities by current pulse (demand decayed to now), hottest first.

    Only those whose sign-up is still open (``flok.pulse.joinable``, full ones included: they
    are labelled "Full") and that have seats at all: an event that ended is not trending.
    """
    with state.db.read() as conn:
        snap = snapshot(conn, org, state.pulse, catalogs=state.catalogs)
    m = snap.market
    listed = joinable(snap.opportunities.start, None, m.at, state.pulse) & (m.capacity > 0)
    order = sorted(
        (int(i) for i in np.flatnonzero(listed)), key=lambda i: (-m.pulse[i], snap.rows[i].opportunity_id)
    )
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
    """The design's five metrics of the organization's community (docs/service.md, "Metrics"):
    fill rate, oversubscription, time to first RSVP, matched within 24 h and inclusion, with
    matched share, pulse and exposure figures, runs and campaigns. Every rate comes from
    ``flok.metrics``, the functions the library and the simulator use too."""
    with state.db.read() as conn:
        snap = snapshot(conn, org, state.pulse, catalogs=state.catalogs)
        people = community.participant_facts(conn, org)
        first_seat = attempts.first_seats(conn, org)
        events = community.event_count(conn, org)
        by_status = campaigns.count_by_status(conn, org)
        run_status = runs.count_by_status(conn, org)
        n_attempts, n_refused = attempts.counts(conn, org)
    m = snap.market
    # Opportunities without seats have no pulse and take no part in pulse or seat figures.
    seated = m.capacity > 0
    attending = {str(p) for p in m.attending_participant}
    matched = np.array([pid in attending for pid, _, _ in people], dtype=bool)
    first_timer = np.array([f for _, _, f in people], dtype=bool)
    joined = np.array([at.timestamp() for _, at, _ in people], dtype=np.float64)
    first = np.array(
        [first_seat[pid].timestamp() if pid in first_seat else np.nan for pid, _, _ in people],
        dtype=np.float64,
    )
    return {
        "opportunities": len(snap.rows),
        "participants": len(people),
        "feedback_events": events,
        "capacity": int(m.capacity.sum()),
        "confirmed": int(m.confirmed.sum()),
        "fill_rate": fill_rate(m.confirmed, m.capacity),
        "matched_share": matched_share(matched),
        "time_to_first_rsvp": time_to_first(joined, first),
        "matched_within_24h": matched_within(joined, first, 24.0),
        "first_timers": int(first_timer.sum()),
        "first_timers_matched_share": matched_share(matched[first_timer]),
        "inclusion_gap": inclusion_gap(matched, first_timer),
        "confirmed_gini": gini(m.confirmed[seated].astype(float)) if seated.any() else None,
        "mean_pulse": float(m.pulse[seated].mean()) if seated.any() else None,
        "high_demand": int((m.pulse[seated] >= state.pulse.high_demand_pulse).sum()),
        "full": int((m.remaining[seated] <= 0).sum()),
        "closed": int((~seated).sum()),
        "rsvp_attempts": n_attempts,
        "rsvp_refused": n_refused,
        "oversubscription_rate": oversubscription_rate(n_refused, n_attempts),
        "campaigns": by_status,
        "runs": run_status,
    }


def pulse_histories(state: State, org: int, *, days: float) -> dict[str, list[float]]:
    """opportunity_id → pulse over the last ``days`` (for the dashboard's sparklines)."""
    with state.db.read() as conn:
        rows = community.list_opportunities(conn, org, limit=1000)
        return pulse_history(conn, org, rows, state.pulse, days=days)
