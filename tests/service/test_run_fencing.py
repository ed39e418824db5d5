"""A run stores its result only while it owns the run and only if the registrations it solved
are still the campaign's: paused workers, withdrawals and manual moves during a run, on SQLite
and PostgreSQL.

The "paused worker" is simulated deterministically: the allocation handler is wrapped so that,
between computing its result and storing it, the test does what the world did meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from flok.app.worker import execute
from flok.app.worker.allocate import run_allocation
from flok.app.worker.jobs import ProgressFn
from flok.app.worker.pg_queue import sweep_stale_runs
from flok.store import runs
from flok.store.db import Database
from flok.store.rows import RunRow
from tests.service.conftest import Api, in_process
from tests.service.helpers import OPPS, REGS, campaign, seats


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    with in_process(db_url) as a:
        yield a


def org_of(api: Api) -> int:
    org = api.client.app.state.flok.org_for_key(api.key)
    assert org is not None
    return int(org)


def new_run(api: Api, cid: int) -> int:
    """An allocation run queued in the database but not handed to any queue (the test runs it)."""
    with api.db.write() as conn:
        return runs.create(conn, org_of(api), "allocate", {}, cid)


def pause_before_storing(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]) -> None:
    """The allocation computes its result, then ``meanwhile`` happens, then it tries to store."""

    def paused(db: Database, run: RunRow, progress: ProgressFn) -> None:
        def hook(fraction: float | None, message: str) -> None:
            if message == "storing the allocation":
                meanwhile()
            progress(fraction, message)

        run_allocation(db, run, hook)

    monkeypatch.setitem(execute.HANDLERS, "allocate", paused)


def test_paused_worker_cannot_overwrite_a_newer_allocation(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cid = campaign(api, OPPS, REGS)
    paused_run, newer_run = new_run(api, cid), []

    def meanwhile() -> None:
        # The worker is "paused": the sweep fails its run, another worker allocates (and is done).
        assert paused_run in sweep_stale_runs(api.db, stale_after=0.0)
        monkeypatch.setitem(execute.HANDLERS, "allocate", run_allocation)
        newer_run.append(new_run(api, cid))
        assert execute.execute_run(api.db, newer_run[0], worker="w3") == "done"

    pause_before_storing(monkeypatch, meanwhile)
    with caplog.at_level(logging.WARNING, logger="flok.runs"):
        outcome = execute.execute_run(api.db, paused_run, worker="w2")

    body = api.get(f"/campaigns/{cid}").json()
    assert body["allocation_run_id"] == newer_run[0] and body["status"] == "allocated"
    assert api.get(f"/runs/{paused_run}").json()["status"] == "failed"  # as the sweep left it
    assert api.get(f"/runs/{newer_run[0]}").json()["status"] == "done"
    assert outcome == "discarded"
    assert any("result discarded" in r.getMessage() for r in caplog.records)


def test_withdrawals_during_a_run_are_never_seated(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = campaign(api, OPPS, REGS)
    run_id = new_run(api, cid)

    def meanwhile() -> None:  # reopen, withdraw x, close: while the run has already solved
        assert api.post(f"/campaigns/{cid}/open").status_code == 200
        assert api.delete(f"/campaigns/{cid}/preferences/x").status_code == 204
        assert api.post(f"/campaigns/{cid}/close").status_code == 200

    pause_before_storing(monkeypatch, meanwhile)
    assert execute.execute_run(api.db, run_id, worker="w") == "failed"
    run = api.get(f"/runs/{run_id}").json()
    assert run["error"]["code"] == "CAMPAIGN_CHANGED", run
    body = api.get(f"/campaigns/{cid}").json()
    assert body["status"] == "closed" and body["assigned"] == 0  # nothing stored, x seated nowhere

    monkeypatch.setitem(execute.HANDLERS, "allocate", run_allocation)
    again = new_run(api, cid)
    assert execute.execute_run(api.db, again, worker="w") == "done"  # the next run sees the change
    assert "x" not in seats(api, cid)


def test_manual_move_is_refused_while_a_run_is_active(api: Api) -> None:
    cid = campaign(api, OPPS, REGS)
    assert execute.execute_run(api.db, new_run(api, cid), worker="w") == "done"
    before = seats(api, cid)
    run_id = new_run(api, cid)  # queued: the next allocation would replace every seat
    r = api.post(f"/campaigns/{cid}/allocation/moves", json={"participant_id": "z", "opportunity_id": None})
    assert r.status_code == 409 and r.json()["code"] == "RUN_ACTIVE", r.text
    assert seats(api, cid) == before
    assert api.post(f"/runs/{run_id}/cancel").status_code == 200
    r = api.post(f"/campaigns/{cid}/allocation/moves", json={"participant_id": "z", "opportunity_id": None})
    assert r.status_code == 200, r.text
