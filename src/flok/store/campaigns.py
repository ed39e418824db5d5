"""Campaigns: a stored allocation round with the lifecycle draft → open → closed → allocated → finalized.

Uploads are validated with the engine's own readers (``Problem.from_tables``) before anything
is written, so an error names the row and field and leaves the campaign unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, RowMapping, delete, func, insert, literal, select, update

from flok.errors import InputError, NotFoundError
from flok.io.json_text import readable
from flok.model import Options, Problem
from flok.solvers.base import names as strategy_names
from flok.store import bulk
from flok.store.errors import Conflict, NotFound
from flok.store.rows import (
    CampaignCounts,
    CampaignOpportunityRow,
    CampaignRow,
    FinalizePreview,
    PreferenceRow,
    SeatRow,
)
from flok.store.tables import (
    ID,
    assignments,
    campaign_opportunities,
    campaign_participants,
    campaigns,
    preferences,
)
from flok.store.types import utcnow
from flok.table import Table

STATUSES = ("draft", "open", "closed", "allocated", "finalized")
EDITABLE = ("draft", "open")
REPLACEABLE = ("draft", "open", "closed", "allocated")
"""Uploads may be replaced or cleared until the campaign is finalized (the allocation stays)."""
ALLOCATABLE = ("closed", "allocated")
AFTER_ALLOCATION = ("allocated", "finalized")
"""Changes after the allocation (late participants, withdrawals, capacities) are recorded then."""


def split_options(options: dict[str, Any]) -> tuple[str, Options]:
    """(strategy, engine options); unknown keys are rejected by ``Options.from_mapping``."""
    rest = dict(options)
    strategy = rest.pop("strategy", "auto")
    if not isinstance(strategy, str) or strategy not in strategy_names():
        raise InputError(
            f"unknown strategy {strategy!r} (choose from {', '.join(strategy_names())})",
            source="options",
            field="strategy",
        )
    return strategy, Options.from_mapping(rest, source="options")


def create(conn: Connection, org_id: int, name: str, mode: str, options: dict[str, Any]) -> int:
    split_options(options)
    now = utcnow()
    return int(
        conn.execute(
            campaigns.insert()
            .values(
                org_id=org_id,
                name=name,
                mode=mode,
                status="draft",
                options=options,
                created_at=now,
                updated_at=now,
            )
            .returning(campaigns.c.id)
        ).scalar_one()
    )


def _campaign(mapping: Mapping[str, Any] | RowMapping) -> CampaignRow:
    """A campaign row whose options can always be shown: rows stored before options were
    normalised may hold a lone surrogate or deep nesting, which would fail every read."""
    row = CampaignRow.of(mapping)
    return replace(row, options=readable(row.options or {}))


def get(conn: Connection, org_id: int, campaign_id: int, *, lock: bool = False) -> CampaignRow:
    q = select(campaigns).where(campaigns.c.id == campaign_id, campaigns.c.org_id == org_id)
    row = conn.execute(q.with_for_update() if lock else q).mappings().first()
    if row is None:
        raise NotFound("campaign", campaign_id)
    return _campaign(row)


def org_of(conn: Connection, campaign_id: int) -> int:
    """The organization a campaign belongs to, for code handed only the campaign id by a caller
    that already checked access (``flok.app.changes.seats_freed``)."""
    found = conn.execute(select(campaigns.c.org_id).where(campaigns.c.id == campaign_id)).scalar()
    if found is None:
        raise NotFound("campaign", campaign_id)
    return int(found)


def delete_campaign(conn: Connection, org_id: int, campaign_id: int) -> None:
    """Delete a campaign with its opportunities, preferences, allocation and finished runs.

    The caller (``flok.app.campaigns.delete_campaign``) checks first that no run is active.
    """
    conn.execute(delete(campaigns).where(campaigns.c.id == campaign_id, campaigns.c.org_id == org_id))


def list_for(
    conn: Connection, org_id: int, *, limit: int | None = None, offset: int = 0
) -> list[CampaignRow]:
    """The organization's campaigns by id; a page of them with ``limit`` (None: all) and ``offset``."""
    q = select(campaigns).where(campaigns.c.org_id == org_id).order_by(campaigns.c.id)
    q = q.limit(limit).offset(offset) if limit is not None or offset else q
    return [_campaign(r) for r in conn.execute(q).mappings()]


def count_for(conn: Connection, org_id: int) -> int:
    return int(conn.execute(select(func.count()).where(campaigns.c.org_id == org_id)).scalar_one())


def counts(conn: Connection, campaign_id: int) -> CampaignCounts:
    opps = conn.execute(
        select(func.count()).where(campaign_opportunities.c.campaign_id == campaign_id)
    ).scalar_one()
    regs = conn.execute(
        select(func.count(), func.count(func.distinct(preferences.c.participant_id))).where(
            preferences.c.campaign_id == campaign_id
        )
    ).one()
    seats = conn.execute(select(func.count()).where(assignments.c.campaign_id == campaign_id)).scalar_one()
    return CampaignCounts(opportunities=opps, preferences=regs[0], participants=regs[1], assigned=seats)


def _touch(conn: Connection, campaign_id: int, **values: Any) -> None:
    conn.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(updated_at=utcnow(), **values))


def _inputs_changed(conn: Connection, campaign_id: int) -> None:
    """A change to what an allocation run reads: a run that read an older revision is stale."""
    _touch(conn, campaign_id, inputs_revision=campaigns.c.inputs_revision + 1)


def inputs_revision(conn: Connection, campaign_id: int) -> int:
    """The revision of the campaign's opportunities, registrations and participants.

    A run reads it *before* the data it solves on: a change committed in between then shows
    as a newer revision at commit (the run is refused, never silently stale).
    """
    q = select(campaigns.c.inputs_revision).where(campaigns.c.id == campaign_id)
    return int(conn.execute(q).scalar_one())


def _require(row: CampaignRow, allowed: Sequence[str], doing: str) -> None:
    if row.status not in allowed:
        raise Conflict(
            f"cannot {doing} while the campaign is {row.status} (allowed when {' or '.join(allowed)})",
            field="status",
            code="WRONG_STATUS",
        )


def set_options(conn: Connection, org_id: int, campaign_id: int, options: dict[str, Any]) -> None:
    row = get(conn, org_id, campaign_id, lock=True)
    _require(row, ("draft", "open", "closed", "allocated"), "change options")
    split_options(options)
    _touch(conn, campaign_id, options=options)


_TRANSITIONS = {"open": ("draft", "closed"), "closed": ("open",)}


def transition(conn: Connection, org_id: int, campaign_id: int, target: str) -> None:
    """open (from draft, or reopen a closed, never-allocated campaign) and close."""
    row = get(conn, org_id, campaign_id, lock=True)
    if row.status == target:
        return
    if row.status in AFTER_ALLOCATION:
        raise Conflict(
            f"cannot move to {target}: the campaign is {row.status}; record changes instead (late "
            f"participants, withdrawals, capacities: POST /campaigns/{campaign_id}/changes) and re-solve",
            field="status",
            code="WRONG_STATUS",
        )
    _require(row, _TRANSITIONS[target], f"move to {target}")
    _touch(conn, campaign_id, status=target)


# --- uploads --------------------------------------------------------------------------------
def _string_table(columns: dict[str, list[Any]], source: str) -> Table:
    cols = {k: pa.array([str(v) for v in vals], type=pa.string()) for k, vals in columns.items()}
    return Table(source=source, columns=cols, num_rows=len(next(iter(cols.values()))), row_base=1)


def _stored_opportunities(conn: Connection, campaign_id: int) -> list[CampaignOpportunityRow]:
    q = (
        select(campaign_opportunities)
        .where(campaign_opportunities.c.campaign_id == campaign_id)
        .order_by(campaign_opportunities.c.id)
    )
    return [CampaignOpportunityRow.of(r) for r in conn.execute(q).mappings()]


_NO_PREFERENCES = ("participant_id", "opportunity_id", "rank")


def _no_preferences() -> Table:
    return _string_table({name: [] for name in _NO_PREFERENCES}, "none")


def _ids(table: Table, field: str) -> pa.Array:
    """An id column of the upload, each id at most ``ID`` characters long (PostgreSQL would
    refuse a longer one, SQLite store it: both refuse it, naming its row)."""
    ids = table.ids(field)
    long = bulk.first_in(pc.greater(pc.utf8_length(ids), ID), pa.array([True]))
    if long is not None:
        raise table.error(long, field, f"id is longer than {ID} characters")
    return ids


def _whole(table: Table, values: np.ndarray, field: str) -> None:
    """Refuse a whole number the database's integer column cannot hold, naming its row (SQLite
    would store it, PostgreSQL refuse it: both answer the same)."""
    too_big = np.flatnonzero(values > bulk.INT32_MAX)
    if too_big.size:
        raise table.error(int(too_big[0]), field, f"value is too large (at most {bulk.INT32_MAX})")


def add_opportunities(
    conn: Connection, org_id: int, campaign_id: int, table: Table, *, allowed: Sequence[str] = EDITABLE
) -> int:
    """Add opportunities; an id already in the campaign is refused with its row. Written
    column by column (``flok.store.bulk``): memory follows the upload, not one object per cell."""
    row = get(conn, org_id, campaign_id, lock=True)
    _require(row, allowed, "add opportunities")
    # Ids present and unique, capacity whole and ≥ 0, windows, … (the engine's own checks); the
    # problem's per-row objects are dropped at once, only its capacity column is kept. The title,
    # free text the engine only carries along, is left out of it (one Python string per row).
    checked = replace(table, columns={k: v for k, v in table.columns.items() if k != "title"})
    capacity = Problem.from_tables(checked, _no_preferences()).capacity
    ids = _ids(table, "opportunity_id")
    mine = campaign_opportunities.c.campaign_id == campaign_id
    stored = bulk.found_in(conn, campaign_opportunities.c.opportunity_id, mine, ids)
    again = bulk.first_in(ids, stored)
    if again is not None:
        raise table.error(
            again, "opportunity_id", f"opportunity '{ids[again].as_py()}' already exists in this campaign"
        )
    _whole(table, capacity, "capacity")
    title = table.text("title")
    extra = [c for c in table.columns if c not in ("opportunity_id", "capacity", "title")]
    bulk.insert(
        conn,
        campaign_opportunities,
        {
            "campaign_id": bulk.const(campaign_id),
            "opportunity_id": bulk.of(ids),
            "capacity": bulk.of(capacity),
            "title": bulk.of(pc.if_else(pc.equal(title, ""), pa.scalar(None, pa.string()), title)),
            "attributes": bulk.json_of(extra, [table.text(c) for c in extra]),
        },
        table.num_rows,
    )
    _inputs_changed(conn, campaign_id)
    return table.num_rows


def add_preferences(
    conn: Connection, org_id: int, campaign_id: int, table: Table, *, allowed: Sequence[str] = EDITABLE
) -> int:
    """Add ranked (or scored) preferences; a pair or rank already stored is a conflict.

    (Stored in the ``registrations`` table: a preference becomes a confirmed or rejected
    registration when the campaign is finalized.) Checked and written column by column, with
    stored preferences looked up in chunks, so a million rows go in one transaction.
    """
    row = get(conn, org_id, campaign_id, lock=True)
    _require(row, allowed, "change registrations")
    column = row.mode
    other = "score" if column == "rank" else "rank"
    if table.has(other) or not table.has(column):
        have = ", ".join(f"'{table.headers.get(c, c)}'" for c in table.columns)
        wrong = f"a '{other}' column, not" if table.has(other) else "no"
        raise InputError(
            f"this campaign takes '{column}' preferences; the file has {wrong} '{column}' "
            f"(columns found: {have}); map one with map={column}=HEADER",
            source=table.source,
            field=column,
        )
    opps = _stored_opportunities(conn, campaign_id)
    if not opps:
        raise Conflict(
            "add opportunities before registrations", field="opportunity_id", code="NO_OPPORTUNITIES"
        )
    opp_table = _string_table(
        {"opportunity_id": [o.opportunity_id for o in opps], "capacity": [o.capacity for o in opps]},
        "campaign opportunities",
    )
    del opps
    problem = Problem.from_tables(opp_table, table)  # ids, ranks, repeats within the upload
    values = problem.rank if problem.rank is not None else problem.score
    assert values is not None
    del problem  # its per-row objects; the rank or score column is all that is needed
    if column == "rank":
        _whole(table, values, "rank")
    pids, oids = _ids(table, "participant_id"), table.ids("opportunity_id")
    _refuse_stored(conn, campaign_id, table, column, pids, oids, values)
    bulk.insert(
        conn,
        preferences,
        {
            "campaign_id": bulk.const(campaign_id),
            "participant_id": bulk.of(pids),
            "opportunity_id": bulk.of(oids),
            column: bulk.of(values),
            "status": bulk.const("pending"),
        },
        table.num_rows,
    )
    _inputs_changed(conn, campaign_id)
    return table.num_rows


def _refuse_stored(
    conn: Connection,
    campaign_id: int,
    table: Table,
    column: str,
    pids: pa.Array,
    oids: pa.Array,
    values: np.ndarray,
) -> None:
    """Refuse, at its row, the first upload row whose (participant, opportunity) is stored
    already, or (ranks) whose participant used that rank already."""
    mine = preferences.c.campaign_id == campaign_id
    if conn.execute(select(preferences.c.id).where(mine).limit(1)).first() is None:
        return  # nothing stored: nothing to clash with

    def stored_for(chunk: list[str]) -> Any:
        pref = preferences.c
        return select(pref.participant_id, pref.opportunity_id, pref[column]).where(
            mine, bulk.one_of(conn, pref.participant_id, chunk)
        )

    found = list(bulk.rows_in(conn, stored_for, pc.unique(pids)))
    if not found:
        return
    stored_p = pa.array([r[0] for r in found], pa.string())
    pair = bulk.first_in(_key(pids, oids), _key(stored_p, pa.array([r[1] for r in found], pa.string())))
    rank = None
    if column == "rank":
        stored_rank = pa.array([str(r[2]) for r in found], pa.string())
        rank = bulk.first_in(_key(pids, pc.cast(pa.array(values), pa.string())), _key(stored_p, stored_rank))
    if pair is not None and (rank is None or pair <= rank):
        p, o = pids[pair].as_py(), oids[pair].as_py()
        raise table.error(pair, "opportunity_id", f"participant '{p}' is already registered for '{o}'")
    if rank is not None:
        raise table.error(
            rank, "rank", f"participant '{pids[rank].as_py()}' already used rank {values[rank]}"
        )


def _key(left: pa.Array, right: pa.Array) -> pa.Array:
    """Two string columns as one (the unit separator never occurs in an id)."""
    return pc.binary_join_element_wise(left, right, "\x1f")


def add_participants(
    conn: Connection, org_id: int, campaign_id: int, table: Table, *, allowed: Sequence[str] = EDITABLE
) -> int:
    """Store participants' attributes (``group``, ``cohort``, … for side constraints); re-uploading
    a participant replaces their attributes."""
    row = get(conn, org_id, campaign_id, lock=True)
    _require(row, allowed, "change participants")
    Problem.from_tables(_opportunity_table(conn, campaign_id), _no_preferences(), table)  # ids, groups
    ids = _ids(table, "participant_id")
    mine = campaign_participants.c.campaign_id == campaign_id
    for start, stop in bulk.slices(len(ids)):
        chunk = ids.slice(start, stop - start).to_pylist()
        listed = bulk.one_of(conn, campaign_participants.c.participant_id, chunk)
        conn.execute(delete(campaign_participants).where(mine, listed))
    names = [c for c in table.columns if c != "participant_id"]
    bulk.insert(
        conn,
        campaign_participants,
        {
            "campaign_id": bulk.const(campaign_id),
            "participant_id": bulk.of(ids),
            "attributes": bulk.json_of(names, [table.text(c) for c in names]),
        },
        table.num_rows,
    )
    _inputs_changed(conn, campaign_id)
    return table.num_rows


def first_registered(conn: Connection, campaign_id: int, ids: pa.Array) -> int | None:
    """Index of the first of ``ids`` registered in the campaign already (None: none is)."""
    mine = preferences.c.campaign_id == campaign_id
    return bulk.first_in(ids, bulk.found_in(conn, preferences.c.participant_id, mine, pc.unique(ids)))


def withdraw(
    conn: Connection, org_id: int, campaign_id: int, participant_id: str, *, allowed: Sequence[str] = EDITABLE
) -> int:
    """Delete every preference of one participant (the caller deletes their seats, if any)."""
    row = get(conn, org_id, campaign_id, lock=True)
    _require(row, allowed, "change registrations")
    result = conn.execute(
        delete(preferences).where(
            preferences.c.campaign_id == campaign_id, preferences.c.participant_id == participant_id
        )
    )
    if result.rowcount == 0:
        raise NotFound("registered participant", participant_id)
    _inputs_changed(conn, campaign_id)
    return int(result.rowcount)


def preferences_of(
    conn: Connection, org_id: int, campaign_id: int, participant_id: str | None = None
) -> list[PreferenceRow]:
    get(conn, org_id, campaign_id)
    q = select(preferences).where(preferences.c.campaign_id == campaign_id)
    if participant_id is not None:
        q = q.where(preferences.c.participant_id == participant_id)
    ordered = q.order_by(preferences.c.participant_id, preferences.c.id)
    return [PreferenceRow.of(r) for r in conn.execute(ordered).mappings()]


def opportunities_page(
    conn: Connection, org_id: int, campaign_id: int, *, limit: int | None = None, offset: int = 0
) -> tuple[list[CampaignOpportunityRow], int]:
    """The campaign's opportunities in upload order (a page with ``limit``/``offset``) and the total."""
    get(conn, org_id, campaign_id)
    mine = campaign_opportunities.c.campaign_id == campaign_id
    q = select(campaign_opportunities).where(mine).order_by(campaign_opportunities.c.id)
    q = q.limit(limit).offset(offset) if limit is not None or offset else q
    rows = [CampaignOpportunityRow.of(r) for r in conn.execute(q).mappings()]
    return rows, int(conn.execute(select(func.count()).where(mine)).scalar_one())


_INPUT_TABLES = {
    "opportunities": campaign_opportunities,
    "preferences": preferences,
    "participants": campaign_participants,
}


def clear_inputs(conn: Connection, org_id: int, campaign_id: int, kind: str) -> int:
    """Remove every uploaded row of ``kind`` (until finalized); how many. Opportunities that
    preferences still name are kept (IN_USE): clear or replace the preferences first. The
    allocation stays until a new run replaces it; the bumped revision fences a running run."""
    row = get(conn, org_id, campaign_id, lock=True)
    _require(row, REPLACEABLE, f"clear {kind}")
    mine = preferences.c.campaign_id == campaign_id
    if kind == "opportunities" and conn.execute(select(preferences.c.id).where(mine).limit(1)).first():
        raise Conflict(
            "preferences name these opportunities; clear or replace the preferences first",
            field="opportunity_id",
            code="IN_USE",
        )
    table = _INPUT_TABLES[kind]
    removed = conn.execute(delete(table).where(table.c.campaign_id == campaign_id)).rowcount
    _inputs_changed(conn, campaign_id)
    return int(removed)


_ADD_ANY = {
    "opportunities": add_opportunities,
    "preferences": add_preferences,
    "participants": add_participants,
}


def replace_inputs(conn: Connection, org_id: int, campaign_id: int, kind: str, table: Table) -> int:
    """Replace every uploaded row of ``kind`` by ``table`` in the caller's one transaction (until
    finalized); a refusal leaves the old rows. New opportunities must still hold every one that
    stored preferences name (IN_USE, naming it)."""
    row = get(conn, org_id, campaign_id, lock=True)
    _require(row, REPLACEABLE, f"replace {kind}")
    stored = _INPUT_TABLES[kind]
    conn.execute(delete(stored).where(stored.c.campaign_id == campaign_id))
    added = _ADD_ANY[kind](conn, org_id, campaign_id, table, allowed=REPLACEABLE)
    if kind == "opportunities":
        known = select(campaign_opportunities.c.opportunity_id).where(
            campaign_opportunities.c.campaign_id == campaign_id
        )
        missing = conn.execute(
            select(preferences.c.opportunity_id)
            .where(preferences.c.campaign_id == campaign_id, preferences.c.opportunity_id.not_in(known))
            .limit(1)
        ).scalar()
        if missing is not None:
            raise Conflict(
                f"preferences name opportunity '{missing}', which this file does not have; "
                "replace the preferences first (or keep the opportunity)",
                field="opportunity_id",
                code="IN_USE",
            )
    return added


# --- allocation -----------------------------------------------------------------------------
def _opportunity_table(conn: Connection, campaign_id: int) -> Table:
    opps = _stored_opportunities(conn, campaign_id)
    names = sorted({k for o in opps for k in (o.attributes or {})})
    columns: dict[str, list[Any]] = {
        "opportunity_id": [o.opportunity_id for o in opps],
        "capacity": [o.capacity for o in opps],
        "title": [o.title or "" for o in opps],
    }
    for name in names:
        columns[name] = [(o.attributes or {}).get(name, "") for o in opps]
    return _string_table(columns, "campaign opportunities")


def build_problem(conn: Connection, campaign_id: int, options: Options) -> Problem:
    """The campaign as an engine Problem, read back through the engine's own table reader, so
    every column the engine understands (category, min_size, group, …) takes effect."""
    mode = conn.execute(select(campaigns.c.mode).where(campaigns.c.id == campaign_id)).scalar_one()
    regs = conn.execute(
        select(preferences.c.participant_id, preferences.c.opportunity_id, preferences.c[mode])
        # Not the registrations finalize adds for unlisted seats: they carry no rank or score.
        .where(preferences.c.campaign_id == campaign_id, preferences.c[mode].is_not(None))
        .order_by(preferences.c.id)
    ).all()
    prefs = _string_table(
        {
            "participant_id": [r[0] for r in regs],
            "opportunity_id": [r[1] for r in regs],
            mode: [r[2] for r in regs],
        },
        "preferences",
    )
    people = conn.execute(
        select(campaign_participants.c.participant_id, campaign_participants.c.attributes).where(
            campaign_participants.c.campaign_id == campaign_id
        )
    ).all()
    participants = None
    if people:
        # Registered people without an uploaded row take part with empty attributes.
        attrs = {str(p): a for p, a in people}
        for pid in dict.fromkeys(r[0] for r in regs):
            attrs.setdefault(pid, {})
        names = sorted({k for a in attrs.values() for k in a})
        columns: dict[str, list[Any]] = {"participant_id": list(attrs)}
        for name in names:
            columns[name] = [a.get(name, "") for a in attrs.values()]
        participants = _string_table(columns, "campaign participants")
    return Problem.from_tables(_opportunity_table(conn, campaign_id), prefs, participants, options)


def save_allocation(
    conn: Connection, campaign_id: int, run_id: int, pairs: list[tuple[str, str]], *, read_revision: int
) -> None:
    """Replace the campaign's allocation in one transaction; refuses once finalized, and when
    the campaign's inputs changed since the run read them at ``read_revision`` (someone withdrew,
    registered or uploaded meanwhile: the result may seat people who are gone)."""
    found = conn.execute(select(campaigns).where(campaigns.c.id == campaign_id).with_for_update())
    mapping = found.mappings().one()
    row = _campaign(mapping)
    _require(row, ALLOCATABLE, "store an allocation")
    if int(mapping["inputs_revision"]) != read_revision:
        raise Conflict(
            "the campaign's opportunities or registrations changed while this run was computing; "
            "its result was not stored (allocate again)",
            code="CAMPAIGN_CHANGED",
        )
    conn.execute(delete(assignments).where(assignments.c.campaign_id == campaign_id))
    bulk.insert(
        conn,
        assignments,
        {
            "campaign_id": bulk.const(campaign_id),
            "participant_id": bulk.of(pa.array([p for p, _ in pairs], pa.string())),
            "opportunity_id": bulk.of(pa.array([o for _, o in pairs], pa.string())),
            "manual": bulk.const(False),
        },
        len(pairs),
    )
    _touch(conn, campaign_id, status="allocated", allocation_run_id=run_id)


def allocation_rows(conn: Connection, org_id: int, campaign_id: int) -> tuple[CampaignRow, list[SeatRow]]:
    """Every registered participant once per seat, plus unassigned ones with no opportunity."""
    row = get(conn, org_id, campaign_id)
    column = row.mode
    seats = conn.execute(
        select(
            assignments.c.participant_id,
            assignments.c.opportunity_id,
            assignments.c.manual,
            preferences.c[column],
        )
        .select_from(
            assignments.outerjoin(
                preferences,
                (preferences.c.campaign_id == assignments.c.campaign_id)
                & (preferences.c.participant_id == assignments.c.participant_id)
                & (preferences.c.opportunity_id == assignments.c.opportunity_id),
            )
        )
        .where(assignments.c.campaign_id == campaign_id)
        .order_by(assignments.c.participant_id)
    ).all()
    out = [_seat(p, o, column, v, bool(m)) for p, o, m, v in seats]
    seated = {r.participant_id for r in out}
    everyone = conn.execute(
        select(preferences.c.participant_id)
        .where(preferences.c.campaign_id == campaign_id)
        .distinct()
        .order_by(preferences.c.participant_id)
    ).scalars()
    out += [_seat(p, None, column, None, False) for p in everyone if p not in seated]
    return row, out


def _seat(participant_id: str, opportunity_id: str | None, column: str, value: Any, manual: bool) -> SeatRow:
    rank, score = (value, None) if column == "rank" else (None, value)
    return SeatRow(participant_id, opportunity_id, rank, score, manual)


def move(conn: Connection, org_id: int, campaign_id: int, participant_id: str, target: str | None) -> None:
    """Move one participant by hand (``target`` None unseats them), never past capacity."""
    row = get(conn, org_id, campaign_id, lock=True)
    _require(row, ("allocated",), "move participants")
    check_move(conn, campaign_id, participant_id, target)
    mine = assignments.c.campaign_id == campaign_id
    conn.execute(delete(assignments).where(mine, assignments.c.participant_id == participant_id))
    if target is not None:
        conn.execute(
            assignments.insert().values(
                campaign_id=campaign_id, participant_id=participant_id, opportunity_id=target, manual=True
            )
        )
    _touch(conn, campaign_id)


def check_move(conn: Connection, campaign_id: int, participant_id: str, target: str | None) -> None:
    """Refuse a move of someone not registered (NOT_FOUND, saying how to add them), to an
    opportunity the campaign lacks, or into a full one (FULL)."""
    known = conn.execute(
        select(preferences.c.id)
        .where(preferences.c.campaign_id == campaign_id, preferences.c.participant_id == participant_id)
        .limit(1)
    ).first()
    if known is None:
        raise NotFoundError(
            f"no registered participant with id '{participant_id}'; add them first as a late "
            "participant with their preferences (a change of kind 'add')",
            field="participant_id",
        )
    mine = assignments.c.campaign_id == campaign_id
    if target is not None:
        cap = conn.execute(
            select(campaign_opportunities.c.capacity).where(
                campaign_opportunities.c.campaign_id == campaign_id,
                campaign_opportunities.c.opportunity_id == target,
            )
        ).scalar()
        if cap is None:
            raise NotFound("opportunity", target, field="opportunity_id")
        taken = conn.execute(
            select(func.count()).where(
                mine, assignments.c.opportunity_id == target, assignments.c.participant_id != participant_id
            )
        ).scalar_one()
        if taken >= cap:
            raise Conflict(
                f"opportunity '{target}' is full ({cap} seats)", field="opportunity_id", code="FULL"
            )


def finalize(conn: Connection, org_id: int, campaign_id: int) -> None:
    """Seats become ``confirmed`` registrations, everything else ``rejected``; safe to repeat."""
    row = get(conn, org_id, campaign_id, lock=True)
    if row.status == "finalized":
        return
    _require(row, ("allocated",), "finalize")
    mark_outcomes(conn, campaign_id)
    _touch(conn, campaign_id, status="finalized")


def mark_outcomes(conn: Connection, campaign_id: int) -> None:
    """Seats become ``confirmed`` registrations, everything else ``rejected`` (again, after a
    change to a finalized campaign: registrations finalize added earlier are made afresh)."""
    _drop_added_by_finalize(conn, campaign_id)
    seated, registered = _seated(campaign_id), _registered(campaign_id)
    mine = preferences.c.campaign_id == campaign_id
    conn.execute(update(preferences).where(mine, seated.exists()).values(status="confirmed"))
    conn.execute(update(preferences).where(mine, ~seated.exists()).values(status="rejected"))
    # A seat nobody registered for (a manual move, or fill_unlisted) is confirmed too: as a
    # registration without rank or score, so every seat has a confirmed registration.
    unlisted = select(
        assignments.c.campaign_id,
        assignments.c.participant_id,
        assignments.c.opportunity_id,
        literal("confirmed"),
    ).where(assignments.c.campaign_id == campaign_id, ~registered.exists())
    conn.execute(
        insert(preferences).from_select(
            ["campaign_id", "participant_id", "opportunity_id", "status"], unlisted
        )
    )


def _drop_added_by_finalize(conn: Connection, campaign_id: int) -> None:
    """The registrations finalize added for unlisted seats: the only ones without rank or score."""
    p = preferences.c
    conn.execute(delete(preferences).where(p.campaign_id == campaign_id, p.rank.is_(None), p.score.is_(None)))


def unfinalize(conn: Connection, campaign_id: int) -> None:
    """Undo ``finalize`` exactly: registrations back to pending, the ones it added gone, the
    campaign allocated again (the caller checks that undoing is still allowed)."""
    _drop_added_by_finalize(conn, campaign_id)
    conn.execute(update(preferences).where(preferences.c.campaign_id == campaign_id).values(status="pending"))
    _touch(conn, campaign_id, status="allocated")


def set_capacity(conn: Connection, campaign_id: int, opportunity_id: str, capacity: int) -> int:
    """Set one opportunity's capacity; its capacity before (NotFound for an unknown id)."""
    o = campaign_opportunities.c
    mine = (o.campaign_id == campaign_id) & (o.opportunity_id == opportunity_id)
    before = conn.execute(select(o.capacity).where(mine)).scalar()
    if before is None:
        raise NotFound("opportunity", opportunity_id, field="opportunity_id")
    conn.execute(update(campaign_opportunities).where(mine).values(capacity=capacity))
    _inputs_changed(conn, campaign_id)
    return int(before)


def inputs_changed(conn: Connection, campaign_id: int) -> None:
    """Bump the inputs' revision (a change made outside this module, such as a rollback's capacities)."""
    _inputs_changed(conn, campaign_id)


def _seated(campaign_id: int) -> Any:
    """Correlated: the registration (``preferences`` row) has a seat in the allocation."""
    return select(assignments.c.id).where(
        assignments.c.campaign_id == campaign_id,
        assignments.c.participant_id == preferences.c.participant_id,
        assignments.c.opportunity_id == preferences.c.opportunity_id,
    )


def _registered(campaign_id: int) -> Any:
    """Correlated: the seat (``assignments`` row) has a registration behind it."""
    return select(preferences.c.id).where(
        preferences.c.campaign_id == campaign_id,
        preferences.c.participant_id == assignments.c.participant_id,
        preferences.c.opportunity_id == assignments.c.opportunity_id,
    )


def finalize_preview(conn: Connection, org_id: int, campaign_id: int) -> FinalizePreview:
    """What ``finalize`` would do now, counted with its own conditions (nothing is changed)."""
    get(conn, org_id, campaign_id)  # NotFound for another organization's campaign
    mine = preferences.c.campaign_id == campaign_id
    seated = _seated(campaign_id).exists()

    def count(q: Any) -> int:
        return int(conn.execute(q).scalar_one())

    return FinalizePreview(
        confirm=count(select(func.count()).select_from(preferences).where(mine, seated)),
        confirm_unlisted=count(
            select(func.count())
            .select_from(assignments)
            .where(assignments.c.campaign_id == campaign_id, ~_registered(campaign_id).exists())
        ),
        reject=count(select(func.count()).select_from(preferences).where(mine, ~seated)),
        without_seat=count(
            select(func.count(func.distinct(preferences.c.participant_id))).where(
                mine,
                ~select(assignments.c.id)
                .where(
                    assignments.c.campaign_id == campaign_id,
                    assignments.c.participant_id == preferences.c.participant_id,
                )
                .exists(),
            )
        ),
    )


def count_by_status(conn: Connection, org_id: int) -> dict[str, int]:
    """The organization's campaigns per status."""
    q = (
        select(campaigns.c.status, func.count())
        .where(campaigns.c.org_id == org_id)
        .group_by(campaigns.c.status)
    )
    return {str(s): int(n) for s, n in conn.execute(q)}
