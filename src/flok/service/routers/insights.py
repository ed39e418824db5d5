"""Read-side of community matching: a participant's feed, trending opportunities, metrics, rebalance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from flok.app import insights as app
from flok.app import runs as runs_app
from flok.app import schedule as schedule_app
from flok.app.matching import fit_config
from flok.service.deps import OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.schemas import (
    FeedItemOut,
    FeedOut,
    IdentPath,
    NoLocation,
    RebalanceIn,
    RunStarted,
    ScheduleIn,
    ScheduleOut,
    TrendingItem,
)

router = APIRouter(tags=["insights"], responses=ERROR_RESPONSES)


@router.get("/participants/{participant_id}/feed")
def participant_feed(
    participant_id: IdentPath,
    org: OrgDep,
    state: StateDep,
    limit: int = Query(50, ge=1, le=1000),
    interest_weight: float | None = Query(None, ge=0, le=1e6, description="fit weight (default 0.5)"),
    distance_weight: float | None = Query(None, ge=0, le=1e6, description="fit weight (default 0.3)"),
    schedule_weight: float | None = Query(None, ge=0, le=1e6, description="fit weight (default 0.2)"),
    no_location: NoLocation | None = Query(
        None, description="participants without a location: anywhere (default) or online_only"
    ),
) -> FeedOut:
    """Opportunities this participant can join, best adjusted score first, then the others with why not."""
    weights = {"interest": interest_weight, "distance": distance_weight, "schedule": schedule_weight}
    fit = fit_config(weights, no_location)
    found = app.participant_feed(state, org, participant_id, limit=limit, fit=fit)
    return FeedOut(
        participant_id=found.participant_id,
        suggestion=found.suggestion,
        items=[FeedItemOut.model_validate(i, from_attributes=True) for i in found.items],
    )


@router.get("/trending")
def trending(org: OrgDep, state: StateDep, limit: int = Query(10, ge=1, le=1000)) -> list[TrendingItem]:
    """Opportunities by current pulse (demand decayed to now), hottest first."""
    return [
        TrendingItem.model_validate(t, from_attributes=True) for t in app.trending(state, org, limit=limit)
    ]


@router.get("/metrics")
def get_metrics(org: OrgDep, state: StateDep) -> dict[str, Any]:
    """Fill, matching and exposure figures of the organization's community, plus runs and campaigns."""
    return app.community_metrics(state, org)


@router.post("/rebalance", status_code=202)
def start_rebalance(org: OrgDep, state: StateDep, body: RebalanceIn | None = None) -> RunStarted:
    """Queue a rebalance: recompute pulses and recommend seats; poll ``GET /runs/{run_id}``."""
    options = (body or RebalanceIn()).model_dump(exclude_none=True)
    options.setdefault("top_k", None)  # an explicit null (all eligible pairs) is kept
    return RunStarted(run_id=runs_app.start_rebalance(state, org, options), status="queued")


@router.get("/rebalance/schedule")
def get_schedule(org: OrgDep, state: StateDep) -> ScheduleOut:
    """The periodic rebalance: on or off, its interval, when the next is due and how the last went."""
    return ScheduleOut.model_validate(schedule_app.get_schedule(state, org), from_attributes=True)


@router.put("/rebalance/schedule")
def put_schedule(body: ScheduleIn, org: OrgDep, state: StateDep) -> ScheduleOut:
    """Turn the periodic rebalance on (the first is queued within a tick) or off, and set its interval."""
    view = schedule_app.set_schedule(state, org, enabled=body.enabled, interval_minutes=body.interval_minutes)
    return ScheduleOut.model_validate(view, from_attributes=True)
