"""After the allocation, through the API on SQLite and PostgreSQL: changes recorded with who and
why, re-solve drafts invisible until committed, stale drafts refused, versions restored exactly,
honest labels, finalize undone until the documented point, and every endpoint scoped to its org."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.service.conftest import Api, in_process
from tests.service.helpers import CSV, allocate, campaign, seats

# A tutor (T3) with 2 seats; six students; everyone fits at first.
OPPS = "opportunity_id,capacity\nT1,2\nT2,2\nT3,2\n"
REGS = (
    "participant_id,opportunity_id,rank\n"
    "s1,T1,1\ns1,T2,2\ns2,T1,1\ns2,T3,2\ns3,T2,1\ns3,T1,2\n"
    "s4,T2,1\ns4,T3,2\ns5,T3,1\ns5,T1,2\ns6,T3,1\ns6,T2,2\n"
)


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    with in_process(db_url, queue="thread") as a:  # runs in this process on both databases
        yield a


def allocated(api: Api) -> int:
    cid = campaign(api, OPPS, REGS)
    assert allocate(api, cid)["status"] == "done"
    return cid


def capacities(api: Api, cid: int) -> dict[str, int]:
    return {o["opportunity_id"]: o["capacity"] for o in api.get(f"/campaigns/{cid}/opportunities").json()}


def change(api: Api, cid: int, body: dict[str, Any]) -> dict[str, Any]:
    r = api.post(f"/campaigns/{cid}/changes", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def resolved(api: Api, cid: int, **body: Any) -> int:
    r = api.post(f"/campaigns/{cid}/resolve", json=body)
    assert r.status_code == 202, r.text
    run = api.wait_run(r.json()["run_id"])
    assert run["status"] == "done", run
    return int(run["id"])


def test_tutor_falls_ill_resolve_is_a_draft_until_committed(api: Api) -> None:
    cid = allocated(api)
    first = seats(api, cid)
    assert sorted(v for v in first.values() if v) == ["T1", "T1", "T2", "T2", "T3", "T3"]
    label = api.get(f"/campaigns/{cid}/label").json()
    assert label["text"].startswith("optimal") and label["optimal"] and label["version"] == 1
    # The tutor of T3 falls ill; one late student; s2 withdraws (frees a T1 seat).
    ill = change(api, cid, {"kind": "cancel", "opportunity_id": "T3", "reason": "tutor ill"})
    assert ill["detail"]["before"] == 2 and ill["detail"]["after"] == 0 and ill["detail"]["holders"] == 2
    assert ill["actor"].startswith("key ") and ill["reason"] == "tutor ill" and ill["version"] == 2
    late = [{"participant_id": "late1", "opportunity_id": "T1", "rank": 1}]
    assert change(api, cid, {"kind": "add", "preferences": late})["detail"]["count"] == 1
    gone = change(api, cid, {"kind": "withdraw", "participant_ids": ["s2"]})
    assert gone["detail"]["seats_freed"] == {"s2": first["s2"]}
    after_changes = seats(api, cid)
    assert "s2" not in after_changes and after_changes["late1"] is None
    label = api.get(f"/campaigns/{cid}/label").json()
    assert not label["optimal"] and "3 changes since then, not re-solved yet" in label["text"]

    run_id = resolved(api, cid, stability="strict")
    assert seats(api, cid) == after_changes  # the draft is not the allocation
    draft = api.get(f"/campaigns/{cid}/runs/{run_id}/diff").json()
    assert draft["version"]["state"] == "draft" and not draft["stale"]
    people = {p["participant_id"]: p for p in draft["diff"]["people"]}
    # strict: whoever still holds an acceptable seat keeps it; only T3's holders move or lose it.
    t3 = {p for p, o in first.items() if o == "T3"}
    assert {p for p, d in people.items() if d["change"] in ("moved", "unseated")} <= t3
    assert all("T3" in people[p]["before"] for p in people if people[p]["change"] != "seated")
    assert draft["diff"]["counts"]["seated"] + draft["diff"]["counts"]["moved"] >= 1

    r = api.post(f"/campaigns/{cid}/runs/{run_id}/commit")
    assert r.status_code == 200, r.text
    assert r.json()["number"] == 5 and r.json()["label"].startswith(
        "optimal under stability=strict from version 5"
    )
    now = seats(api, cid)
    assert all(o != "T3" for o in now.values())
    for p, d in people.items():
        assert now[p] == (d["after"][0] if d["after"] else None)
    again = api.post(f"/campaigns/{cid}/runs/{run_id}/commit")
    assert again.status_code == 409 and again.json()["code"] == "DRAFT_CLOSED"
    kinds = [c["kind"] for c in api.get(f"/campaigns/{cid}/changes").json()]
    assert kinds == ["commit", "withdraw", "add", "cancel"]


def test_a_stale_draft_is_refused_and_a_discarded_one_changes_nothing(api: Api) -> None:
    cid = allocated(api)
    change(api, cid, {"kind": "capacity", "opportunity_id": "T1", "capacity": 1})
    run_id = resolved(api, cid, stability="balanced", move_cost=2)
    change(api, cid, {"kind": "capacity", "opportunity_id": "T2", "capacity": 3})  # the allocation moves on
    assert api.get(f"/campaigns/{cid}/runs/{run_id}/diff").json()["stale"] is True
    r = api.post(f"/campaigns/{cid}/runs/{run_id}/commit")
    assert r.status_code == 409 and r.json()["code"] == "STALE_DRAFT" and r.json()["field"] == "run_id"
    before = seats(api, cid)
    other = resolved(api, cid)
    r = api.post(f"/campaigns/{cid}/runs/{other}/discard")
    assert r.status_code == 200 and r.json()["state"] == "discarded"
    assert seats(api, cid) == before
    assert api.post(f"/campaigns/{cid}/runs/{other}/commit").json()["code"] == "DRAFT_CLOSED"


def test_rollback_restores_an_earlier_version_exactly(api: Api) -> None:
    cid = allocated(api)
    v1_seats, v1_caps = seats(api, cid), capacities(api, cid)
    v1_rows = api.get(f"/campaigns/{cid}/allocation").json()["assignments"]  # rank, manual flag and all
    change(api, cid, {"kind": "cancel", "opportunity_id": "T3"})
    change(
        api,
        cid,
        {"kind": "add", "preferences": [{"participant_id": "n1", "opportunity_id": "T2", "rank": 1}]},
    )
    run_id = resolved(api, cid, stability="free")
    assert api.post(f"/campaigns/{cid}/runs/{run_id}/commit").status_code == 200
    moved = api.post(
        f"/campaigns/{cid}/allocation/moves", json={"participant_id": "s1", "opportunity_id": None}
    )
    assert moved.status_code == 200
    assert (
        "edited by hand: 1 move since the last optimal run"
        in api.get(f"/campaigns/{cid}/label").json()["text"]
    )
    assert seats(api, cid) != {**v1_seats, "n1": None}
    versions = api.get(f"/campaigns/{cid}/versions").json()
    assert [v["number"] for v in versions] == [5, 4, 3, 2, 1]
    r = api.post(f"/campaigns/{cid}/rollback", json={"version": 1, "reason": "undo everything"})
    assert r.status_code == 200, r.text
    assert r.json()["number"] == 6 and "rolled back to version 1" in r.json()["label"]
    assert seats(api, cid) == {**v1_seats, "n1": None}  # n1 came later: unseated, as in version 1
    rows = [
        r
        for r in api.get(f"/campaigns/{cid}/allocation").json()["assignments"]
        if r["participant_id"] != "n1"
    ]
    assert rows == v1_rows
    assert capacities(api, cid) == v1_caps
    assert [v["number"] for v in api.get(f"/campaigns/{cid}/versions").json()][:2] == [
        6,
        5,
    ]  # nothing deleted
    d = api.get(f"/campaigns/{cid}/versions/1/diff/6").json()
    assert d["counts"] == {"moved": 0, "seated": 0, "unseated": 0}
    d = api.get(f"/campaigns/{cid}/versions/5/diff/6").json()
    assert d["counts"]["seated"] + d["counts"]["moved"] + d["counts"]["unseated"] == len(d["people"]) > 0
    assert api.post(f"/campaigns/{cid}/rollback", json={"version": 6}).json()["code"] == "CURRENT_VERSION"


def test_manual_move_draft_and_the_old_refusals(api: Api) -> None:
    cid = allocated(api)
    r = api.post(f"/campaigns/{cid}/open")
    assert r.status_code == 409 and "/changes" in r.json()["message"]
    r = api.post(
        f"/campaigns/{cid}/allocation/moves", json={"participant_id": "nobody", "opportunity_id": "T1"}
    )
    assert r.status_code == 404 and "late participant" in r.json()["message"]
    # Preferences uploaded after the allocation are late participants (no longer a 409).
    r = api.post(
        f"/campaigns/{cid}/preferences",
        content=b"participant_id,opportunity_id,rank\nlate9,T2,1\n",
        headers=CSV,
    )
    assert r.status_code == 201, r.text
    assert api.get(f"/campaigns/{cid}/changes").json()[0]["kind"] == "add"
    before = seats(api, cid)
    free = next(p for p, o in before.items() if o == "T1")
    r = api.post(
        f"/campaigns/{cid}/moves", json={"participant_id": free, "opportunity_id": None, "reason": "asked"}
    )
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["diff"]["counts"] == {"moved": 0, "seated": 0, "unseated": 1}
    assert draft["diff"]["after"]["seated"] == draft["diff"]["before"]["seated"] - 1
    assert seats(api, cid) == before
    assert api.post(f"/campaigns/{cid}/runs/{draft['run_id']}/commit").status_code == 200
    assert seats(api, cid)[free] is None
    assert "edited by hand: 1 move" in api.get(f"/campaigns/{cid}/label").json()["text"]


def test_finalize_is_undone_until_the_first_change_after_it(api: Api) -> None:
    cid = allocated(api)
    assert api.post(f"/campaigns/{cid}/finalize").status_code == 200
    r = api.post(f"/campaigns/{cid}/unfinalize")
    assert r.status_code == 200 and r.json()["status"] == "allocated"
    assert {p["status"] for p in api.get(f"/campaigns/{cid}/preferences").json()} == {"pending"}
    assert api.post(f"/campaigns/{cid}/finalize").status_code == 200
    change(api, cid, {"kind": "withdraw", "participant_ids": ["s1"]})  # a change in the finalized state
    rows = api.get(f"/campaigns/{cid}/preferences").json()
    assert "s1" not in {p["participant_id"] for p in rows}
    confirmed = {p["participant_id"] for p in rows if p["status"] == "confirmed"}
    assert confirmed == {p for p, o in seats(api, cid).items() if o}  # outcomes follow the seats
    r = api.post(f"/campaigns/{cid}/unfinalize")
    assert r.status_code == 409 and r.json()["code"] == "FINALIZE_FIXED"


def test_bad_input_is_422_naming_field_and_row(api: Api) -> None:
    cid = allocated(api)
    bad = [
        {"participant_id": "n1", "opportunity_id": "T1", "rank": 1},
        {"participant_id": "n2", "opportunity_id": "T1", "rank": "first"},
    ]
    r = api.post(f"/campaigns/{cid}/changes", json={"kind": "add", "preferences": bad})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_INPUT"
    assert r.json()["field"] == "rank" and r.json()["row"] == 2, r.json()
    again = [{"participant_id": "s1", "opportunity_id": "T3", "rank": 3}]
    r = api.post(f"/campaigns/{cid}/changes", json={"kind": "add", "preferences": again})
    assert r.status_code == 422 and r.json()["field"] == "participant_id" and r.json()["row"] == 1
    r = api.post(
        f"/campaigns/{cid}/changes", json={"kind": "capacity", "opportunity_id": "T1", "capacity": -1}
    )
    assert (
        r.status_code == 422 and r.json()["code"] and r.json()["message"] and "capacity" in r.json()["field"]
    )
    r = api.post(
        f"/campaigns/{cid}/changes", json={"kind": "capacity", "opportunity_id": "nope", "capacity": 1}
    )
    assert r.status_code == 404 and r.json()["field"] == "opportunity_id"
    r = api.post(f"/campaigns/{cid}/changes", json={"kind": "withdraw", "participant_ids": ["s1", "ghost"]})
    assert r.status_code == 404 and r.json()["field"] == "participant_ids" and r.json()["row"] == 2
    assert "s1" in seats(api, cid)  # the refused batch wrote nothing
    r = api.post(f"/campaigns/{cid}/resolve", json={"stability": "bogus"})
    assert r.status_code == 422 and "stability" in r.json()["field"]
    r = api.post(f"/campaigns/{cid}/resolve", json={"move_cost": -1})
    assert r.status_code == 422 and "move_cost" in r.json()["field"]
    assert [c["kind"] for c in api.get(f"/campaigns/{cid}/changes").json()] == []


def test_every_new_endpoint_is_scoped_to_its_organization(api: Api) -> None:
    cid = allocated(api)
    run_id = resolved(api, cid)
    other = api.other_org()
    calls = [
        ("post", f"/campaigns/{cid}/changes", {"kind": "cancel", "opportunity_id": "T1"}),
        ("get", f"/campaigns/{cid}/changes", None),
        ("post", f"/campaigns/{cid}/resolve", {}),
        ("post", f"/campaigns/{cid}/moves", {"participant_id": "s1", "opportunity_id": None}),
        ("get", f"/campaigns/{cid}/runs/{run_id}/diff", None),
        ("post", f"/campaigns/{cid}/runs/{run_id}/commit", None),
        ("post", f"/campaigns/{cid}/runs/{run_id}/discard", None),
        ("get", f"/campaigns/{cid}/versions", None),
        ("get", f"/campaigns/{cid}/versions/1/diff/1", None),
        ("post", f"/campaigns/{cid}/rollback", {"version": 1}),
        ("post", f"/campaigns/{cid}/unfinalize", None),
        ("get", f"/campaigns/{cid}/label", None),
    ]
    for method, path, body in calls:
        r = (
            other.request(method.upper(), path, json=body)
            if body is not None
            else other.request(method.upper(), path)
        )
        assert r.status_code == 404, (path, r.text)
        assert r.json()["code"] == "NOT_FOUND"
    assert api.get(f"/campaigns/{cid}/runs/{run_id}/diff").json()["version"]["state"] == "draft"
    assert len(api.get(f"/campaigns/{cid}/versions").json()) == 1


def test_two_commits_at_once_one_wins_the_other_is_stale(db_url: str) -> None:
    """Two drafts from the same version committed concurrently (real server, real threads): one
    becomes the next version, the other is refused as stale; the same draft twice counts once."""
    from tests.service.conftest import served

    with served(db_url, queue="thread") as api:
        cid = allocated(api)
        change(api, cid, {"kind": "cancel", "opportunity_id": "T3"})
        drafts = [resolved(api, cid, stability=s) for s in ("strict", "free")]
        codes = _race(api, cid, drafts)
        assert codes[0] == 200 and codes[1] in ("STALE_DRAFT", "DRAFT_CLOSED"), codes
        again = resolved(api, cid)
        assert _race(api, cid, [again, again]) == [200, "DRAFT_CLOSED"]
        numbers = [v["number"] for v in api.get(f"/campaigns/{cid}/versions").json()]
        assert numbers == [4, 3, 2, 1]  # one version per race


def _race(api: Api, cid: int, run_ids: list[int]) -> list[Any]:
    """Commit the drafts at the same moment from threads; the answers, successes first (200, or
    the refusal's code)."""
    import threading

    answers: list[Any] = []
    go = threading.Barrier(len(run_ids))

    def commit(run_id: int) -> None:
        go.wait()
        r = api.post(f"/campaigns/{cid}/runs/{run_id}/commit")
        answers.append(200 if r.status_code == 200 else r.json()["code"] if r.status_code == 409 else r.text)

    threads = [threading.Thread(target=commit, args=(r,)) for r in run_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return sorted(answers, key=lambda a: a != 200)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_resolve_runs_on_a_real_worker_through_the_postgres_queue(pg_url: str) -> None:
    """The re-solve takes the allocations' path: queued in PostgreSQL, claimed and executed by a
    `flok worker` process, its draft stored only while the worker still owns the run."""
    from flok.service.local import flok_subprocess
    from flok.store.db import Database
    from tests.service.helpers import wait_for, worker_mark, workers_since

    db = Database(pg_url)
    db.migrate()
    mark = worker_mark(db)
    with (
        flok_subprocess("worker", "--name", "w-resolve", env={"FLOK_DATABASE_URL": pg_url}),
        in_process(pg_url) as api,
    ):
        wait_for(lambda: workers_since(db, mark) >= 1, "the worker to start")
        cid = allocated(api)
        before = seats(api, cid)
        change(api, cid, {"kind": "cancel", "opportunity_id": "T3"})
        run_id = resolved(api, cid)
        assert api.get(f"/runs/{run_id}").json()["kind"] == "resolve"
        assert seats(api, cid) == before
        assert api.post(f"/campaigns/{cid}/runs/{run_id}/commit").status_code == 200
        assert all(o != "T3" for o in seats(api, cid).values())
    db.dispose()
