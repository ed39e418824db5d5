"""The waitlist over HTTP (SQLite and PostgreSQL): queues, offers, accept/decline, JSON errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.service.conftest import Api, in_process
from tests.service.helpers import allocate, campaign

# a holds A and b holds B; z (A, then B) and w (B) wait.
OPPS = "opportunity_id,capacity,title\nA,1,Algebra\nB,1,Biology\n"
PREFS = "participant_id,opportunity_id,rank\na,A,1\nb,B,1\nz,A,1\nz,B,2\nw,B,1\n"


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    with in_process(db_url, queue="thread") as a:  # runs in this process on PostgreSQL too
        yield a


def finalized(api: Api) -> int:
    cid = campaign(api, OPPS, PREFS, seed=3, forced=[["a", "A"], ["b", "B"]])  # z could have A too
    assert allocate(api, cid)["status"] == "done"
    assert api.post(f"/campaigns/{cid}/finalize").status_code == 200
    return cid


def test_walk_through_withdraw_offer_decline_accept(api: Api) -> None:
    cid = finalized(api)
    r = api.get(f"/campaigns/{cid}/waitlist")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["seed"] == "3" and body["offer_hours"] == 48
    queues = {o["opportunity_id"]: [p["participant_id"] for p in o["queue"]] for o in body["opportunities"]}
    assert queues == {"A": ["z"], "B": ["w", "z"]}
    assert api.patch(f"/campaigns/{cid}/waitlist", json={"offer_hours": 24}).json()["offer_hours"] == 24
    assert api.delete(f"/campaigns/{cid}/preferences/b").status_code == 204  # B frees
    offers = api.get(f"/campaigns/{cid}/offers", params={"status": "open"})
    assert offers.headers["X-Total-Count"] == "1"
    (to_w,) = offers.json()
    assert (to_w["participant_id"], to_w["opportunity_id"]) == ("w", "B")
    r = api.post(f"/campaigns/{cid}/offers/{to_w['id']}/decline")
    assert r.status_code == 200 and r.json()["changed"] is True
    assert [(o["participant_id"], o["opportunity_id"]) for o in r.json()["filled"]["offered"]] == [("z", "B")]
    to_z = r.json()["filled"]["offered"][0]
    first = api.post(f"/campaigns/{cid}/offers/{to_z['id']}/accept")
    again = api.post(f"/campaigns/{cid}/offers/{to_z['id']}/accept")
    assert first.status_code == again.status_code == 200
    assert first.json()["changed"] is True and again.json()["changed"] is False
    seats = {
        r["participant_id"]: r["opportunity_id"]
        for r in api.get(f"/campaigns/{cid}/allocation").json()["assignments"]
    }
    assert seats == {"a": "A", "z": "B", "w": None}
    refused = api.post(f"/campaigns/{cid}/offers/{to_w['id']}/accept")
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "OFFER_NOT_OPEN",
        "message": f"cannot accept offer {to_w['id']}: it is declined",
        "field": "offer_id",
        "row": None,
    }
    view = api.get(f"/campaigns/{cid}/waitlist", params={"opportunity_id": "A"}).json()
    assert [p["participant_id"] for p in view["opportunities"][0]["queue"]] == ["z"]  # z still hopes for A
    assert api.post(f"/campaigns/{cid}/waitlist/fill").json() == {
        "expired": [],
        "withdrawn": [],
        "offered": [],
    }


def test_errors_are_json_and_other_organizations_see_nothing(api: Api) -> None:
    cid = finalized(api)
    api.delete(f"/campaigns/{cid}/preferences/a")
    (offer,) = api.get(f"/campaigns/{cid}/offers").json()
    other = api.other_org()
    for method, path in (
        ("GET", f"/campaigns/{cid}/waitlist"),
        ("GET", f"/campaigns/{cid}/offers"),
        ("GET", f"/campaigns/{cid}/offers/{offer['id']}"),
        ("POST", f"/campaigns/{cid}/offers/{offer['id']}/accept"),
        ("POST", f"/campaigns/{cid}/offers/{offer['id']}/decline"),
        ("POST", f"/campaigns/{cid}/waitlist/fill"),
    ):
        r = other.request(method, path)
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", (path, r.text)
    assert api.get(f"/campaigns/{cid}/offers/{offer['id']}").json()["status"] == "open"
    bad = api.patch(f"/campaigns/{cid}/waitlist", json={"offer_hours": 0})
    assert bad.status_code == 422 and bad.json()["field"] == "offer_hours"
    assert api.get(f"/campaigns/{cid}/offers/999999").json()["code"] == "NOT_FOUND"
    assert api.get(f"/campaigns/{cid}/waitlist", params={"opportunity_id": "nope"}).status_code == 404
    assert api.get(f"/campaigns/{cid}/offers", params={"status": "lost"}).status_code == 422
