"""Fair sharing of run slots between organizations (both queues use these rules).

A free slot goes to the organization with the fewest runs ``running`` right now (on every server
and worker sharing the database); ties go to the oldest queued run. An organization never holds
more than its share of slots: ``FLOK_MAX_RUNS_PER_ORG``, by default one slot fewer than there are
(at least one), so one slot is always left for another organization's run that arrives while an
organization's long runs occupy the rest. Without that reserve a tenant's two long CP-SAT runs
kept another tenant's 3-person allocation waiting for as long as they ran.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Literal

from flok.store import runs as runs_repo
from flok.store.db import Database
from flok.store.rows import WaitingRun


def per_org_cap(setting: int | None, slots: int) -> int:
    """How many runs one organization may have running: the setting, or all slots but one."""
    return setting if setting else max(1, slots - 1)


def next_run(waiting: list[WaitingRun], cap: int) -> WaitingRun | None:
    """The run a free slot should take: fewest running of its organization, then oldest."""
    eligible = [w for w in waiting if w.org_running < cap]
    return min(eligible, key=lambda w: (w.org_running, w.created_at, w.id), default=None)


def may_start(run_id: int, waiting: list[WaitingRun], cap: int) -> bool:
    """Whether a free slot that was handed ``run_id`` should take it: its organization is below
    its share and no other organization below its share has fewer runs running, and it is its
    organization's oldest queued run. Among organizations with equally many runs running, the
    queue hands slots out oldest job first already."""
    eligible = [w for w in waiting if w.org_running < cap]
    mine = next((w for w in eligible if w.id == run_id), None)
    if mine is None:
        return False
    fewest = min(w.org_running for w in eligible)
    first_of_org = next(w for w in eligible if w.org_id == mine.org_id)  # ``waiting`` is oldest first
    return mine.org_running == fewest and first_of_org.id == run_id


def claim_next(
    db: Database, worker: str, cap: int, candidates: Collection[int]
) -> tuple[int | None, set[int]]:
    """Claim the fairest of ``candidates`` for ``worker``; also returns the candidates that are
    no longer queued (cancelled, or claimed by another server), which the caller forgets."""
    with db.write() as conn:
        runs_repo.lock_claims(conn)
        waiting = runs_repo.waiting(conn, candidates)
        gone = set(candidates) - {w.id for w in waiting}
        pick = next_run(waiting, cap)
        if pick is None or not runs_repo.claim(conn, pick.id, worker):
            return None, gone
    return pick.id, gone


Turn = Literal["claimed", "wait", "gone"]


def claim_if_turn(
    db: Database, run_id: int, worker: str, *, max_per_org: int | None, stale_after: float
) -> Turn:
    """For the PostgreSQL queue, whose jobs each name one run: claim ``run_id`` if it is its
    turn, ``wait`` if another organization's run should take this slot first (the job tries
    again shortly and the slot takes the next job), ``gone`` if it is no longer queued."""
    with db.write() as conn:
        runs_repo.lock_claims(conn)
        waiting = runs_repo.waiting(conn)
        if run_id not in {w.id for w in waiting}:
            return "gone"
        slots = runs_repo.live_workers(conn, silent_for=timedelta(seconds=stale_after))
        if not may_start(run_id, waiting, per_org_cap(max_per_org, slots)):
            return "wait"
        return "claimed" if runs_repo.claim(conn, run_id, worker) else "gone"
