"""Community matching: opportunities, participants, feedback → demand and pulse, feed, trending, rebalance."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from tests.service.conftest import Api

T0 = "2026-11-23T10:00:00Z"


def opportunity(api: Api, oid: str, capacity: int = 2, **extra: object) -> dict:
    r = api.post("/opportunities", json={"opportunity_id": oid, "capacity": capacity, **extra})
    assert r.status_code == 201, r.text
    return dict(r.json())


def register(api: Api, pid: str) -> None:
    r = api.post("/participants", json={"participant_id": pid})
    assert r.status_code == 201, r.text


def feedback(api: Api, event: str, oid: str, action: str = "accepted", at: str = T0, who: str = "p1") -> dict:
    r = api.post(
        "/feedback",
        json={"event_id": event, "participant_id": who, "opportunity_id": oid, "action": action, "at": at},
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_opportunity_crud(api: Api) -> None:
    body = opportunity(
        api,
        "chess",
        3,
        title="Chess club",
        start="2026-12-01T18:00:00+01:00",
        end="2026-12-01T20:00:00+01:00",
        lat=52.5,
        lon=13.4,
        tags=["games"],
    )
    assert body["seats_left"] == 3 and body["pulse"] == 50.0 and body["demand"] == 0.0
    assert body["start"].startswith("2026-12-01T17:00:00")
    dup = api.post("/opportunities", json={"opportunity_id": "chess", "capacity": 1})
    assert dup.status_code == 409 and dup.json()["code"] == "DUPLICATE"
    assert api.patch("/opportunities/chess", json={"capacity": 5}).json()["capacity"] == 5
    assert [o["opportunity_id"] for o in api.get("/opportunities").json()] == ["chess"]
    assert api.delete("/opportunities/chess").status_code == 204
    assert api.get("/opportunities/chess").status_code == 404


def test_feedback_updates_demand_once_per_event(api: Api) -> None:
    opportunity(api, "o", 1)
    register(api, "p1")
    assert feedback(api, "e1", "o")["demand"] == 1.0
    second = feedback(api, "e2", "o", "clicked")
    assert math.isclose(second["demand"], 1.2)
    again = feedback(api, "e2", "o", "clicked")
    assert again["duplicate"] is True and math.isclose(again["demand"], 1.2)
    # 12 h later, demand has decayed by e^-1 before the new event adds its weight.
    later = feedback(api, "e3", "o", "accepted", at="2026-11-23T22:00:00Z")
    assert math.isclose(later["demand"], 1.2 * math.exp(-1) + 1.0)
    # A late event is decayed by its age and does not move t_ref.
    late = feedback(api, "e4", "o", "accepted", at=T0)
    assert math.isclose(late["demand"], later["demand"] + math.exp(-1))
    assert 50 <= late["pulse"] < 100  # of the demand now: days after these events, about 50
    stored = api.get("/opportunities/o").json()
    assert math.isclose(stored["demand"], late["demand"]) and stored["demand_at"].startswith(
        "2026-11-23T22:00:00"
    )


def test_feedback_validation(api: Api) -> None:
    opportunity(api, "o")
    register(api, "p")
    base = {"event_id": "e", "participant_id": "p", "opportunity_id": "o", "action": "accepted", "at": T0}
    naive = api.post("/feedback", json={**base, "at": "2026-11-23T10:00:00"})
    assert naive.status_code == 422 and naive.json()["field"] == "at"
    assert api.post("/feedback", json={**base, "action": "liked"}).json()["field"] == "action"
    missing = api.post("/feedback", json={**base, "opportunity_id": "nope"})
    assert missing.status_code == 404 and missing.json()["field"] == "opportunity_id"
    stranger = api.post("/feedback", json={**base, "participant_id": "stranger"})
    assert stranger.status_code == 404 and stranger.json()["field"] == "participant_id"
    assert "stranger" in stranger.json()["message"]
    assert api.get("/metrics").json()["feedback_events"] == 0


def test_feedback_batch_is_all_or_nothing(api: Api) -> None:
    opportunity(api, "o", 1)
    register(api, "p")

    def event(eid: str, **extra: str) -> dict[str, str]:
        return {
            "event_id": eid,
            "participant_id": "p",
            "opportunity_id": "o",
            "action": "accepted",
            "at": T0,
            **extra,
        }

    good = api.post(
        "/feedback/batch", json={"events": [event("b1"), event("b2", action="clicked"), event("b1")]}
    )
    assert good.status_code == 200, good.text
    results = good.json()["results"]
    assert [r["duplicate"] for r in results] == [False, False, True]
    assert math.isclose(results[0]["demand"], 1.0) and math.isclose(results[1]["demand"], 1.2)
    assert math.isclose(results[2]["demand"], 1.2)  # a repeat reports the demand after the batch
    # One unknown participant in the middle: nothing of the batch is stored.
    bad = api.post(
        "/feedback/batch", json={"events": [event("b3"), event("b4", participant_id="x"), event("b5")]}
    )
    assert bad.status_code == 404 and bad.json()["row"] == 2 and bad.json()["field"] == "participant_id"
    assert "event 2" in bad.json()["message"]
    assert math.isclose(api.get("/opportunities/o").json()["demand"], 1.2)
    assert api.get("/metrics").json()["feedback_events"] == 2
    assert feedback(api, "b3", "o", who="p")["duplicate"] is False  # b3 was rolled back, not kept
    too_many = api.post("/feedback/batch", json={"events": [event(f"m{i}") for i in range(1001)]})
    assert too_many.status_code == 422 and too_many.json()["field"] == "events"
    assert api.post("/feedback/batch", json={"events": []}).status_code == 422
    naive = api.post("/feedback/batch", json={"events": [event("n1"), event("n2", at="2026-11-23T10:00:00")]})
    assert naive.status_code == 422 and naive.json()["field"] == "events.1.at"


def test_rsvp_and_cancel(api: Api) -> None:
    opportunity(api, "o", 1)
    register(api, "a")
    register(api, "b")
    stranger = api.post("/opportunities/o/rsvp", json={"participant_id": "stranger"})
    assert stranger.status_code == 404 and stranger.json()["field"] == "participant_id"
    first = api.post("/opportunities/o/rsvp", json={"participant_id": "a"})
    assert first.status_code == 201 and first.json()["seats_left"] == 0
    assert api.post("/opportunities/o/rsvp", json={"participant_id": "a"}).status_code == 200
    full = api.post("/opportunities/o/rsvp", json={"participant_id": "b"})
    assert full.status_code == 409 and full.json()["code"] == "FULL"
    assert api.patch("/opportunities/o", json={"capacity": 0}).status_code == 409
    assert api.delete("/opportunities/o/rsvp", params={"participant_id": "a"}).json()["seats_left"] == 1
    assert api.delete("/opportunities/o/rsvp", params={"participant_id": "a"}).status_code == 404
    assert api.post("/opportunities/o/rsvp", json={"participant_id": "b"}).status_code == 201


def test_feed_trending_metrics_and_rebalance(api: Api) -> None:
    where = {"lat": 52.52, "lon": 13.40}
    opportunity(
        api,
        "chess",
        2,
        tags=["chess", "games"],
        start="2030-01-01T18:00:00Z",
        end="2030-01-01T20:00:00Z",
        **where,
    )
    opportunity(
        api, "choir", 2, tags=["music"], start="2030-01-02T18:00:00Z", end="2030-01-02T20:00:00Z", **where
    )
    opportunity(api, "far", 2, tags=["chess"], lat=48.1, lon=11.6)
    person = {
        "participant_id": "ana",
        "interests": ["chess"],
        "lat": 52.52,
        "lon": 13.41,
        "availability": [{"start": "2030-01-01T00:00:00Z", "end": "2030-01-03T00:00:00Z"}],
    }
    assert api.post("/participants", json=person).status_code == 201
    assert api.post("/participants", json=person).status_code == 409
    moved = api.patch(
        "/participants/ana", json={"availability": [["2030-01-01T00:00:00Z", "2030-01-03T00:00:00Z"]]}
    )
    assert moved.status_code == 200 and moved.json()["interests"] == ["chess"]
    assert (
        api.post("/participants", json={**person, "participant_id": "bo", "interests": ["music"]}).status_code
        == 201
    )
    now = datetime.now(UTC).isoformat()  # events may not be stamped in the future
    for i in range(30):
        feedback(api, f"c{i}", "choir", at=now, who="bo")
    feed = api.get("/participants/ana/feed").json()
    ids = [i["opportunity_id"] for i in feed["items"]]
    assert ids[0] == "chess" and feed["items"][0]["eligible"]
    far = next(i for i in feed["items"] if i["opportunity_id"] == "far")
    assert not far["eligible"] and "TOO_FAR" in far["codes"]
    assert api.get("/participants/nobody/feed").status_code == 404
    hot = api.get("/trending", params={"limit": 1}).json()
    assert [h["opportunity_id"] for h in hot] == ["choir"] and "High demand" in hot[0]["labels"]
    run_id = api.post("/rebalance", json={"top_k": 5}).json()["run_id"]
    run = api.wait_run(run_id)
    assert run["status"] == "done", run
    assert run["report"]["recommended"] == 2 and "choir" in run["report"]["pulses"]
    assert api.get("/participants/ana/feed").json()["suggestion"] == "chess"
    metrics = api.get("/metrics").json()
    assert (
        metrics["opportunities"] == 3 and metrics["feedback_events"] == 30 and metrics["runs"] == {"done": 1}
    )


def test_organizations_are_isolated(api: Api) -> None:
    opportunity(api, "mine", 1)
    api.post("/participants", json={"participant_id": "me"})
    cid = api.post("/campaigns", json={"name": "c"}).json()["id"]
    other = api.other_org()
    assert other.get("/opportunities/mine").status_code == 404
    assert other.get("/opportunities").json() == []
    assert other.get("/participants/me").status_code == 404
    assert other.get(f"/campaigns/{cid}").status_code == 404
    assert other.post(f"/campaigns/{cid}/close").status_code == 404
    assert other.post("/opportunities/mine/rsvp", json={"participant_id": "x"}).status_code == 404
    assert other.post("/opportunities", json={"opportunity_id": "mine", "capacity": 1}).status_code == 201
