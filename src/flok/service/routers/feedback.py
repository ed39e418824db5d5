"""Feedback events: each one updates its opportunity's demand atomically and exactly once."""

from __future__ import annotations

from fastapi import APIRouter, Response

from flok.service.deps import OrgDep, State, StateDep
from flok.service.errors import ERROR_RESPONSES, ApiError
from flok.service.market import pulse_of
from flok.service.schemas import FeedbackBatchIn, FeedbackBatchOut, FeedbackIn, FeedbackOut
from flok.store.errors import StoreError
from flok.store.feedback import DemandRow, FeedbackEvent, record_feedback

router = APIRouter(tags=["feedback"], responses=ERROR_RESPONSES)


@router.post("/feedback", response_model=FeedbackOut)
async def post_feedback(body: FeedbackIn, org: OrgDep, state: StateDep) -> Response:
    """Record an event; returns the opportunity's stored demand ``D`` (at its latest event) and pulse.

    Posting the same ``event_id`` again changes nothing and answers with ``duplicate: true``.
    The participant and the opportunity must exist (404 otherwise). Concurrent events are
    written in shared transactions (group commit), so the answer reflects every event before it.
    """
    row = await state.feedback.record(_event(org, body))
    answer = _out(row, state)
    # Serialized here, once: a returned model would be validated again and then encoded.
    return Response(answer.model_dump_json(), media_type="application/json")


@router.post("/feedback/batch")
def post_feedback_batch(body: FeedbackBatchIn, org: OrgDep, state: StateDep) -> FeedbackBatchOut:
    """Record up to 1,000 events in one transaction, all or nothing (a page of "shown" events, say).

    Answers each event as ``POST /feedback`` would, in order. An unknown opportunity or
    participant stores none of them: 404 naming the event (``row``, from 1) and its field.
    """
    events = [
        FeedbackEvent(org, e.event_id, e.participant_id, e.opportunity_id, e.action, e.at)
        for e in body.events
    ]
    with state.db.write() as conn:
        answers = record_feedback(conn, events, state.pulse)
        for i, answer in enumerate(answers):
            if isinstance(answer, StoreError):  # raising here rolls the whole batch back
                raise ApiError(
                    404, answer.code, f"event {i + 1}: {answer.message}", field=answer.field, row=i + 1
                )
    return FeedbackBatchOut(results=[_out(a, state) for a in answers if isinstance(a, DemandRow)])


def _event(org: int, e: FeedbackIn) -> FeedbackEvent:
    return FeedbackEvent(org, e.event_id, e.participant_id, e.opportunity_id, e.action, e.at)


def _out(row: DemandRow, state: State) -> FeedbackOut:
    return FeedbackOut(
        opportunity_id=row.opportunity_id,
        demand=row.demand,
        pulse=pulse_of(row.demand, row.capacity, state.pulse),
        duplicate=row.duplicate,
    )
