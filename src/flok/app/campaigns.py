"""Campaign use cases: create, upload tables, open/close, start a run, move a seat, finalize, delete.

Each function is one use case in one transaction, scoped to the caller's organization (another
organization's campaign is "not found"). The rules that span repositories live here once:
a campaign is allocated only when closed or allocated, and never while a run of it is active.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from flok.app import campaign_options, changes
from flok.app import waitlist as waitlists
from flok.app.guards import no_nul, refuse_too_many_rows, refuse_while_active
from flok.app.state import State
from flok.errors import ConflictError
from flok.io.writers import csv_safe, write_table_csv
from flok.store import campaigns as repo
from flok.store import runs as runs_repo
from flok.store.db import Transaction
from flok.store.rows import (
    CampaignCounts,
    CampaignOpportunityRow,
    CampaignRow,
    FinalizePreview,
    PreferenceRow,
    SeatRow,
)
from flok.table import Table

TableKind = Literal["opportunities", "preferences", "participants"]
TABLE_KINDS: tuple[TableKind, ...] = ("opportunities", "preferences", "participants")


@dataclass(frozen=True)
class CampaignView:
    """A campaign with what it holds, as both the API and the dashboard show it."""

    campaign: CampaignRow
    counts: CampaignCounts


@dataclass(frozen=True)
class CampaignPage:
    """One page of an organization's campaigns and how many it has in all."""

    items: list[CampaignView]
    total: int


@dataclass(frozen=True)
class Allocation:
    """A campaign's seats (one page of them when asked for) and how many rows there are in all."""

    campaign: CampaignRow
    seats: list[SeatRow]
    total: int


def _view(conn: Transaction, row: CampaignRow) -> CampaignView:
    return CampaignView(row, repo.counts(conn, row.id))


def _stored_options(state: State, options: dict[str, Any]) -> dict[str, Any]:
    """Validated and normalised before the transaction starts, so a refusal writes nothing."""
    return campaign_options.normalise(options, max_time_limit=state.settings.max_time_limit)


def create_campaign(state: State, org: int, name: str, mode: str, options: dict[str, Any]) -> CampaignView:
    stored = _stored_options(state, options)
    with state.db.write() as conn:
        cid = repo.create(conn, org, name, mode, stored)
        return _view(conn, repo.get(conn, org, cid))


def list_campaigns(state: State, org: int) -> list[CampaignView]:
    with state.db.read() as conn:
        return [_view(conn, row) for row in repo.list_for(conn, org)]


def page_of_campaigns(state: State, org: int, *, limit: int | None, offset: int = 0) -> CampaignPage:
    """Campaigns by id from ``offset``, at most ``limit`` (None: all), with the total, read together."""
    with state.db.read() as conn:
        rows = repo.list_for(conn, org, limit=limit, offset=offset)
        return CampaignPage([_view(conn, row) for row in rows], repo.count_for(conn, org))


def get_campaign(state: State, org: int, campaign_id: int) -> CampaignView:
    with state.db.read() as conn:
        return _view(conn, repo.get(conn, org, campaign_id))


def delete_campaign(state: State, org: int, campaign_id: int) -> None:
    """Delete the campaign and everything in it; refused (RUN_ACTIVE) while a run is queued or running,
    since the run would write into rows that are gone."""
    with state.db.write() as conn:
        repo.get(conn, org, campaign_id, lock=True)  # serialises with ``start_run``, which locks it too
        refuse_while_active(
            conn, campaign_id, "a run of this campaign is queued or running; cancel it or wait for it first"
        )
        repo.delete_campaign(conn, org, campaign_id)


def set_options(state: State, org: int, campaign_id: int, options: dict[str, Any]) -> CampaignView:
    stored = _stored_options(state, options)
    with state.db.write() as conn:
        repo.set_options(conn, org, campaign_id, stored)
        return _view(conn, repo.get(conn, org, campaign_id))


def open_campaign(state: State, org: int, campaign_id: int) -> CampaignView:
    """Open for preferences (from draft, or reopen a closed, never-allocated campaign)."""
    return _transition(state, org, campaign_id, "open")


def close_campaign(state: State, org: int, campaign_id: int) -> CampaignView:
    return _transition(state, org, campaign_id, "closed")


def _transition(state: State, org: int, campaign_id: int, target: str) -> CampaignView:
    with state.db.write() as conn:
        repo.transition(conn, org, campaign_id, target)
        return _view(conn, repo.get(conn, org, campaign_id))


def finalize(state: State, org: int, campaign_id: int, *, actor: str = "api") -> CampaignView:
    """Seats become confirmed registrations, all others rejected; repeating it changes nothing.
    Everyone left without a seat goes on the waitlists of what they listed (``flok.app.waitlist``).
    Recorded, so it can be undone until the next change (``flok.app.changes.undo_finalize``)."""
    with state.db.write() as conn:
        before = repo.get(conn, org, campaign_id, lock=True).status
        repo.finalize(conn, org, campaign_id)
        if before != "finalized":
            changes.record_finalize(conn, campaign_id, actor)
            waitlists.start(conn, org, campaign_id)
        return _view(conn, repo.get(conn, org, campaign_id))


def finalize_preview(state: State, org: int, campaign_id: int) -> FinalizePreview:
    """The counts the dashboard asks the organizer to confirm before ``finalize``."""
    with state.db.read() as conn:
        return repo.finalize_preview(conn, org, campaign_id)


_ADD = {
    "opportunities": repo.add_opportunities,
    "preferences": repo.add_preferences,
    "participants": repo.add_participants,
}


def upload_table(
    state: State, org: int, campaign_id: int, kind: TableKind, table: Table, *, actor: str = "upload"
) -> int:
    """Add an uploaded table (opportunities, preferences or participants' attributes) in one
    transaction; the number of rows added. Validation errors name the row and field.

    Preferences uploaded once the campaign is allocated or finalized are late participants: a
    recorded change (``flok.app.changes.add_late``), not a 409."""
    refuse_too_many_rows(state, table.num_rows, table.source)
    no_nul(table)
    if (
        kind == "preferences"
        and get_campaign(state, org, campaign_id).campaign.status in repo.AFTER_ALLOCATION
    ):
        changes.add_late(state, org, campaign_id, table, actor=actor, reason="late registration (upload)")
        return table.num_rows
    with state.db.write() as conn:
        return _ADD[kind](conn, org, campaign_id, table)


def replace_table(state: State, org: int, campaign_id: int, kind: TableKind, table: Table) -> int:
    """Replace the whole upload of ``kind`` in one transaction, until the campaign is finalized.

    The previous allocation stays until a new run replaces it; the inputs' revision is bumped,
    so a run that read the old rows cannot store its result. A refusal keeps the old rows."""
    refuse_too_many_rows(state, table.num_rows, table.source)
    no_nul(table)
    with state.db.write() as conn:
        return repo.replace_inputs(conn, org, campaign_id, kind, table)


def clear_table(state: State, org: int, campaign_id: int, kind: TableKind) -> int:
    """Remove the whole upload of ``kind`` (until finalized); how many rows went."""
    with state.db.write() as conn:
        return repo.clear_inputs(conn, org, campaign_id, kind)


@dataclass(frozen=True)
class OpportunityPage:
    """One page of a campaign's uploaded opportunities and how many it has in all."""

    items: list[CampaignOpportunityRow]
    total: int


def page_of_opportunities(
    state: State, org: int, campaign_id: int, *, limit: int | None = None, offset: int = 0
) -> OpportunityPage:
    """The uploaded opportunities in upload order from ``offset``, at most ``limit`` (None: all)."""
    with state.db.read() as conn:
        return OpportunityPage(*repo.opportunities_page(conn, org, campaign_id, limit=limit, offset=offset))


def list_preferences(
    state: State, org: int, campaign_id: int, participant_id: str | None = None
) -> list[PreferenceRow]:
    with state.db.read() as conn:
        return repo.preferences_of(conn, org, campaign_id, participant_id)


def withdraw(state: State, org: int, campaign_id: int, participant_id: str, *, actor: str = "api") -> None:
    """Remove every preference of one participant (while the campaign is draft or open); once it
    is allocated or finalized, a recorded withdrawal that frees their seat (``flok.app.changes``),
    which, once finalized, is offered at once to the next on its waitlist."""
    if get_campaign(state, org, campaign_id).campaign.status in repo.AFTER_ALLOCATION:
        changes.withdraw(state, org, campaign_id, [participant_id], actor=actor)
        return
    with state.db.write() as conn:
        repo.withdraw(conn, org, campaign_id, participant_id)


def start_run(state: State, org: int, campaign_id: int) -> int:
    """Queue an allocation with the campaign's options; the run's id.

    Refused unless the campaign is closed or allocated (WRONG_STATUS), and while another run of
    it is queued or running (RUN_ACTIVE). The campaign row is locked, so two requests cannot both pass.
    """
    with state.db.write() as conn:
        row = repo.get(conn, org, campaign_id, lock=True)
        if row.status not in repo.ALLOCATABLE:
            raise ConflictError(
                f"cannot allocate while the campaign is {row.status} (close it first)",
                field="status",
                code="WRONG_STATUS",
            )
        refuse_while_active(conn, campaign_id, "an allocation of this campaign is already queued or running")
        options = campaign_options.bounded_for_run(row.options, max_time_limit=state.settings.max_time_limit)
        run_id = runs_repo.create(conn, org, "allocate", options, campaign_id)
    state.queue.submit(run_id)
    return run_id


def run_now(state: State, org: int, campaign_id: int) -> int:
    """The dashboard's one button: close preferences when still open (opening a draft first), then
    ``start_run``."""
    status = get_campaign(state, org, campaign_id).campaign.status
    if status == "draft":
        open_campaign(state, org, campaign_id)
        status = "open"
    if status == "open":
        close_campaign(state, org, campaign_id)
    return start_run(state, org, campaign_id)


def get_allocation(
    state: State, org: int, campaign_id: int, *, limit: int | None = None, offset: int = 0
) -> Allocation:
    """One row per seat, plus unassigned participants (no opportunity), by participant id;
    only the rows from ``offset`` on, at most ``limit`` (None: all), when asked for a page."""
    with state.db.read() as conn:
        row, seats = repo.allocation_rows(conn, org, campaign_id)
    end = None if limit is None else offset + limit
    return Allocation(row, seats[offset:end], len(seats))


def move_seat(
    state: State,
    org: int,
    campaign_id: int,
    participant_id: str,
    opportunity_id: str | None,
    *,
    actor: str = "api",
) -> None:
    """Move one participant by hand (None unseats); refused with FULL when the target has no seat left,
    and with RUN_ACTIVE while an allocation of the campaign is queued or running (its result would
    replace every seat, the move with them)."""
    with state.db.write() as conn:
        repo.get(conn, org, campaign_id, lock=True)  # serialises with ``start_run``, which locks it too
        refuse_while_active(
            conn, campaign_id, "an allocation of this campaign is queued or running; move seats after it"
        )
        repo.move(conn, org, campaign_id, participant_id, opportunity_id)
        changes.record_move(conn, campaign_id, participant_id, opportunity_id, actor)  # labelled as edited


def allocation_csv(allocation: Allocation) -> bytes:
    """``participant_id,opportunity_id,<rank|score>`` (formula-safe cells), one line per seat
    plus the unassigned (no opportunity)."""
    column = allocation.campaign.mode
    seats = allocation.seats
    table = pa.table(
        {
            "participant_id": csv_safe(pa.array([r.participant_id for r in seats], pa.string())),
            "opportunity_id": csv_safe(pa.array([r.opportunity_id or "" for r in seats], pa.string())),
            column: pa.array(
                [getattr(r, column) for r in seats], pa.int64() if column == "rank" else pa.float64()
            ),
        }
    )
    buf = io.BytesIO()
    write_table_csv(table, buf)
    return buf.getvalue()
