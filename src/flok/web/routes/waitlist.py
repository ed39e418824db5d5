"""The waitlist page of a finalized campaign: per opportunity its seats, open offers and queue,
the accept-by delay, and accept/decline on a participant's behalf (confirmed first, then
post/redirect/get with a notice). Every action is the same ``flok.app.waitlist`` use case the
API calls, with the signed-in organization."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from flok.app import campaigns as campaigns_app
from flok.app import waitlist as app
from flok.app.fields import MAX_ROW_ID
from flok.errors import FlokError, InputError, NotFoundError
from flok.web import flash
from flok.web.context import StateDep
from flok.web.deps import PostDep, RowId, SessionDep, org_of
from flok.web.flash import Flash
from flok.web.render import page, problem, redirect
from flok.web.views import campaign_view

router = APIRouter(prefix="/ui")
QUEUE_ROWS = 50  # places shown per opportunity; the API gives every one
HISTORY_ROWS = 100  # decided offers shown, newest first
OfferId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
Action = Literal["accept", "decline"]
DONE = {"accept": "accepted", "decline": "declined"}


def _home(campaign_id: int) -> str:
    return f"/ui/campaigns/{campaign_id}/waitlist"


@router.get("/campaigns/{campaign_id}/waitlist")
def waitlist_page(request: Request, campaign_id: RowId, session: SessionDep, state: StateDep) -> Response:
    org = org_of(session)
    campaign = campaign_view(campaigns_app.get_campaign(state, org, campaign_id))
    shown = flash.take(request) or Flash()
    view = app.view(state, org, campaign_id, limit=QUEUE_ROWS)
    decided, total = app.list_offers(state, org, campaign_id)
    history = [f for f in reversed(decided) if f.status != "open"][:HISTORY_ROWS]
    context = {
        "title": f"Waitlist · {campaign.name}",
        "nav": "campaigns",
        "c": campaign,
        "w": view,
        "history": history,
        "offers_total": total,
        "error": shown.errors.get("waitlist"),
        "notice": shown.notice,
    }
    return page(request, "waitlist.html", context)


@router.get("/campaigns/{campaign_id}/offers/{offer_id}/{action}")
def confirm(
    request: Request,
    campaign_id: RowId,
    offer_id: OfferId,
    action: Action,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """Ask first: whom the offer is for, what it gives up, and the deadline."""
    org = org_of(session)
    campaign = campaign_view(campaigns_app.get_campaign(state, org, campaign_id))
    offer = app.get_offer(state, org, campaign_id, offer_id)
    if offer.status != "open":
        failed = Flash(errors={"waitlist": problem(app.refusal(offer, action))})
        return redirect(request, _home(campaign_id), failed)
    context = {
        "title": f"{action.title()} offer {offer.id}",
        "nav": "campaigns",
        "c": campaign,
        "offer": offer,
        "action": action,
    }
    return page(request, "offer_confirm.html", context)


@router.post("/campaigns/{campaign_id}/offers/{offer_id}/{action}")
def decide(
    request: Request,
    campaign_id: RowId,
    offer_id: OfferId,
    action: Action,
    session: PostDep,
    state: StateDep,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Accept or decline for the participant; only with the confirmation page's ``confirm=yes``."""
    if confirm != "yes":
        return redirect(request, f"/ui/campaigns/{campaign_id}/offers/{offer_id}/{action}")
    org = org_of(session)
    use_case = app.accept if action == "accept" else app.decline
    try:
        done = use_case(state, org, campaign_id, offer_id)
    except NotFoundError:
        raise
    except FlokError as exc:
        return redirect(request, _home(campaign_id), Flash(errors={"waitlist": problem(exc)}))
    f = done.offer
    said = f"Offer {f.id} of {f.opportunity_id} to {f.participant_id} {DONE[action]}"
    if not done.changed:
        said += " already"
    offered = ", ".join(f"{o.opportunity_id} to {o.participant_id}" for o in done.filled.offered)
    notice = f"{said}." + (f" New offers: {offered}." if offered else "")
    return redirect(request, _home(campaign_id), Flash(notice=notice))


@router.post("/campaigns/{campaign_id}/waitlist/settings")
def settings(
    request: Request,
    campaign_id: RowId,
    session: PostDep,
    state: StateDep,
    offer_hours: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The accept-by delay of offers made from now on."""
    try:
        try:
            hours = float(offer_hours)
        except ValueError:
            raise InputError(f"must be a number of hours, got {offer_hours!r}", field="offer_hours") from None
        app.set_offer_hours(state, org_of(session), campaign_id, hours)
    except NotFoundError:
        raise
    except FlokError as exc:
        return redirect(request, _home(campaign_id), Flash(errors={"waitlist": problem(exc)}))
    return redirect(
        request, _home(campaign_id), Flash(notice=f"New offers can be accepted for {hours:g} hours.")
    )
