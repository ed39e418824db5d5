"""Feedback events: each one updates its opportunity's demand atomically and exactly once."""

from __future__ import annotations

from fastapi import APIRouter, Response

from flok.app import feedback as app
from flok.service.deps import OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.schemas import FeedbackBatchIn, FeedbackBatchOut, FeedbackIn, FeedbackOut

router = APIRouter(tags=["feedback"], responses=ERROR_RESPONSES)


@router.post("/feedback", response_model=FeedbackOut)
async def post_feedback(body: FeedbackIn, org: OrgDep, state: StateDep) -> Response:
    """Record an event; returns the opportunity's stored demand ``D`` (at its latest event) and pulse.

    Posting the same ``event_id`` again changes nothing and answers with ``duplicate: true``.
    The participant and the opportunity must exist (404 otherwise). Concurrent events are
    written in shared transactions (group commit), so the answer reflects every event before it.
    """
    answer = await app.record_one(state, org, _event(body))
    out = FeedbackOut.model_validate(answer, from_attributes=True)
    # Serialized here, once: a returned model would be validated again and then encoded.
    return Response(out.model_dump_json(), media_type="application/json")


@router.post("/feedback/batch")
def post_feedback_batch(body: FeedbackBatchIn, org: OrgDep, state: StateDep) -> FeedbackBatchOut:
    """Record up to 1,000 events in one transaction, all or nothing (a page of "shown" events, say).

    Answers each event as ``POST /feedback`` would, in order. An unknown opportunity or
    participant stores none of them: 404 naming the event (``row``, from 1) and its field.
    """
    answers = app.record_batch(state, org, [_event(e) for e in body.events])
    return FeedbackBatchOut(results=[FeedbackOut.model_validate(a, from_attributes=True) for a in answers])


def _event(e: FeedbackIn) -> app.FeedbackIn:
    return app.FeedbackIn(e.event_id, e.participant_id, e.opportunity_id, e.action, e.at)
