"""After the allocation: late participants, withdrawals, capacities, re-solve drafts, commit,
discard, versions, diffs, rollback and undoing finalize (issue #18).

Every use case here is one transaction on the campaign's locked row, scoped to the caller's
organization, allowed while the campaign is allocated or finalized, and refused while a run of
it is queued or running (its result would land on top). Each change is recorded with who, when
and why (``campaign_changes``) and leaves a numbered version of the allocation behind
(``allocation_versions``), so history is complete and any version can be restored.

Drafts: a re-solve (``start_resolve``, a background run) or a proposed move (``propose_move``)
stores its allocation as a draft tied to its run; nothing is visible as current until
``commit``, which refuses a draft computed from an allocation that changed since (409
``STALE_DRAFT``).

Seats that free up (a withdrawal, a capacity raised, a commit or rollback that unseats someone)
call ``seats_freed`` in the same transaction: the one hook a waitlist plugs into.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from flok.app import campaign_options, versioning
from flok.app import waitlist as waitlists
from flok.app.guards import no_nul, refuse_too_many_rows, refuse_while_active
from flok.app.seat_diff import SeatDiff, diff
from flok.app.state import State
from flok.errors import ConflictError, InputError, NotFoundError
from flok.resolve import STABILITIES
from flok.store import campaigns as campaigns_repo
from flok.store import runs as runs_repo
from flok.store import versions as repo
from flok.store.db import Transaction
from flok.store.rows import CampaignRow
from flok.store.versions import ChangeRow, VersionRow
from flok.table import Table

MAX_REASON = 2000
AFTER = campaigns_repo.AFTER_ALLOCATION


def seats_freed(conn: Transaction, campaign_id: int) -> None:
    """Called, inside the transaction that freed them, whenever seats of ``campaign_id`` may have
    freed up: a withdrawal, a capacity raised, a committed draft or a rollback that unseated
    someone. Once the campaign is finalized the waitlist offers the free seats from here, in the
    same transaction, so a seat is never freed without its offer (or offered without being
    free); before that it does nothing (``fill_free_seats`` leaves unstarted waitlists alone)."""
    waitlists.fill_free_seats(conn, campaigns_repo.org_of(conn, campaign_id), campaign_id)


@dataclass(frozen=True)
class Done:
    """A recorded change and the version it made."""

    change: ChangeRow
    version: VersionRow


def _reason(reason: str) -> str:
    if len(reason) > MAX_REASON:
        raise InputError(f"at most {MAX_REASON} characters", field="reason")
    return reason.strip()


def _open_for_changes(conn: Transaction, org: int, campaign_id: int, doing: str) -> CampaignRow:
    """The campaign, locked, if it may change now (allocated or finalized, no run active)."""
    row = campaigns_repo.get(conn, org, campaign_id, lock=True)
    if row.status not in AFTER:
        raise ConflictError(
            f"cannot {doing} while the campaign is {row.status} (allowed once it is allocated or finalized;"
            " before that, upload or withdraw preferences directly)",
            field="status",
            code="WRONG_STATUS",
        )
    refuse_while_active(conn, campaign_id, f"a run of this campaign is queued or running; {doing} after it")
    return row


def _after(conn: Transaction, row: CampaignRow) -> None:
    """A finalized campaign's registrations follow its seats at once (confirmed / rejected)."""
    if row.status == "finalized":
        campaigns_repo.mark_outcomes(conn, row.id)


def _changed(
    conn: Transaction, row: CampaignRow, kind: str, detail: dict[str, Any], actor: str, reason: str
) -> Done:
    version = versioning.snapshot(
        conn, row.id, kind="change", label=versioning.after_change(conn, row.id), actor=actor, reason=reason
    )
    _after(conn, row)
    change = repo.record_change(
        conn, row.id, kind, detail, actor=actor, reason=reason, version=version.number
    )
    return Done(change, version)


# --- changes --------------------------------------------------------------------------------
def add_late(state: State, org: int, campaign_id: int, table: Table, *, actor: str, reason: str = "") -> Done:
    """Late participants with their preferences (every participant new to the campaign; to change
    someone's preferences, withdraw them and add them again). They wait unseated until a re-solve."""
    reason = _reason(reason)
    refuse_too_many_rows(state, table.num_rows, table.source)
    no_nul(table)
    with state.db.write() as conn:
        row = _open_for_changes(conn, org, campaign_id, "add late participants")
        pids = table.ids("participant_id")
        again = campaigns_repo.first_registered(conn, campaign_id, pids)
        if again is not None:
            raise table.error(
                again,
                "participant_id",
                f"participant '{pids[again].as_py()}' is registered already; a late participant is new "
                "(withdraw them first to change their preferences)",
            )
        added = campaigns_repo.add_preferences(conn, org, campaign_id, table, allowed=AFTER)
        people = sorted(set(pa.compute.unique(pids).to_pylist()))
        detail = {"participants": people[:1000], "count": len(people), "preferences": added}
        return _changed(conn, row, "add", detail, actor, reason)


def withdraw(
    state: State, org: int, campaign_id: int, participant_ids: list[str], *, actor: str, reason: str = ""
) -> Done:
    """Participants leave: their preferences and seats go (the seats free up for others)."""
    reason = _reason(reason)
    if not participant_ids:
        raise InputError("name at least one participant", field="participant_ids")
    with state.db.write() as conn:
        row = _open_for_changes(conn, org, campaign_id, "withdraw participants")
        before: dict[str, str] = {}
        for pid, oid, _ in repo.current_seats(conn, campaign_id):  # several seats are written A;B
            before[pid] = f"{before[pid]};{oid}" if pid in before else oid
        freed: dict[str, str] = {}
        for i, pid in enumerate(participant_ids):
            try:
                campaigns_repo.withdraw(conn, org, campaign_id, pid, allowed=AFTER)
            except NotFoundError as exc:
                raise NotFoundError(exc.message, field="participant_ids", row=i + 1) from None
            waitlists.participant_left(conn, campaign_id, pid)
            if pid in before:
                freed[pid] = before[pid]
        repo.drop_seats(conn, campaign_id, list(freed))
        done = _changed(
            conn, row, "withdraw", {"participants": participant_ids, "seats_freed": freed}, actor, reason
        )
        if freed or row.status == "finalized":  # a place in line or an offer may have gone too
            seats_freed(conn, campaign_id)
        return done


def set_capacity(
    state: State,
    org: int,
    campaign_id: int,
    opportunity_id: str,
    capacity: int,
    *,
    actor: str,
    reason: str = "",
    cancel: bool = False,
) -> Done:
    """Raise or lower an opportunity's capacity (``cancel``: to 0). Nobody is unseated here: a
    lower capacity than its holders waits for a re-solve, which decides with the chosen stability
    who keeps a seat (the label says how many seats are over)."""
    reason = _reason(reason)
    if cancel:
        capacity = 0
    if not 0 <= capacity <= 1_000_000:
        raise InputError("must be a whole number from 0 to 1,000,000", field="capacity")
    with state.db.write() as conn:
        row = _open_for_changes(conn, org, campaign_id, "change capacities")
        before = campaigns_repo.set_capacity(conn, campaign_id, opportunity_id, capacity)
        holders = repo.holders(conn, campaign_id, opportunity_id)
        detail = {
            "opportunity_id": opportunity_id,
            "before": before,
            "after": capacity,
            "holders": holders,
            "over": max(0, holders - capacity),
        }
        done = _changed(conn, row, "cancel" if cancel else "capacity", detail, actor, reason)
        if capacity > before:
            seats_freed(conn, campaign_id)
        return done


def list_changes(state: State, org: int, campaign_id: int, *, limit: int = 200) -> list[ChangeRow]:
    with state.db.read() as conn:
        campaigns_repo.get(conn, org, campaign_id)
        return repo.list_changes(conn, campaign_id, limit=limit)


def record_move(
    conn: Transaction, campaign_id: int, participant_id: str, target: str | None, actor: str
) -> None:
    """A move made at once (``flok.app.campaigns.move_seat``): a version labelled as edited by hand."""
    version = versioning.snapshot(
        conn, campaign_id, kind="move", label=versioning.after_move(conn, campaign_id), actor=actor
    )
    detail = {"participant_id": participant_id, "opportunity_id": target}
    repo.record_change(conn, campaign_id, "move", detail, actor=actor, reason="", version=version.number)
    seats_freed(conn, campaign_id)


# --- drafts ---------------------------------------------------------------------------------
def start_resolve(
    state: State,
    org: int,
    campaign_id: int,
    *,
    stability: str = "strict",
    move_cost: float = 1.0,
    actor: str,
    reason: str = "",
) -> int:
    """Queue a re-solve from the current allocation and the recorded changes; its run's id. The
    run stores a draft (``commit`` or ``discard`` it)."""
    reason = _reason(reason)
    if stability not in STABILITIES:
        raise InputError(f"must be one of {', '.join(STABILITIES)}, got '{stability}'", field="stability")
    if not math.isfinite(move_cost) or move_cost < 0:
        raise InputError(f"must be a finite number ≥ 0, got {move_cost}", field="move_cost")
    with state.db.write() as conn:
        row = _open_for_changes(conn, org, campaign_id, "re-solve")
        options = campaign_options.bounded_for_run(row.options, max_time_limit=state.settings.max_time_limit)
        run_options = {
            "campaign": options,
            "stability": stability,
            "move_cost": move_cost,
            "actor": actor,
            "reason": reason,
        }
        run_id = runs_repo.create(conn, org, "resolve", run_options, campaign_id)
    state.queue.submit(run_id)
    return run_id


def propose_move(
    state: State,
    org: int,
    campaign_id: int,
    participant_id: str,
    target: str | None,
    *,
    actor: str,
    reason: str = "",
) -> int:
    """A manual move as a draft with its diff (nothing changes until ``commit``); the draft's run id."""
    reason = _reason(reason)
    with state.db.write() as conn:
        _open_for_changes(conn, org, campaign_id, "move participants")
        campaigns_repo.check_move(conn, campaign_id, participant_id, target)
        seats = [s for s in repo.current_seats(conn, campaign_id) if s[0] != participant_id]
        if target is not None:
            seats = sorted([*seats, (participant_id, target, True)])
        detail = {
            "participant_id": participant_id,
            "opportunity_id": target,
            "actor": actor,
            "reason": reason,
        }
        run_id = runs_repo.create(conn, org, "move", detail, campaign_id)
        where = f"to {target}" if target else "out of their seat"
        runs_repo.finish(
            conn,
            run_id,
            "done",
            report={"draft": True, "move": detail},
            message=f"draft: {participant_id} {where}",
        )
        repo.insert(
            conn,
            campaign_id,
            state="draft",
            kind="move",
            seats=seats,
            capacities=repo.current_capacities(conn, campaign_id),
            label={"move": [participant_id, target]},
            actor=actor,
            reason=reason,
            run_id=run_id,
            base_number=repo.current_number(conn, campaign_id),
            base_revision=campaigns_repo.inputs_revision(conn, campaign_id),
        )
    return run_id


def _draft(conn: Transaction, org: int, campaign_id: int, run_id: int) -> VersionRow:
    run = runs_repo.get(conn, org, run_id)  # another organization's run: not found
    if run.campaign_id != campaign_id:
        raise NotFoundError(f"no run with id '{run_id}' in this campaign", field="run_id")
    if run.kind in ("resolve", "move") and run.status in runs_repo.ACTIVE:
        raise ConflictError("this re-solve is still running; wait for it", field="run_id", code="RUN_ACTIVE")
    return repo.draft_of_run(conn, campaign_id, run_id)


def commit(state: State, org: int, campaign_id: int, run_id: int, *, actor: str) -> VersionRow:
    """The draft becomes the allocation (the next version). Refused (409 STALE_DRAFT) when the
    allocation or its inputs changed since the draft was computed, and (409 DRAFT_CLOSED) when
    it was committed or discarded already."""
    with state.db.write() as conn:
        row = _open_for_changes(conn, org, campaign_id, "commit a draft")
        draft = _draft(conn, org, campaign_id, run_id)
        if draft.state != "draft":
            raise ConflictError(f"this draft was {draft.state} already", field="run_id", code="DRAFT_CLOSED")
        now, revision = (
            repo.current_number(conn, campaign_id),
            campaigns_repo.inputs_revision(conn, campaign_id),
        )
        if draft.base_number != now or draft.base_revision != revision:
            raise ConflictError(
                f"the allocation changed since this draft was computed from version {draft.base_number} "
                f"(it is version {now} now, or its inputs changed); re-solve or move again",
                field="run_id",
                code="STALE_DRAFT",
            )
        before = repo.current_seats(conn, campaign_id)
        repo.replace_seats(conn, campaign_id, draft.seats)
        number = now + 1
        if draft.kind == "move":
            label = versioning.after_move(conn, campaign_id)
        else:
            label = versioning.after_run(
                str(draft.label.get("basis", "feasible")),
                number,
                stability=draft.label.get("stability"),
                move_cost=draft.label.get("move_cost"),
            )
        repo.set_state(conn, draft.id, "committed", number=number, label=label)
        _after(conn, row)
        counts = _seat_diff(conn, campaign_id, row.mode, before, draft.seats).counts
        repo.record_change(
            conn,
            campaign_id,
            "commit",
            {"run_id": run_id, "draft": draft.kind, "counts": counts},
            actor=actor,
            reason=draft.reason,
            version=number,
        )
        if counts["moved"] or counts["unseated"]:
            seats_freed(conn, campaign_id)
        return repo.get_by_id(conn, campaign_id, draft.id)


def discard(state: State, org: int, campaign_id: int, run_id: int, *, actor: str) -> VersionRow:
    with state.db.write() as conn:
        campaigns_repo.get(conn, org, campaign_id, lock=True)
        draft = _draft(conn, org, campaign_id, run_id)
        if draft.state != "draft":
            raise ConflictError(f"this draft was {draft.state} already", field="run_id", code="DRAFT_CLOSED")
        repo.set_state(conn, draft.id, "discarded")
        repo.record_change(conn, campaign_id, "discard", {"run_id": run_id}, actor=actor, reason="")
        return repo.get_by_id(conn, campaign_id, draft.id)


# --- diffs, versions, rollback ----------------------------------------------------------------
def _seat_diff(
    conn: Transaction,
    campaign_id: int,
    mode: str,
    before: list[repo.Seat],
    after: list[repo.Seat],
    why: dict[str, str] | None = None,
) -> SeatDiff:
    values = repo.values(conn, campaign_id, mode)
    return diff([(p, o) for p, o, _ in before], [(p, o) for p, o, _ in after], values, mode=mode, why=why)


@dataclass(frozen=True)
class Draft:
    """A draft (or what became of it) with its diff against the version it was computed from."""

    version: VersionRow
    diff: SeatDiff
    stale: bool  # the allocation changed since: committing it would be refused


def draft_diff(state: State, org: int, campaign_id: int, run_id: int) -> Draft:
    with state.db.read() as conn:
        row = campaigns_repo.get(conn, org, campaign_id)
        draft = _draft(conn, org, campaign_id, run_id)
        base = (
            repo.get_number(conn, campaign_id, draft.base_number).seats
            if draft.base_number
            else repo.current_seats(conn, campaign_id)
        )
        stale = draft.base_number != repo.current_number(conn, campaign_id) or (
            draft.base_revision != campaigns_repo.inputs_revision(conn, campaign_id)
        )
        why = {str(k): str(v) for k, v in (draft.label.get("why") or {}).items()}
        return Draft(draft, _seat_diff(conn, campaign_id, row.mode, base, draft.seats, why), stale)


def list_versions(state: State, org: int, campaign_id: int) -> list[VersionRow]:
    """Committed versions, newest first."""
    with state.db.read() as conn:
        campaigns_repo.get(conn, org, campaign_id)
        return repo.list_committed(conn, campaign_id)


def list_drafts(state: State, org: int, campaign_id: int) -> list[VersionRow]:
    with state.db.read() as conn:
        campaigns_repo.get(conn, org, campaign_id)
        return repo.list_drafts(conn, campaign_id)


def version_diff(state: State, org: int, campaign_id: int, a: int, b: int) -> SeatDiff:
    """From version ``a`` to version ``b`` (either way round)."""
    with state.db.read() as conn:
        row = campaigns_repo.get(conn, org, campaign_id)
        first, second = repo.get_number(conn, campaign_id, a), repo.get_number(conn, campaign_id, b)
        return _seat_diff(conn, campaign_id, row.mode, first.seats, second.seats)


def rollback(
    state: State, org: int, campaign_id: int, number: int, *, actor: str, reason: str = ""
) -> VersionRow:
    """Make version ``number`` current again, as a new version (nothing is deleted): its seats
    and capacities exactly. People who withdrew after it stay withdrawn: their seats in it stay
    free (named under ``dropped`` in the new version's label)."""
    reason = _reason(reason)
    with state.db.write() as conn:
        row = _open_for_changes(conn, org, campaign_id, "roll back")
        target = repo.get_number(conn, campaign_id, number)
        now = repo.current_number(conn, campaign_id)
        if number == now:
            raise ConflictError(
                f"version {number} is the current version", field="version", code="CURRENT_VERSION"
            )
        here = repo.registered(conn, campaign_id)
        kept = [s for s in target.seats if s[0] in here]
        dropped = sorted({s[0] for s in target.seats if s[0] not in here})
        if target.capacities != repo.current_capacities(conn, campaign_id):
            repo.set_capacities(conn, campaign_id, target.capacities)
            campaigns_repo.inputs_changed(conn, campaign_id)
        repo.replace_seats(conn, campaign_id, kept)
        label = {k: v for k, v in target.label.items() if k not in ("why", "dropped")}
        label["rolled_back_to"] = number
        if dropped:
            label["dropped"] = dropped[:1000]
        version = versioning.snapshot(
            conn, campaign_id, kind="rollback", label=label, actor=actor, reason=reason
        )
        _after(conn, row)
        repo.record_change(
            conn,
            campaign_id,
            "rollback",
            {"to": number, "from": now, "dropped": dropped[:1000]},
            actor=actor,
            reason=reason,
            version=version.number,
        )
        seats_freed(conn, campaign_id)
        return version


def current_label(state: State, org: int, campaign_id: int) -> versioning.Label | None:
    with state.db.read() as conn:
        row = campaigns_repo.get(conn, org, campaign_id)
        return versioning.current_label(conn, campaign_id, row.mode)


# --- finalize and its undo ------------------------------------------------------------------
FINALIZE_RULE = (
    "finalize can be undone until the first change after it (a late participant, a withdrawal, "
    "a capacity, a commit or a rollback) or the first seat offered from its waitlists"
)


def finalize_undoable(conn: Transaction, campaign_id: int) -> bool:
    """Whether finalize may still be undone: nothing was recorded after it, and no seat was
    offered from its waitlists (``flok.app.waitlist.undoable``)."""
    last = repo.last_change(conn, campaign_id)
    return last is not None and last.kind == "finalize" and waitlists.undoable(conn, campaign_id)


def undo_finalize(state: State, org: int, campaign_id: int, *, actor: str, reason: str = "") -> CampaignRow:
    """Back to allocated, registrations pending again; refused (409 FINALIZE_FIXED) once anything
    changed after finalizing (``FINALIZE_RULE``)."""
    reason = _reason(reason)
    with state.db.write() as conn:
        row = campaigns_repo.get(conn, org, campaign_id, lock=True)
        if row.status != "finalized":
            raise ConflictError(
                f"the campaign is {row.status}, not finalized", field="status", code="WRONG_STATUS"
            )
        if not finalize_undoable(conn, campaign_id):
            raise ConflictError(f"cannot undo: {FINALIZE_RULE}", field="status", code="FINALIZE_FIXED")
        campaigns_repo.unfinalize(conn, campaign_id)
        waitlists.unstart(conn, campaign_id)
        repo.record_change(conn, campaign_id, "unfinalize", {}, actor=actor, reason=reason)
        return campaigns_repo.get(conn, org, campaign_id)


def record_finalize(conn: Transaction, campaign_id: int, actor: str) -> None:
    repo.record_change(conn, campaign_id, "finalize", {}, actor=actor, reason="")
