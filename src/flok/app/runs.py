"""Run use cases: read a run's progress and report, list runs, cancel one, start a rebalance."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flok.app import reasons
from flok.app.matching import queue_rebalance
from flok.app.progress import live_fraction
from flok.app.state import State
from flok.app.worker.execute import INTERNAL_FAILURE
from flok.store import runs as repo
from flok.store.rows import RunRow


def shown(run: RunRow) -> RunRow:
    """The run as callers see it: an internal failure carries a generic message and its stable
    code, never the exception text (which can hold SQL, parameters or database messages); a
    running allocation's progress counts the time used of its limit too (``flok.app.progress``).
    The unassigned participants' stored reasons are for the pages (``flok.app.results``), so a
    run's report stays small."""
    if run.report and reasons.KEY in run.report:
        run = replace(run, report={k: v for k, v in run.report.items() if k != reasons.KEY})
    if run.status == "running":
        return replace(run, progress=live_fraction(run))
    if not run.error or run.error.get("code") != "INTERNAL":
        return run
    error = {"code": "INTERNAL", "message": INTERNAL_FAILURE, "field": None}
    return replace(run, error=error)


def get_run(state: State, org: int, run_id: int) -> RunRow:
    with state.db.read() as conn:
        return shown(repo.get(conn, org, run_id))


def list_runs(
    state: State, org: int, *, campaign_id: int | None = None, kind: str | None = None, limit: int = 50
) -> list[RunRow]:
    """Newest first; filter by campaign or kind."""
    with state.db.read() as conn:
        return [shown(r) for r in repo.list_for(conn, org, campaign_id=campaign_id, kind=kind, limit=limit)]


def latest_run(
    state: State, org: int, *, campaign_id: int | None = None, kind: str | None = None
) -> RunRow | None:
    """The newest run of a campaign (or of a kind), to show its progress or outcome."""
    with state.db.read() as conn:
        latest = repo.latest(conn, org, campaign_id=campaign_id, kind=kind)
    return None if latest is None else shown(latest)


def cancel_run(state: State, org: int, run_id: int) -> RunRow:
    """A queued run is cancelled at once; a running one stops at its next progress report."""
    with state.db.write() as conn:
        return shown(repo.request_cancel(conn, org, run_id))


def start_rebalance(state: State, org: int, options: dict[str, Any] | None = None) -> int:
    """Queue a rebalance: recompute pulses and recommend seats; the run's id (see ``queue_rebalance``)."""
    with state.db.write() as conn:
        run_id = queue_rebalance(conn, org, options, state.pulse)
    state.queue.submit(run_id)
    return run_id
