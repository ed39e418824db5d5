"""The campaign flow: uploads, lifecycle rules, background allocation, moves and finalize."""

from __future__ import annotations

import csv
import io

from tests.service.conftest import Api, in_process
from tests.service.helpers import CSV, OPPS, REGS, allocate, campaign, seats, wait_for


def test_allocation_run_stores_optimal_seats_with_report(api: Api) -> None:
    cid = campaign(api, OPPS, REGS)
    run = allocate(api, cid)
    assert run["status"] == "done", run
    assert run["progress"] == 1.0
    assert run["report"]["assigned"] == 3 and run["report"]["objective"] == 4
    assert seats(api, cid) == {"x": "A", "y": "C", "z": "B"}
    body = api.get(f"/campaigns/{cid}").json()
    assert body["status"] == "allocated" and body["allocation_run_id"] == run["id"] and body["assigned"] == 3


def test_lifecycle_rules_are_enforced(api: Api) -> None:
    cid = campaign(api, OPPS, REGS)
    late = api.post(
        f"/campaigns/{cid}/registrations", json=[{"participant_id": "w", "opportunity_id": "A", "rank": 1}]
    )
    assert late.status_code == 409 and late.json()["code"] == "WRONG_STATUS"
    assert api.delete(f"/campaigns/{cid}/registrations/x").status_code == 409
    assert api.post(f"/campaigns/{cid}/finalize").json()["code"] == "WRONG_STATUS"
    assert allocate(api, cid)["status"] == "done"
    again = allocate(api, cid)  # re-allocation is allowed until finalized
    assert again["status"] == "done"
    assert api.get(f"/campaigns/{cid}").json()["allocation_run_id"] == again["id"]
    listed = api.get("/runs", params={"campaign_id": cid}).json()
    assert [r["id"] for r in listed] == [again["id"], again["id"] - 1]
    assert api.post(f"/campaigns/{cid}/open").status_code == 409  # an allocated campaign cannot reopen
    first = api.post(f"/campaigns/{cid}/finalize")
    assert first.status_code == 200 and first.json()["status"] == "finalized"
    regs = {
        (r["participant_id"], r["opportunity_id"]): r["status"]
        for r in api.get(f"/campaigns/{cid}/registrations").json()
    }
    assert regs == {
        ("x", "A"): "confirmed",
        ("x", "B"): "rejected",
        ("y", "A"): "rejected",
        ("y", "C"): "confirmed",
        ("z", "B"): "confirmed",
        ("z", "A"): "rejected",
    }
    assert api.post(f"/campaigns/{cid}/finalize").json() == first.json()  # idempotent
    refused = api.post(f"/campaigns/{cid}/allocate")
    assert refused.status_code == 409 and refused.json()["field"] == "status"


def test_failed_run_keeps_previous_allocation(api: Api) -> None:
    cid = campaign(
        api, "opportunity_id,capacity\nA,1\n", "participant_id,opportunity_id,rank\nx,A,1\ny,A,1\n"
    )
    assert allocate(api, cid)["status"] == "done"
    before = seats(api, cid)
    assert sorted(before.values(), key=str) == ["A", None]
    # Options are passed through to the engine: now nobody may stay unassigned, which is infeasible.
    assert (
        api.put(f"/campaigns/{cid}/options", json={"options": {"allow_unassigned": False}}).status_code == 200
    )
    run = allocate(api, cid)
    assert run["status"] == "failed" and run["error"]["code"] == "INFEASIBLE", run
    assert seats(api, cid) == before
    body = api.get(f"/campaigns/{cid}").json()
    assert body["status"] == "allocated" and body["allocation_run_id"] != run["id"]


def test_unknown_strategy_is_rejected_when_stored(api: Api) -> None:
    r = api.post("/campaigns", json={"name": "c", "options": {"strategy": "magic"}})
    assert r.status_code == 422 and r.json()["field"] == "strategy"
    r = api.post("/campaigns", json={"name": "c", "options": {"colour": "red"}})
    assert r.status_code == 422 and r.json()["field"] == "colour"


def test_manual_moves_respect_capacity(api: Api) -> None:
    cid = campaign(api, OPPS, REGS)
    allocate(api, cid)
    full = api.post(f"/campaigns/{cid}/allocation/moves", json={"participant_id": "y", "opportunity_id": "A"})
    assert full.status_code == 409 and full.json()["code"] == "FULL"
    ok = api.post(f"/campaigns/{cid}/allocation/moves", json={"participant_id": "x", "opportunity_id": "C"})
    assert ok.status_code == 200
    assert seats(api, cid) == {"x": "C", "y": "C", "z": "B"}
    third = api.post(
        f"/campaigns/{cid}/allocation/moves", json={"participant_id": "z", "opportunity_id": "C"}
    )
    assert third.status_code == 409
    unknown = api.post(
        f"/campaigns/{cid}/allocation/moves", json={"participant_id": "nobody", "opportunity_id": "C"}
    )
    assert unknown.status_code == 404 and unknown.json()["field"] == "participant_id"
    rows = api.get(f"/campaigns/{cid}/allocation").json()["assignments"]
    assert any(r["manual"] for r in rows)


def test_csv_export_is_safe_from_formula_injection(api: Api) -> None:
    cid = campaign(
        api,
        "opportunity_id,capacity\n=HYPERLINK(1),1\n+B,1\n",
        "participant_id,opportunity_id,rank\n@evil,=HYPERLINK(1),1\n-neg,+B,1\n",
    )
    allocate(api, cid)
    r = api.get(f"/campaigns/{cid}/allocation", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    cells = [v for row in rows for v in (row["participant_id"], row["opportunity_id"])]
    assert all(not c or c[0] not in "=+-@" for c in cells), cells
    assert {"'@evil", "'=HYPERLINK(1)"} <= set(cells)
    by_accept = api.get(f"/campaigns/{cid}/allocation", headers={"accept": "text/csv"})
    assert by_accept.text == r.text


def test_upload_errors_name_row_and_field_and_write_nothing(api: Api) -> None:
    cid = api.post("/campaigns", json={"name": "c"}).json()["id"]
    bad = api.post(
        f"/campaigns/{cid}/opportunities", content=b"opportunity_id,capacity\nA,2\nB,-1\n", headers=CSV
    )
    assert bad.status_code == 422
    assert bad.json()["row"] == 3 and bad.json()["field"] == "capacity"
    assert api.get(f"/campaigns/{cid}").json()["opportunities"] == 0
    assert api.post(f"/campaigns/{cid}/opportunities", content=OPPS.encode(), headers=CSV).status_code == 201
    dup = api.post(
        f"/campaigns/{cid}/registrations",
        content=b"participant_id,opportunity_id,rank\np,A,1\np,B,2\np,A,3\n",
        headers=CSV,
    )
    assert dup.status_code == 422 and dup.json()["row"] == 4 and "twice" in dup.json()["message"]
    assert (
        api.post(
            f"/campaigns/{cid}/registrations",
            content=b"participant_id,opportunity_id,rank\np,A,1\n",
            headers=CSV,
        ).status_code
        == 201
    )
    again = api.post(
        f"/campaigns/{cid}/registrations", json=[{"participant_id": "p", "opportunity_id": "A", "rank": 2}]
    )
    assert (
        again.status_code == 422
        and again.json()["row"] == 1
        and "already registered" in again.json()["message"]
    )
    clash = api.post(
        f"/campaigns/{cid}/registrations", json=[{"participant_id": "p", "opportunity_id": "B", "rank": 1}]
    )
    assert clash.status_code == 422 and clash.json()["field"] == "rank"
    unknown = api.post(
        f"/campaigns/{cid}/registrations", json=[{"participant_id": "q", "opportunity_id": "Z", "rank": 1}]
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "opportunity_id"
    malformed = api.post(
        f"/campaigns/{cid}/registrations",
        content=b"participant_id,opportunity_id,rank\nq,A,1,9\n",
        headers=CSV,
    )
    assert malformed.status_code == 422 and malformed.json()["row"] == 2
    scored = api.post(
        f"/campaigns/{cid}/registrations",
        content=b"participant_id,opportunity_id,score\nq,A,1.5\n",
        headers=CSV,
    )
    assert scored.status_code == 422 and scored.json()["field"] == "rank"
    assert api.get(f"/campaigns/{cid}").json()["registrations"] == 1


def test_withdraw_and_multipart_upload(api: Api) -> None:
    cid = api.post("/campaigns", json={"name": "c"}).json()["id"]
    files = {"file": ("opps.csv", OPPS.encode(), "text/csv")}
    assert api.post(f"/campaigns/{cid}/opportunities", files=files).status_code == 201
    api.post(f"/campaigns/{cid}/registrations", content=REGS.encode(), headers=CSV)
    assert api.delete(f"/campaigns/{cid}/registrations/x").status_code == 204
    assert api.delete(f"/campaigns/{cid}/registrations/x").status_code == 404
    assert api.get(f"/campaigns/{cid}").json()["participants"] == 2


def test_cancel_queued_and_running_runs(sqlite_url: str) -> None:
    # The delay holds the run until it is cancelled (checked every 0.05 s), however busy the machine.
    with in_process(sqlite_url, run_delay_seconds=600.0) as api:
        cid = campaign(api, OPPS, REGS)
        run_id = api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
        wait_for(lambda: api.get(f"/runs/{run_id}").json()["status"] == "running", "the run to start")
        assert api.post(f"/runs/{run_id}/cancel").json()["cancel_requested"] is True
        run = api.wait_run(run_id)
        assert run["status"] == "cancelled"
        assert api.get(f"/campaigns/{cid}").json()["status"] == "closed"


def test_side_constraints_use_uploaded_attributes(api: Api) -> None:
    """Options pass through to the engine; participant and opportunity columns reach it too."""
    cid = api.post("/campaigns", json={"name": "c"}).json()["id"]
    opps = b"opportunity_id,capacity,category\nA,2,lab\nB,2,lab\n"
    assert api.post(f"/campaigns/{cid}/opportunities", content=opps, headers=CSV).status_code == 201
    people = b"participant_id,cohort\nx,first\ny,first\nz,second\n"
    assert api.post(f"/campaigns/{cid}/participants", content=people, headers=CSV).status_code == 201
    bad = api.post(
        f"/campaigns/{cid}/participants", content=b"participant_id,cohort\nx,a\nx,b\n", headers=CSV
    )
    assert bad.status_code == 422 and bad.json()["row"] == 3
    regs = b"participant_id,opportunity_id,rank\nx,A,1\nx,B,2\ny,A,1\ny,B,2\nz,A,1\nz,B,2\n"
    assert api.post(f"/campaigns/{cid}/registrations", content=regs, headers=CSV).status_code == 201
    quota = [{"attribute": "cohort", "value": "first", "opportunity": "A", "max": 1}]
    assert api.put(f"/campaigns/{cid}/options", json={"options": {"quotas": quota}}).status_code == 200
    api.post(f"/campaigns/{cid}/open")
    api.post(f"/campaigns/{cid}/close")
    run = allocate(api, cid)
    assert run["status"] == "done", run
    got = seats(api, cid)
    assert sum(1 for p in ("x", "y") if got[p] == "A") == 1 and got["z"] == "A"


def test_finalize_confirms_a_seat_moved_to_an_unlisted_opportunity(api: Api) -> None:
    cid = campaign(api, OPPS, REGS)
    allocate(api, cid)
    moved = api.post(
        f"/campaigns/{cid}/allocation/moves", json={"participant_id": "x", "opportunity_id": "C"}
    )
    assert moved.status_code == 200  # x ranked A and B only
    assert api.post(f"/campaigns/{cid}/finalize").status_code == 200
    regs = api.get(f"/campaigns/{cid}/registrations", params={"participant_id": "x"}).json()
    status = {r["opportunity_id"]: (r["status"], r["rank"]) for r in regs}
    assert status == {"A": ("rejected", 1), "B": ("rejected", 2), "C": ("confirmed", None)}
    assert api.post(f"/campaigns/{cid}/finalize").status_code == 200  # idempotent
    again = api.get(f"/campaigns/{cid}/registrations", params={"participant_id": "x"}).json()
    assert len(again) == 3


def test_delete_campaign_removes_everything_and_waits_for_runs(db_url: str) -> None:
    from sqlalchemy import func, select

    from flok.store.tables import assignments, campaign_opportunities, preferences, runs

    # The run is held up (SQLite: a long delay in-process; PostgreSQL: no worker takes it) and
    # then cancelled, so the test never waits on other tests' queued runs in a shared database.
    with in_process(db_url, run_delay_seconds=600.0) as api:
        keep, gone = campaign(api, OPPS, REGS), campaign(api, OPPS, REGS)
        run_id = api.post(f"/campaigns/{gone}/allocate").json()["run_id"]
        busy = api.delete(f"/campaigns/{gone}")
        assert busy.status_code == 409 and busy.json()["code"] == "RUN_ACTIVE"
        assert api.post(f"/runs/{run_id}/cancel").status_code == 200
        assert api.wait_run(run_id)["status"] == "cancelled"
        assert api.other_org().delete(f"/campaigns/{gone}").status_code == 404  # scoped to its org
        assert api.delete(f"/campaigns/{gone}").status_code == 204
        assert api.get(f"/campaigns/{gone}").status_code == 404
        assert api.delete(f"/campaigns/{gone}").status_code == 404
        assert [c["id"] for c in api.get("/campaigns").json()] == [keep]
        with api.db.read() as conn:
            for table in (campaign_opportunities, preferences, assignments, runs):
                left = conn.execute(select(func.count()).where(table.c.campaign_id == gone)).scalar()
                assert left == 0, table.name
            assert conn.execute(select(func.count()).where(preferences.c.campaign_id == keep)).scalar() == 6


def test_preferences_paths_and_their_deprecated_registrations_aliases_agree(api: Api) -> None:
    """The vocabulary's name (/preferences) is the API's; the first API's /registrations still works."""
    r = api.post("/campaigns", json={"name": "words"})
    cid = int(r.json()["id"])
    assert api.post(f"/campaigns/{cid}/opportunities", content=OPPS.encode(), headers=CSV).status_code == 201
    half = REGS.split("\n")
    first, second = "\n".join(half[:4]) + "\n", "\n".join([half[0], *half[4:]])
    assert api.post(f"/campaigns/{cid}/preferences", content=first.encode(), headers=CSV).status_code == 201
    assert (
        api.post(f"/campaigns/{cid}/registrations", content=second.encode(), headers=CSV).status_code == 201
    )
    new = api.get(f"/campaigns/{cid}/preferences").json()
    old = api.get(f"/campaigns/{cid}/registrations").json()
    assert new == old and len(new) == 6
    body = api.get(f"/campaigns/{cid}").json()
    assert body["preferences"] == body["registrations"] == 6
    assert api.delete(f"/campaigns/{cid}/preferences/x").status_code == 204
    assert api.delete(f"/campaigns/{cid}/registrations/y").status_code == 204
    assert {p["participant_id"] for p in api.get(f"/campaigns/{cid}/preferences").json()} == {"z"}
    spec = api.client.get("/openapi.json").json()["paths"]
    assert spec["/campaigns/{campaign_id}/registrations"]["post"]["deprecated"] is True
    assert "deprecated" not in spec["/campaigns/{campaign_id}/preferences"]["post"]


def test_lists_of_campaigns_and_allocations_come_in_pages_with_totals(db_url: str) -> None:
    """Without ``limit`` every item comes back, as before; with it, a page and the total."""
    with in_process(db_url, queue="thread") as api:
        cid = campaign(api, OPPS, REGS)
        for name in ("second", "third"):
            assert api.post("/campaigns", json={"name": name}).status_code == 201
        everything = api.get("/campaigns")
        assert len(everything.json()) == 3 and everything.headers["x-total-count"] == "3"
        first = api.get("/campaigns", params={"limit": 1})
        assert [c["id"] for c in first.json()] == [cid] and first.headers["x-total-count"] == "3"
        rest = api.get("/campaigns", params={"limit": 5, "offset": 1})
        assert [c["name"] for c in rest.json()] == ["second", "third"]
        assert api.get("/campaigns", params={"limit": 0}).status_code == 422

        assert allocate(api, cid)["status"] == "done"
        whole = api.get(f"/campaigns/{cid}/allocation").json()
        assert whole["total"] == 3 and len(whole["assignments"]) == 3 and whole["limit"] is None
        page = api.get(f"/campaigns/{cid}/allocation", params={"limit": 2, "offset": 1})
        assert page.json()["total"] == 3 and page.headers["x-total-count"] == "3"
        assert page.json()["assignments"] == whole["assignments"][1:3]
        assert (page.json()["offset"], page.json()["limit"]) == (1, 2)
        rows = api.get(f"/campaigns/{cid}/allocation", params={"format": "csv", "limit": 1, "offset": 2}).text
        assert rows.splitlines()[1:] == [
            f"{whole['assignments'][2]['participant_id']},"
            f"{whole['assignments'][2]['opportunity_id']},"
            f"{whole['assignments'][2]['rank']}"
        ]
