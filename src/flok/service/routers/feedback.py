"""Feedback events: each one updates its opportunity's demand atomically and exactly once."""

from __future__ import annotations

from fastapi import APIRouter, Response

from flok.service.deps import OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.market import pulse_of
from flok.service.schemas import FeedbackIn, FeedbackOut
from flok.store.feedback import FeedbackEvent

router = APIRouter(tags=["feedback"], responses=ERROR_RESPONSES)


@router.post("/feedback", response_model=FeedbackOut)
async def post_feedback(body: FeedbackIn, org: OrgDep, state: StateDep) -> Response:
    """Record an event; returns the opportunity's stored demand ``D`` (at its latest event) and pulse.

    Posting the same ``event_id`` again changes nothing and answers with ``duplicate: true``.
    The participant and the opportunity must exist (404 otherwise). Concurrent events are
    written in shared transactions (group commit), so the answer reflects every event before it.
    """
    row = await state.feedback.record(
        FeedbackEvent(org, body.event_id, body.participant_id, body.opportunity_id, body.action, body.at)
    )
    answer = FeedbackOut(
        opportunity_id=row.opportunity_id,
        demand=row.demand,
        pulse=pulse_of(row.demand, row.capacity, state.pulse),
        duplicate=row.duplicate,
    )
    # Serialized here, once: a returned model would be validated again and then encoded.
    return Response(answer.model_dump_json(), media_type="application/json")
