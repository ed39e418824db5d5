"""The ``allocate`` run: solve a campaign with its options and store the allocation atomically."""

from __future__ import annotations

from flok.app import reasons, versioning
from flok.app.progress import progress_text, solving_fraction
from flok.app.worker.jobs import ProgressFn, store_or_discard, stored_report
from flok.engine import allocate
from flok.solvers.base import Progress
from flok.store import campaigns as campaigns_repo
from flok.store.db import Database
from flok.store.rows import RunRow


def run_allocation(db: Database, run: RunRow, progress: ProgressFn) -> None:
    campaign_id = run.campaign_id
    assert campaign_id is not None  # an allocation run always belongs to a campaign
    strategy, options = campaigns_repo.split_options(run.options)
    progress(0.0, "loading the campaign")
    with db.read() as conn:
        read_revision = campaigns_repo.inputs_revision(conn, campaign_id)  # before the data: see there
        problem = campaigns_repo.build_problem(conn, campaign_id, options)

    def on_progress(p: Progress) -> None:
        # CP-SAT and MIP report the stage, their best value and bound in the user's units.
        progress(solving_fraction(p.fraction), progress_text(p))

    progress(0.05, "solving")
    result = allocate(problem, strategy, progress=on_progress)
    progress(0.95, "storing the allocation")
    full = result.report()
    report = stored_report(full)
    why = reasons.compact(result, full.get("explanations"))
    if why is not None and reasons.fits(why):
        report[reasons.KEY] = why  # the reasons of the unassigned, for the pages (flok.app.reasons)
    message = f"assigned {result.stats.assigned} of {problem.n_participants}"
    with db.write() as conn:
        # Only while the run is still ours (a cancel or the sweep that landed after the solve
        # wins), and only if the registrations are still the ones solved (else CAMPAIGN_CHANGED).
        store_or_discard(conn, run, report, message)
        campaigns_repo.save_allocation(
            conn, campaign_id, run.id, result.assignments(), read_revision=read_revision
        )
        versioning.record_allocation(conn, campaign_id, run.id, result.status)  # version, honest label
