"""The ``resolve`` run: re-solve a campaign from its current allocation with minimal disruption
(``flok.resolve``) and store the result as a draft, never as the allocation (``commit`` does)."""

from __future__ import annotations

from typing import Any

from flok.app.worker.jobs import ProgressFn, store_or_discard, stored_report
from flok.resolve import resolve
from flok.store import campaigns as campaigns_repo
from flok.store import versions as versions_repo
from flok.store.db import Database
from flok.store.rows import RunRow

MAX_WHY = 5000  # explanations kept with a draft (the people who changed first)


def run_resolve(db: Database, run: RunRow, progress: ProgressFn) -> None:
    campaign_id = run.campaign_id
    assert campaign_id is not None  # a re-solve always belongs to a campaign
    strategy, options = campaigns_repo.split_options(run.options["campaign"])
    progress(0.0, "loading the campaign and its allocation")
    with db.read() as conn:
        # Read before the data (as allocations do): a change committed meanwhile makes the draft stale.
        revision = campaigns_repo.inputs_revision(conn, campaign_id)
        number = versions_repo.current_number(conn, campaign_id)
        seats = versions_repo.current_seats(conn, campaign_id)
        capacities = versions_repo.current_capacities(conn, campaign_id)
        problem = campaigns_repo.build_problem(conn, campaign_id, options)
    progress(0.05, f"re-solving with stability={run.options['stability']}")
    result = resolve(
        problem,
        [(p, o) for p, o, _ in seats],
        stability=run.options["stability"],
        move_cost=float(run.options["move_cost"]),
        strategy=strategy,
    )
    progress(0.95, "storing the draft")
    allocation = result.allocation
    report = stored_report(allocation.report())
    report["draft"] = True
    report["resolve"] = {
        "stability": result.stability,
        "counts": result.counts(),
        "summary": result.summary(),
    }
    why = {c.participant_id: c.why for c in result.diff()[:MAX_WHY] if c.why}
    label: dict[str, Any] = {"basis": allocation.status, "stability": result.stability, "why": why}
    if result.stability == "balanced":
        label["move_cost"] = float(run.options["move_cost"])
    with db.write() as conn:
        store_or_discard(conn, run, report, result.summary())
        versions_repo.insert(
            conn,
            campaign_id,
            state="draft",
            kind="resolve",
            seats=sorted((p, o, False) for p, o in allocation.assignments()),
            capacities=capacities,
            label=label,
            actor=str(run.options.get("actor", "")),
            reason=str(run.options.get("reason", "")),
            run_id=run.id,
            base_number=number,
            base_revision=revision,
        )
