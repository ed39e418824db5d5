"""Feedback events: each one updates its opportunity's demand atomically and exactly once."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError

from flok.service.deps import OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.market import pulse_of
from flok.service.schemas import FeedbackIn, FeedbackOut
from flok.store import community as repo

router = APIRouter(tags=["feedback"], responses=ERROR_RESPONSES)


@router.post("/feedback")
def post_feedback(body: FeedbackIn, org: OrgDep, state: StateDep) -> FeedbackOut:
    """Record an event; returns the opportunity's stored demand ``D`` (at its latest event) and pulse.

    Posting the same ``event_id`` again changes nothing and answers with ``duplicate: true``.
    """
    try:
        with state.db.write(relaxed=True) as conn:
            row = repo.record_feedback(
                conn,
                org,
                event_id=body.event_id,
                participant_id=body.participant_id,
                opportunity_id=body.opportunity_id,
                action=body.action,
                at=body.at,
                config=state.pulse,
            )
    except IntegrityError:  # same event id raced in for another opportunity: it counted there
        with state.db.read() as conn:
            opp = repo.get_opportunity(conn, org, body.opportunity_id)
        return FeedbackOut(
            opportunity_id=body.opportunity_id,
            demand=float(opp["demand"]),
            pulse=pulse_of(float(opp["demand"]), int(opp["capacity"]), state.pulse),
            duplicate=True,
        )
    return FeedbackOut(
        opportunity_id=row.opportunity_id,
        demand=row.demand,
        pulse=pulse_of(row.demand, row.capacity, state.pulse),
        duplicate=row.duplicate,
    )
