"""The waitlist page in-process: queues and offers shown, accept asks first then redirects with a
notice, CSRF required, another organization's campaign not found."""

from __future__ import annotations

from flok.app import campaigns
from flok.app.state import State
from flok.store import keys
from tests.app.waitlist_helpers import CAPACITY, HOLD, RANKED, finalized, new_org, seats

from .conftest import Web, csrf_of


def _setup(web: Web) -> tuple[State, int, int]:
    state: State = web.client.app.state.flok  # type: ignore[attr-defined]
    with state.db.read() as conn:
        org = keys.org_for_key(conn, web.key)
    assert org is not None
    cid = finalized(state, org, CAPACITY, RANKED, **HOLD)
    campaigns.withdraw(state, org, cid, "a")  # A frees: offered to z
    return state, org, cid


def test_the_page_shows_queues_and_accepting_asks_first(web: Web) -> None:
    state, _, cid = _setup(web)
    token = web.sign_in()
    html = web.client.get(f"/ui/campaigns/{cid}").text
    assert f'href="/ui/campaigns/{cid}/waitlist"' in html  # linked from the campaign page
    html = web.client.get(f"/ui/campaigns/{cid}/waitlist").text
    assert "Open offers" in html and "In line" in html and "z" in html
    offer = html.split("/offers/")[1].split("/")[0]
    ask = web.client.get(f"/ui/campaigns/{cid}/offers/{offer}/accept")
    assert ask.status_code == 200 and "Accept the seat in A for z?" in ask.text
    assert seats(state.db, cid).get("z") is None  # asking changed nothing
    unconfirmed = web.client.post(
        f"/ui/campaigns/{cid}/offers/{offer}/accept", data={"csrf_token": token}, follow_redirects=False
    )
    assert unconfirmed.status_code == 303 and unconfirmed.headers["location"].endswith(
        f"/offers/{offer}/accept"
    )
    no_csrf = web.client.post(f"/ui/campaigns/{cid}/offers/{offer}/accept", data={"confirm": "yes"})
    assert no_csrf.status_code == 403 and seats(state.db, cid).get("z") is None
    done = web.client.post(
        f"/ui/campaigns/{cid}/offers/{offer}/accept",
        data={"csrf_token": csrf_of(ask.text), "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/ui/campaigns/{cid}/waitlist"
    shown = web.client.get(done.headers["location"]).text
    assert f"Offer {offer} of A to z accepted." in shown and seats(state.db, cid)["z"] == "A"
    again = web.client.get(f"/ui/campaigns/{cid}/offers/{offer}/decline", follow_redirects=True)
    assert "it is accepted" in again.text  # a decided offer is not asked about again


def test_settings_errors_show_in_the_message_box(web: Web) -> None:
    _, _, cid = _setup(web)
    token = web.sign_in()
    bad = web.client.post(
        f"/ui/campaigns/{cid}/waitlist/settings", data={"csrf_token": token, "offer_hours": "soon"}
    )
    assert bad.status_code == 200 and 'role="alert"' in bad.text and "offer_hours" in bad.text
    good = web.client.post(
        f"/ui/campaigns/{cid}/waitlist/settings", data={"csrf_token": token, "offer_hours": "12"}
    )
    assert "New offers can be accepted for 12 hours." in good.text and 'value="12"' in good.text


def test_another_organization_gets_not_found(web: Web) -> None:
    state, _, _ = _setup(web)
    other = new_org(state)
    theirs = finalized(state, other, CAPACITY, RANKED, **HOLD)
    campaigns.withdraw(state, other, theirs, "a")
    token = web.sign_in()
    assert web.client.get(f"/ui/campaigns/{theirs}/waitlist").status_code == 404
    assert web.client.get(f"/ui/campaigns/{theirs}/offers/1/accept").status_code == 404
    r = web.client.post(
        f"/ui/campaigns/{theirs}/offers/1/accept", data={"csrf_token": token, "confirm": "yes"}
    )
    assert r.status_code == 404 and seats(state.db, theirs).get("z") is None
