"""The after-the-allocation use cases at the application layer, on SQLite and PostgreSQL: the
``seats_freed`` hook fires exactly when seats may have freed, inside the transaction that freed
them; a re-solve is refused while another run of the campaign is active; a draft stays invisible."""

from __future__ import annotations

from typing import Any

import pytest

from flok.app import campaigns, changes
from flok.app.state import State
from flok.app.worker.execute import execute_run
from flok.errors import ConflictError
from flok.table import table_from_records
from tests.app.test_use_cases import org, state  # noqa: F401  (fixtures and helpers)
from tests.service.conftest import pg_url  # noqa: F401  (fixture)

MP = pytest.MonkeyPatch
OPPS = [{"opportunity_id": "A", "capacity": 2}, {"opportunity_id": "B", "capacity": 1}]
PREFS = [
    {"participant_id": "p", "opportunity_id": "A", "rank": 1},
    {"participant_id": "q", "opportunity_id": "A", "rank": 1},
    {"participant_id": "r", "opportunity_id": "B", "rank": 1},
    {"participant_id": "r", "opportunity_id": "A", "rank": 2},
]


def allocated(state: State, owner: int) -> int:  # noqa: F811
    cid = campaigns.create_campaign(state, owner, "c", "rank", {"strategy": "auto"}).campaign.id
    campaigns.upload_table(state, owner, cid, "opportunities", table_from_records(OPPS, "opportunities"))
    campaigns.upload_table(state, owner, cid, "preferences", table_from_records(PREFS, "preferences"))
    run_id = campaigns.run_now(state, owner, cid)
    assert execute_run(state.db, run_id, worker="test") == "done"
    return cid


def seats(state: State, owner: int, cid: int) -> dict[str, str | None]:  # noqa: F811
    return {s.participant_id: s.opportunity_id for s in campaigns.get_allocation(state, owner, cid).seats}


def test_seats_freed_is_called_when_seats_free_up(state: State, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    owner = org(state)
    cid = allocated(state, owner)
    calls: list[tuple[int, Any]] = []
    monkeypatch.setattr(changes, "seats_freed", lambda conn, campaign_id: calls.append((campaign_id, conn)))
    changes.set_capacity(state, owner, cid, "A", 1, actor="t")  # lower: nobody's seat is free
    assert calls == []
    changes.set_capacity(state, owner, cid, "A", 3, actor="t")  # higher: seats free up
    assert [c for c, _ in calls] == [cid]
    changes.withdraw(state, owner, cid, ["p"], actor="t")
    assert [c for c, _ in calls] == [cid, cid] and calls[1][1] is not None
    late = table_from_records([{"participant_id": "z", "opportunity_id": "B", "rank": 1}], "preferences")
    changes.add_late(state, owner, cid, late, actor="t")
    assert len(calls) == 2  # a late participant frees nothing


def test_the_hook_runs_in_the_freeing_transaction(state: State, monkeypatch: MP) -> None:  # noqa: F811
    """A failing hook rolls the withdrawal back: a seat is never freed without the hook's work."""
    owner = org(state)
    cid = allocated(state, owner)
    before = seats(state, owner, cid)

    def broken(conn: Any, campaign_id: int) -> None:
        raise ConflictError("the waitlist refused", code="WAITLIST")

    monkeypatch.setattr(changes, "seats_freed", broken)
    with pytest.raises(ConflictError):
        changes.withdraw(state, owner, cid, ["p"], actor="t")
    assert seats(state, owner, cid) == before
    assert changes.list_changes(state, owner, cid) == []


def test_resolve_refused_while_a_run_is_active_and_drafts_stay_invisible(state: State) -> None:  # noqa: F811
    owner = org(state)
    cid = allocated(state, owner)
    before = seats(state, owner, cid)
    first = changes.start_resolve(state, owner, cid, actor="t")  # held by the test queue: active
    with pytest.raises(ConflictError) as refused:
        changes.start_resolve(state, owner, cid, actor="t")
    assert refused.value.code == "RUN_ACTIVE"
    with pytest.raises(ConflictError) as refused:
        changes.set_capacity(state, owner, cid, "A", 0, actor="t")
    assert refused.value.code == "RUN_ACTIVE"
    assert execute_run(state.db, first, worker="test") == "done"
    assert seats(state, owner, cid) == before  # the draft is not the allocation
    assert [d.run_id for d in changes.list_drafts(state, owner, cid)] == [first]
    changes.commit(state, owner, cid, first, actor="t")
    assert seats(state, owner, cid) == before  # nothing had changed: strict keeps everyone
    assert [v.number for v in changes.list_versions(state, owner, cid)] == [2, 1]
