"""Read-side of community matching: a participant's feed, trending opportunities, metrics, rebalance."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
from fastapi import APIRouter, Query
from sqlalchemy import func, select

from flok import metrics
from flok.pulse import FitScorer, feed, labels
from flok.service.deps import OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.market import build_participants, snapshot
from flok.service.schemas import FeedItemOut, FeedOut, IdentPath, RebalanceIn, RunStarted, TrendingItem
from flok.store import community
from flok.store import runs as runs_repo
from flok.store.tables import campaigns, participants, runs, suggestions

router = APIRouter(tags=["insights"], responses=ERROR_RESPONSES)


@router.get("/participants/{participant_id}/feed")
def participant_feed(
    participant_id: IdentPath, org: OrgDep, state: StateDep, limit: int = Query(50, ge=1, le=1000)
) -> FeedOut:
    """Opportunities this participant can join, best adjusted score first, then the others with why not."""
    with state.db.read() as conn:
        person = community.get_participant(conn, org, participant_id)
        snap = snapshot(conn, org, state.pulse, catalogs=state.catalogs, participant_id=participant_id)
        suggested = conn.execute(
            select(suggestions.c.opportunity).where(
                suggestions.c.org_id == org, suggestions.c.participant_id == participant_id
            )
        ).scalar()
    suggestion = next((r["opportunity_id"] for r in snap.rows if r["id"] == suggested), None)
    scorer = FitScorer(build_participants([person]), snap.opportunities)
    items = feed(0, scorer, snap.market, limit=limit) if snap.rows else []
    return FeedOut(
        participant_id=participant_id,
        suggestion=suggestion,
        items=[
            FeedItemOut(
                **{k: v for k, v in vars(i).items() if k != "start"},
                start=None if math.isnan(i.start) else datetime.fromtimestamp(i.start, UTC),
                suggested=i.opportunity_id == suggestion,
            )
            for i in items
        ],
    )


@router.get("/trending")
def trending(org: OrgDep, state: StateDep, limit: int = Query(10, ge=1, le=1000)) -> list[TrendingItem]:
    """Opportunities by current pulse (demand decayed to now), hottest first."""
    with state.db.read() as conn:
        snap = snapshot(conn, org, state.pulse, catalogs=state.catalogs)
    order = sorted(
        range(len(snap.rows)), key=lambda i: (-snap.market.pulse[i], snap.rows[i]["opportunity_id"])
    )
    return [
        TrendingItem(
            opportunity_id=snap.rows[i]["opportunity_id"],
            title=snap.rows[i]["title"],
            demand_now=float(snap.market.demand[i]),
            pulse=float(snap.market.pulse[i]),
            seats_left=int(snap.market.remaining[i]),
            labels=labels(
                float(snap.market.pulse[i]),
                int(snap.market.capacity[i]),
                int(snap.market.confirmed[i]),
                state.pulse,
            ),
        )
        for i in order[:limit]
    ]


@router.get("/metrics")
def get_metrics(org: OrgDep, state: StateDep) -> dict[str, Any]:
    """Fill, matching and exposure figures of the organization's community, plus runs and campaigns."""
    with state.db.read() as conn:
        snap = snapshot(conn, org, state.pulse, catalogs=state.catalogs)
        n_people = conn.execute(select(func.count()).where(participants.c.org_id == org)).scalar_one()
        events = community.event_count(conn, org)
        by_status: dict[str, int] = dict(
            conn.execute(
                select(campaigns.c.status, func.count())
                .where(campaigns.c.org_id == org)
                .group_by(campaigns.c.status)
            ).all()
        )
        run_status: dict[str, int] = dict(
            conn.execute(
                select(runs.c.status, func.count()).where(runs.c.org_id == org).group_by(runs.c.status)
            ).all()
        )
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
        "fill_rate": metrics.fill_rate(m.confirmed, m.capacity),
        "matched_share": metrics.matched_share(matched) if matched.size else None,
        "confirmed_gini": metrics.gini(m.confirmed.astype(float)) if m.confirmed.size else None,
        "mean_pulse": float(m.pulse.mean()) if m.pulse.size else None,
        "high_demand": int((m.pulse >= state.pulse.high_demand_pulse).sum()),
        "full": int((m.remaining <= 0).sum()),
        "campaigns": by_status,
        "runs": run_status,
    }


@router.post("/rebalance", status_code=202)
def start_rebalance(org: OrgDep, state: StateDep, body: RebalanceIn | None = None) -> RunStarted:
    """Queue a rebalance: recompute pulses and recommend seats; poll ``GET /runs/{run_id}``."""
    options = (body or RebalanceIn()).model_dump()
    with state.db.write() as conn:
        run_id = runs_repo.create(conn, org, "rebalance", options)
    state.queue.submit(run_id)
    return RunStarted(run_id=run_id, status="queued")
