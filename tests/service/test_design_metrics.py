"""Issue 17 item 11: the five design metrics in ``GET /metrics``, first-timers on participants
(JSON and CSV upload), on SQLite and PostgreSQL. Expected values are worked out by hand below."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from flok.store import keys
from flok.store.tables import participants, rsvp_attempts
from tests.service.conftest import Api, in_process

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CSV = {"content-type": "text/csv"}


@contextlib.contextmanager
def service(url: str) -> Iterator[Api]:
    with in_process(url, queue="thread") as api:
        yield api


def org_of(api: Api) -> int:
    with api.db.read() as conn:
        org = keys.org_for_key(conn, api.key)
    assert org is not None
    return org


def rsvp(api: Api, oid: str, who: str) -> int:
    return api.post(f"/opportunities/{oid}/rsvp", json={"participant_id": who}).status_code


def stamp_joined(api: Api, who: str, hours: float) -> None:
    with api.db.write() as conn:
        conn.execute(
            update(participants)
            .where(participants.c.org_id == org_of(api), participants.c.participant_id == who)
            .values(created_at=T0 + timedelta(hours=hours))
        )


def stamp_attempt(api: Api, who: str, oid: str, refused: bool, hours: float) -> None:
    with api.db.write() as conn:
        hit = conn.execute(
            update(rsvp_attempts)
            .where(
                rsvp_attempts.c.org_id == org_of(api),
                rsvp_attempts.c.participant_id == who,
                rsvp_attempts.c.opportunity_id == oid,
                rsvp_attempts.c.refused.is_(refused),
            )
            .values(created_at=T0 + timedelta(hours=hours))
        )
        assert hit.rowcount == 1


def hand_log(api: Api) -> None:
    """Opportunities X (1 seat), Y (3 seats), Z (0 seats: closed). Participants, joined at T0
    unless said: A (first-timer), B, C (first-timer), D (joined T0+10h), E.

    A → X seat at +2h; B → X refused at +3h; C → X refused at +4h; D → Y seat at +11h;
    B → Y seat at +30h; A → X again (a repeat: no attempt); E → Y seat at +1h, then E is
    deleted (the seat freed) and created again at +50h, never RSVPing again."""
    for oid, cap in (("X", 1), ("Y", 3), ("Z", 0)):
        assert api.post("/opportunities", json={"opportunity_id": oid, "capacity": cap}).status_code == 201
    for who, first in (("A", True), ("B", False), ("C", True), ("D", False), ("E", False)):
        r = api.post("/participants", json={"participant_id": who, "first_timer": first})
        assert r.status_code == 201, r.text
        assert r.json()["first_timer"] is first
    assert rsvp(api, "X", "A") == 201
    assert rsvp(api, "X", "B") == 409
    assert rsvp(api, "X", "C") == 409
    assert rsvp(api, "Y", "D") == 201
    assert rsvp(api, "Y", "B") == 201
    assert rsvp(api, "X", "A") == 200  # already confirmed: not an attempt
    assert rsvp(api, "Y", "E") == 201
    for who in ("A", "B", "C", "E"):
        stamp_joined(api, who, 0)
    stamp_joined(api, "D", 10)
    stamp_attempt(api, "A", "X", False, 2)
    stamp_attempt(api, "B", "X", True, 3)
    stamp_attempt(api, "C", "X", True, 4)
    stamp_attempt(api, "D", "Y", False, 11)
    stamp_attempt(api, "B", "Y", False, 30)
    stamp_attempt(api, "E", "Y", False, 1)
    assert api.delete("/participants/E").status_code == 204
    assert api.post("/participants", json={"participant_id": "E"}).status_code == 201
    stamp_joined(api, "E", 50)


def test_five_metrics_on_a_hand_worked_log(db_url: str) -> None:
    with service(db_url) as api:
        hand_log(api)
        m = api.get("/metrics").json()
        # Fill: X 1 of 1, Y 2 of 3 (E's seat was given back), Z has no seats: 3 / 4.
        assert m["capacity"] == 4 and m["confirmed"] == 3
        assert m["fill_rate"] == pytest.approx(3 / 4)
        # Matched (a seat now): A, B, D of A–E.
        assert m["participants"] == 5
        assert m["matched_share"] == pytest.approx(3 / 5)
        # Attempts: A✓ B✗ C✗ D✓ B✓ E✓ (E's counts: it happened) = 6, of which 2 refused as full.
        assert (m["rsvp_attempts"], m["rsvp_refused"]) == (6, 2)
        assert m["oversubscription_rate"] == pytest.approx(2 / 6)
        # First seat after joining: A 2 h, B 30 h, D 1 h; C none; E's seat predates their rejoining.
        # Sorted [1, 2, 30]: median 2; 90th percentile (linear) at 0.9·2 = 1.8 → 2 + 0.8·28 = 24.4.
        assert m["time_to_first_rsvp"] == {
            "median_hours": pytest.approx(2.0),
            "p90_hours": pytest.approx(24.4),
            "count": 3,
        }
        # Within 24 h of joining: A and D, of five people.
        assert m["matched_within_24h"] == pytest.approx(2 / 5)
        # First-timers A and C: A matched → 1/2; everyone 3/5; gap 1/2 − 3/5 = −0.1.
        assert m["first_timers"] == 2
        assert m["first_timers_matched_share"] == pytest.approx(1 / 2)
        assert m["inclusion_gap"] == pytest.approx(-0.1)
        assert m["closed"] == 1
        # Another organization's figures are its own: nothing.
        other = api.other_org().get("/metrics").json()
        assert other["participants"] == 0 and other["rsvp_attempts"] == 0
        assert other["inclusion_gap"] is None and other["matched_within_24h"] is None
        assert other["time_to_first_rsvp"] == {"median_hours": None, "p90_hours": None, "count": 0}


def test_inclusion_is_never_null_once_first_timers_are_known(api: Api) -> None:
    assert api.post("/opportunities", json={"opportunity_id": "X", "capacity": 1}).status_code == 201
    for who in ("A", "B"):
        assert api.post("/participants", json={"participant_id": who}).status_code == 201
    m = api.get("/metrics").json()
    assert m["first_timers"] == 0 and m["inclusion_gap"] is None  # nobody to compare
    assert api.patch("/participants/B", json={"first_timer": True}).json()["first_timer"] is True
    m = api.get("/metrics").json()
    # Nobody matched: first-timers 0/1, everyone 0/2 → gap 0 (a number, not null).
    assert m["first_timers"] == 1 and m["inclusion_gap"] == 0.0
    assert rsvp(api, "X", "A") == 201
    m = api.get("/metrics").json()
    assert m["inclusion_gap"] == pytest.approx(0 / 1 - 1 / 2)


PEOPLE = (
    "participant_id,interests,lat,lon,availability,first_timer\n"
    "ana,chess;music,52.5,13.4,2026-12-01T18:00+00:00/2026-12-01T22:00+00:00,yes\n"
    "ben,,,,,no\n"
    "cleo,art,,,,\n"
)


def test_participants_csv_upload_stores_first_timers(db_url: str) -> None:
    with service(db_url) as api:
        r = api.post("/participants/upload", content=PEOPLE.encode(), headers=CSV)
        assert r.status_code == 201, r.text
        assert r.json() == {"added": 3}
        ana = api.get("/participants/ana").json()
        assert ana["first_timer"] is True and ana["interests"] == ["chess", "music"]
        assert (ana["lat"], ana["lon"]) == (52.5, 13.4)
        assert [datetime.fromisoformat(w["start"]) for w in ana["availability"]] == [
            datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
        ]
        assert api.get("/participants/ben").json()["first_timer"] is False
        assert api.get("/participants/cleo").json()["first_timer"] is False  # empty = false
        m = api.get("/metrics").json()
        assert m["first_timers"] == 1 and m["inclusion_gap"] == 0.0
        assert api.other_org().get("/participants/ana").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "code", "field", "row"),
    [
        ("participant_id,first_timer\nx,yes\ny,maybe\n", 422, "INVALID_INPUT", "first_timer", 3),
        ("participant_id,lat\nx,52.5\n", 422, "INVALID_INPUT", "lon", 2),
        ("participant_id,first_timer\nx,no\nx,yes\n", 422, "INVALID_INPUT", "participant_id", 3),
        ("participant_id,first_timer\nnew,no\ntaken,yes\n", 409, "DUPLICATE", "participant_id", 3),
    ],
)
def test_bad_participant_uploads_are_refused_whole(
    api: Api, body: str, status: int, code: str, field: str, row: int
) -> None:
    assert api.post("/participants", json={"participant_id": "taken"}).status_code == 201
    r = api.post("/participants/upload", content=body.encode(), headers=CSV)
    assert r.status_code == status, r.text
    err = r.json()
    assert set(err) >= {"code", "message", "field", "row"}
    assert (err["code"], err["field"], err["row"]) == (code, field, row)
    assert [p["participant_id"] for p in api.get("/participants").json()] == ["taken"]  # all or nothing


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/participants", {"participant_id": "z", "first_timer": "maybe"}),
        ("PATCH", "/participants/taken", {"first_timer": None}),
    ],
)
def test_first_timer_must_be_a_boolean(api: Api, method: str, path: str, body: dict[str, Any]) -> None:
    assert api.post("/participants", json={"participant_id": "taken"}).status_code == 201
    r = api.request(method, path, json=body)
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["code"] == "VALIDATION_ERROR" and err["field"].endswith("first_timer") and err["row"] is None
    assert api.get("/participants/taken").json()["first_timer"] is False
