"""Deleting people and opportunities that hold seats, and one set of rules for create and update.

Deleting a participant with a confirmed seat left the seat taken by nobody (confirmed 1,
seats left 4, counted by the metrics), and a participant created again with the same id
inherited it. PATCH accepted half a coordinate pair and an end before its start, which POST
refuses.
"""

from __future__ import annotations

import pytest

from tests.service.conftest import Api, in_process


def _rsvp(api: Api, oid: str, pid: str) -> None:
    r = api.post(f"/opportunities/{oid}/rsvp", json={"participant_id": pid})
    assert r.status_code == 201, r.text


def test_deleting_a_participant_gives_their_seats_back(db_url: str) -> None:
    with in_process(db_url) as api:
        for oid in ("chess", "choir"):
            assert api.post("/opportunities", json={"opportunity_id": oid, "capacity": 5}).status_code == 201
        for pid in ("ana", "bo"):
            assert api.post("/participants", json={"participant_id": pid}).status_code == 201
        _rsvp(api, "chess", "ana")
        _rsvp(api, "choir", "ana")
        _rsvp(api, "chess", "bo")
        assert api.get("/metrics").json()["confirmed"] == 3

        assert api.delete("/participants/ana").status_code == 204

        chess, choir = (api.get(f"/opportunities/{o}").json() for o in ("chess", "choir"))
        assert (chess["confirmed"], chess["seats_left"]) == (1, 4)
        assert (choir["confirmed"], choir["seats_left"]) == (0, 5)
        assert api.get("/metrics").json()["confirmed"] == 1
        with api.db.read() as conn:  # each seat given back is recorded
            from flok.store import community

            assert community.cancellations(conn, _org(api), "ana") == [
                ("chess", "participant deleted"),
                ("choir", "participant deleted"),
            ]

        # Created again with the same id: no seat of the deleted one's.
        assert api.post("/participants", json={"participant_id": "ana"}).status_code == 201
        again = api.post("/opportunities/chess/rsvp", json={"participant_id": "ana"})
        assert again.status_code == 201 and again.json()["confirmed"] == 2  # a new seat, not "already"
        gone = api.request("DELETE", "/opportunities/choir/rsvp", params={"participant_id": "ana"})
        assert gone.status_code == 404  # ana holds no seat of choir any more
        assert api.get("/metrics").json()["confirmed"] == 2


def _org(api: Api) -> int:
    from flok.store import keys

    with api.db.read() as conn:
        org = keys.org_for_key(conn, api.key)
    assert org is not None
    return int(org)


def test_deleting_an_opportunity_with_confirmed_seats_is_refused(db_url: str) -> None:
    with in_process(db_url) as api:
        assert api.post("/opportunities", json={"opportunity_id": "chess", "capacity": 5}).status_code == 201
        for pid in ("ana", "bo"):
            assert api.post("/participants", json={"participant_id": pid}).status_code == 201
            _rsvp(api, "chess", pid)
        r = api.delete("/opportunities/chess")
        assert r.status_code == 409, r.text
        error = r.json()
        assert error["code"] == "HAS_CONFIRMED" and "2 confirmed" in error["message"]
        assert api.get("/opportunities/chess").json()["confirmed"] == 2
        for pid in ("ana", "bo"):
            cancel = api.request("DELETE", "/opportunities/chess/rsvp", params={"participant_id": pid})
            assert cancel.status_code == 200
        assert api.delete("/opportunities/chess").status_code == 204


WHERE = {"lat": 52.5, "lon": 13.4}
WHEN = {"start": "2026-12-01T18:00:00Z", "end": "2026-12-01T20:00:00Z"}


@pytest.mark.parametrize(
    ("path", "created", "change", "field"),
    [
        ("/opportunities", {"opportunity_id": "o", "capacity": 2}, {"lat": 52.5}, "lon"),
        ("/opportunities", {"opportunity_id": "o", "capacity": 2, **WHERE}, {"lon": None}, "lon"),
        (
            "/opportunities",
            {"opportunity_id": "o", "capacity": 2, **WHEN},
            {"end": "2026-12-01T17:00:00Z"},
            "end",
        ),
        (
            "/opportunities",
            {"opportunity_id": "o", "capacity": 2},
            {"start": "2026-12-02T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
            "end",
        ),
        ("/participants", {"participant_id": "o"}, {"lon": 13.4}, "lat"),
        ("/participants", {"participant_id": "o", **WHERE}, {"lat": None}, "lat"),
    ],
)
def test_patch_keeps_the_rules_post_keeps(
    db_url: str, path: str, created: dict[str, object], change: dict[str, object], field: str
) -> None:
    with in_process(db_url) as api:
        r = api.post(path, json=created)
        assert r.status_code == 201, r.text
        before = api.get(f"{path}/o").json()
        patched = api.patch(f"{path}/o", json=change)
        key = "opportunity_id" if "opportunity_id" in created else "participant_id"
        posted = api.post(path, json={**created, **change, key: "p"})  # the same record, new
        for answer in (patched, posted):
            assert answer.status_code == 422, answer.text
            error = answer.json()
            assert error["field"] == field, error
        assert patched.json() == posted.json()  # one rule, one answer
        assert api.get(f"{path}/o").json() == before  # nothing changed
        assert api.get(f"{path}/p").status_code == 404


def test_a_whole_coordinate_pair_or_window_may_still_be_changed(db_url: str) -> None:
    with in_process(db_url) as api:
        assert (
            api.post(
                "/opportunities", json={"opportunity_id": "o", "capacity": 2, **WHERE, **WHEN}
            ).status_code
            == 201
        )
        moved = api.patch("/opportunities/o", json={"lat": 48.1, "lon": 11.6, "end": "2026-12-01T21:00:00Z"})
        assert moved.status_code == 200, moved.text
        assert (moved.json()["lat"], moved.json()["lon"]) == (48.1, 11.6)
        cleared = api.patch("/opportunities/o", json={"lat": None, "lon": None})
        assert cleared.status_code == 200 and cleared.json()["lat"] is None
        assert api.post("/participants", json={"participant_id": "p"}).status_code == 201
        assert api.patch("/participants/p", json=WHERE).status_code == 200
