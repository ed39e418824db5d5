"""Waitlists of a finalized campaign: the queues, seat offers, accept and decline.

Each endpoint is one ``flok.app.waitlist`` use case; reading the waitlist or the offers first
expires overdue offers and passes their seats on (so a client never sees an open offer past its
deadline). Errors are the API's JSON ``{code, message, field, row}``: ``OFFER_EXPIRED`` and
``OFFER_NOT_OPEN`` (409) for an offer that can no longer be accepted or declined.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from flok.app import waitlist as app
from flok.app.fields import MAX_ROW_ID
from flok.service.deps import OrgDep, StateDep
from flok.service.errors import ERROR_RESPONSES
from flok.service.schemas import TOTAL_HEADER, Limit, Offset, RowId, Strict
from flok.store.waitlist import OfferRow

router = APIRouter(prefix="/campaigns", tags=["waitlists"], responses=ERROR_RESPONSES)
OfferId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
OfferStatus = Literal["open", "accepted", "declined", "expired", "withdrawn"]
Ident = Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]


class OfferOut(BaseModel):
    id: int
    participant_id: str
    opportunity_id: str
    status: OfferStatus
    reason: str | None = Field(
        description="why it was withdrawn: capacity, placed_better or participant_withdrew"
    )
    released: str | None = Field(description="the seat its holder gave up on accepting it")
    offered_at: datetime
    expires_at: datetime
    decided_at: datetime | None


class PlaceOut(BaseModel):
    position: int = Field(description="1 = next in line (rank first, then the lottery)")
    participant_id: str
    rank: int | None
    score: float | None
    lottery: int
    offer_id: int | None = Field(description="their open offer of this opportunity, if any")


class OpportunityWaitlistOut(BaseModel):
    opportunity_id: str
    title: str | None
    capacity: int
    seated: int
    free: int
    offers: list[OfferOut]
    waiting: int
    queue: list[PlaceOut]


class WaitlistOut(BaseModel):
    campaign_id: int
    status: str
    offer_hours: float
    seed: str | None
    started_at: datetime | None
    opportunities: list[OpportunityWaitlistOut]


class WaitlistIn(Strict):
    offer_hours: float = Field(
        gt=0, le=app.MAX_OFFER_HOURS, strict=True, description="accept-by delay of new offers"
    )


class SettingsOut(BaseModel):
    campaign_id: int
    offer_hours: float


class FilledOut(BaseModel):
    expired: list[OfferOut]
    withdrawn: list[OfferOut]
    offered: list[OfferOut]


class DecisionOut(BaseModel):
    offer: OfferOut
    changed: bool = Field(description="false when the offer had been decided so already")
    filled: FilledOut


def _offer(row: OfferRow) -> OfferOut:
    return OfferOut.model_validate(row, from_attributes=True)


def _filled(f: app.Filled) -> FilledOut:
    return FilledOut(
        expired=[_offer(o) for o in f.expired],
        withdrawn=[_offer(o) for o in f.withdrawn],
        offered=[_offer(o) for o in f.offered],
    )


@router.get("/{campaign_id}/waitlist")
def get_waitlist(
    campaign_id: RowId,
    org: OrgDep,
    state: StateDep,
    opportunity_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Limit = None,
) -> WaitlistOut:
    """Per opportunity: seats, open offers and the queue in offer order (``limit`` places each)."""
    view = app.view(state, org, campaign_id, opportunity_id=opportunity_id, limit=limit)
    return WaitlistOut(
        campaign_id=view.campaign_id,
        status=view.status,
        offer_hours=view.offer_hours,
        seed=view.seed,
        started_at=view.started_at,
        opportunities=[
            OpportunityWaitlistOut(
                opportunity_id=o.opportunity_id,
                title=o.title,
                capacity=o.capacity,
                seated=o.seated,
                free=o.free,
                offers=[_offer(f) for f in o.offers],
                waiting=o.waiting,
                queue=[
                    PlaceOut(
                        position=p.position,
                        participant_id=p.participant_id,
                        rank=p.rank,
                        score=p.score,
                        lottery=p.lottery,
                        offer_id=p.offer.id if p.offer else None,
                    )
                    for p in o.queue
                ],
            )
            for o in view.opportunities
        ],
    )


@router.patch("/{campaign_id}/waitlist")
def set_waitlist(campaign_id: RowId, body: WaitlistIn, org: OrgDep, state: StateDep) -> SettingsOut:
    """The accept-by delay (hours) of offers made from now on; default 48."""
    found = app.set_offer_hours(state, org, campaign_id, body.offer_hours)
    return SettingsOut(campaign_id=found.campaign_id, offer_hours=found.offer_hours)


@router.post("/{campaign_id}/waitlist/fill")
def fill(campaign_id: RowId, org: OrgDep, state: StateDep) -> FilledOut:
    """Expire overdue offers and offer every free seat now (idempotent: safe to call any time)."""
    return _filled(app.fill_free_seats(state, org, campaign_id))


@router.get("/{campaign_id}/offers", responses={200: {"headers": TOTAL_HEADER}})
def list_offers(
    campaign_id: RowId,
    org: OrgDep,
    state: StateDep,
    response: Response,
    status: OfferStatus | None = None,
    participant_id: Ident | None = None,
    limit: Limit = None,
    offset: Offset = 0,
) -> list[OfferOut]:
    """Offers by id, oldest first; ``X-Total-Count``: how many match in all."""
    rows, total = app.list_offers(
        state, org, campaign_id, status=status, participant_id=participant_id, limit=limit, offset=offset
    )
    response.headers["X-Total-Count"] = str(total)
    return [_offer(r) for r in rows]


@router.get("/{campaign_id}/offers/{offer_id}")
def get_offer(campaign_id: RowId, offer_id: OfferId, org: OrgDep, state: StateDep) -> OfferOut:
    return _offer(app.get_offer(state, org, campaign_id, offer_id))


@router.post("/{campaign_id}/offers/{offer_id}/accept")
def accept(campaign_id: RowId, offer_id: OfferId, org: OrgDep, state: StateDep) -> DecisionOut:
    """Seat the participant; their old seat frees and is offered on. Accepting twice counts once
    (``changed`` false); 409 ``OFFER_EXPIRED`` past the deadline, ``OFFER_NOT_OPEN`` once declined
    or withdrawn."""
    done = app.accept(state, org, campaign_id, offer_id)
    return DecisionOut(offer=_offer(done.offer), changed=done.changed, filled=_filled(done.filled))


@router.post("/{campaign_id}/offers/{offer_id}/decline")
def decline(campaign_id: RowId, offer_id: OfferId, org: OrgDep, state: StateDep) -> DecisionOut:
    """The participant leaves this waitlist; the seat goes to the next in line."""
    done = app.decline(state, org, campaign_id, offer_id)
    return DecisionOut(offer=_offer(done.offer), changed=done.changed, filled=_filled(done.filled))
