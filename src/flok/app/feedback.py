"""Feedback use cases: one event (group-committed with concurrent ones) or a batch, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flok.app.market import pulse_now
from flok.app.state import State
from flok.errors import InputError, NotFoundError
from flok.store.errors import StoreError
from flok.store.feedback import DemandRow, FeedbackEvent, record_feedback


@dataclass(frozen=True)
class FeedbackIn:
    event_id: str
    participant_id: str
    opportunity_id: str
    action: str
    at: datetime


@dataclass(frozen=True)
class DemandView:
    """An opportunity's stored demand right after an event, its pulse now (the stored demand
    decayed to this moment, as every other answer reads it; None without seats), and whether
    the event was a repeat."""

    opportunity_id: str
    demand: float
    pulse: float | None
    duplicate: bool


def _event(org: int, e: FeedbackIn) -> FeedbackEvent:
    return FeedbackEvent(org, e.event_id, e.participant_id, e.opportunity_id, e.action, e.at)


def _view(state: State, row: DemandRow) -> DemandView:
    return DemandView(
        row.opportunity_id,
        row.demand,
        pulse_now(row.demand, row.t_ref, row.capacity, row.confirmed, row.start, state.pulse),
        row.duplicate,
    )


def _refuse_future(state: State, events: Sequence[FeedbackIn], *, numbered: bool) -> None:
    """An event stamped ahead of the server's clock (beyond the allowed skew) is refused.

    Demand decays from the latest event's time, so one event in 2999 would freeze an
    opportunity's demand for centuries; a few minutes of clients' clock skew are fine.
    """
    skew = state.settings.feedback_clock_skew_seconds
    latest = datetime.now(UTC) + timedelta(seconds=skew)
    for i, e in enumerate(events):
        if e.at > latest:
            raise InputError(
                f"{e.at.isoformat()} is in the future (more than {skew:g} s ahead of the server's clock)",
                field="at",
                row=i + 1 if numbered else None,
            )


async def record_one(state: State, org: int, event: FeedbackIn) -> DemandView:
    """Record an event; the same ``event_id`` again changes nothing (``duplicate``). Unknown
    participant or opportunity: NotFoundError. Written with concurrent events in one transaction.
    An event in the future (past the clock-skew setting) is refused with InputError."""
    _refuse_future(state, [event], numbered=False)
    return _view(state, await state.feedback.record(_event(org, event)))


def record_batch(state: State, org: int, events: list[FeedbackIn]) -> list[DemandView]:
    """Record events in one transaction, all or nothing: an unknown opportunity or participant
    stores none of them and raises NotFoundError naming the event (``row``, from 1) and field;
    so does an event in the future (InputError)."""
    _refuse_future(state, events, numbered=True)
    with state.db.write() as conn:
        answers = record_feedback(conn, [_event(org, e) for e in events], state.pulse)
        for i, answer in enumerate(answers):
            if isinstance(answer, StoreError):  # raising here rolls the whole batch back
                raise NotFoundError(
                    f"event {i + 1}: {answer.message}", field=answer.field, row=i + 1, code=answer.code
                )
    return [_view(state, a) for a in answers if isinstance(a, DemandRow)]
