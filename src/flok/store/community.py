"""Community matching data: opportunities with stored demand, participants, feedback and RSVPs.

Demand and seats are read-modify-write updates; each runs in one write transaction that first
locks the opportunity row (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so
concurrent requests never lose an update or over-fill an opportunity.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from flok.store.errors import Conflict, NotFound
from flok.store.rows import OpportunityRow, ParticipantRow
from flok.store.tables import feedback_events, opportunities, organizations, participants, rsvps, suggestions
from flok.store.types import utcnow
from flok.windows import END_BEFORE_START, is_backwards

OPPORTUNITY_FIELDS = ("capacity", "title", "start", "end", "lat", "lon", "tags")


# --- opportunities --------------------------------------------------------------------------
def create_opportunity(conn: Connection, org_id: int, data: dict[str, Any]) -> OpportunityRow:
    try:
        with conn.begin_nested():
            conn.execute(
                opportunities.insert().values(
                    org_id=org_id, demand=0.0, t_ref=None, confirmed=0, created_at=utcnow(), **data
                )
            )
    except IntegrityError:
        raise Conflict(
            f"opportunity '{data['opportunity_id']}' already exists", field="opportunity_id", code="DUPLICATE"
        ) from None
    _catalog_changed(conn, org_id)
    return get_opportunity(conn, org_id, data["opportunity_id"])


def get_opportunity(
    conn: Connection, org_id: int, opportunity_id: str, *, lock: bool = False
) -> OpportunityRow:
    q = select(opportunities).where(
        opportunities.c.org_id == org_id, opportunities.c.opportunity_id == opportunity_id
    )
    row = conn.execute(q.with_for_update() if lock else q).mappings().first()
    if row is None:
        raise NotFound("opportunity", opportunity_id)
    return OpportunityRow.of(row)


def list_opportunities(
    conn: Connection, org_id: int, *, limit: int | None = None, offset: int = 0
) -> list[OpportunityRow]:
    q = (
        select(opportunities)
        .where(opportunities.c.org_id == org_id)
        .order_by(opportunities.c.id)
        .offset(offset)
    )
    if limit is not None:
        q = q.limit(limit)
    return [OpportunityRow.of(r) for r in conn.execute(q).mappings()]


def patch_opportunity(
    conn: Connection, org_id: int, opportunity_id: str, changes: dict[str, Any]
) -> OpportunityRow:
    row = get_opportunity(conn, org_id, opportunity_id, lock=True)
    cap = changes.get("capacity")
    if cap is not None and cap < row.confirmed:
        raise Conflict(
            f"capacity {cap} is below the {row.confirmed} confirmed seats",
            field="capacity",
            code="BELOW_CONFIRMED",
        )
    start, end = changes.get("start", row.start), changes.get("end", row.end)
    if is_backwards(start, end):
        raise Conflict(END_BEFORE_START, field="end", code="INVALID_WINDOW")
    if changes:
        conn.execute(update(opportunities).where(opportunities.c.id == row.id).values(**changes))
        _catalog_changed(conn, org_id)
    return get_opportunity(conn, org_id, opportunity_id)


def delete_opportunity(conn: Connection, org_id: int, opportunity_id: str) -> None:
    row = get_opportunity(conn, org_id, opportunity_id, lock=True)
    conn.execute(delete(opportunities).where(opportunities.c.id == row.id))
    _catalog_changed(conn, org_id)


def _catalog_changed(conn: Connection, org_id: int) -> None:
    """Every create, change or delete of an opportunity moves its organization's catalog version."""
    conn.execute(
        update(organizations)
        .where(organizations.c.id == org_id)
        .values(catalog_version=organizations.c.catalog_version + 1)
    )


def catalog_version(conn: Connection, org_id: int) -> int:
    q = select(organizations.c.catalog_version).where(organizations.c.id == org_id)
    return int(conn.execute(q).scalar_one())


_LIVE_STATE = (
    select(opportunities.c.id, opportunities.c.demand, opportunities.c.t_ref, opportunities.c.confirmed)
    .where(opportunities.c.org_id == bindparam("org"))
    .order_by(opportunities.c.id)
)


def live_state(conn: Connection, org_id: int) -> list[tuple[int, float, float | None, int]]:
    """``(row id, demand, t_ref, confirmed)`` of every opportunity: the part that changes all the time."""
    return [(int(i), float(d), t, int(c)) for i, d, t, c in conn.execute(_LIVE_STATE, {"org": org_id})]


# --- participants ---------------------------------------------------------------------------
def create_participant(conn: Connection, org_id: int, data: dict[str, Any]) -> ParticipantRow:
    try:
        with conn.begin_nested():
            conn.execute(participants.insert().values(org_id=org_id, created_at=utcnow(), **data))
    except IntegrityError:
        raise Conflict(
            f"participant '{data['participant_id']}' already exists", field="participant_id", code="DUPLICATE"
        ) from None
    return get_participant(conn, org_id, data["participant_id"])


def get_participant(
    conn: Connection, org_id: int, participant_id: str, *, field: str | None = None
) -> ParticipantRow:
    row = (
        conn.execute(
            select(participants).where(
                participants.c.org_id == org_id, participants.c.participant_id == participant_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("participant", participant_id, field=field)
    return ParticipantRow.of(row)


def list_participants(
    conn: Connection, org_id: int, *, limit: int | None = None, offset: int = 0
) -> list[ParticipantRow]:
    q = select(participants).where(participants.c.org_id == org_id).order_by(participants.c.id).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return [ParticipantRow.of(r) for r in conn.execute(q).mappings()]


def patch_participant(
    conn: Connection, org_id: int, participant_id: str, changes: dict[str, Any]
) -> ParticipantRow:
    row = get_participant(conn, org_id, participant_id)
    if changes:
        conn.execute(update(participants).where(participants.c.id == row.id).values(**changes))
    return get_participant(conn, org_id, participant_id)


def delete_participant(conn: Connection, org_id: int, participant_id: str) -> None:
    row = get_participant(conn, org_id, participant_id)
    conn.execute(delete(participants).where(participants.c.id == row.id))


# --- RSVPs ----------------------------------------------------------------------------------
def rsvp(
    conn: Connection, org_id: int, opportunity_id: str, participant_id: str
) -> tuple[OpportunityRow, bool]:
    """Confirm a seat; (opportunity, created). Full → Conflict ``FULL``; repeating is harmless."""
    opp = get_opportunity(conn, org_id, opportunity_id, lock=True)
    get_participant(conn, org_id, participant_id, field="participant_id")  # only known people
    mine = (rsvps.c.opportunity == opp.id) & (rsvps.c.participant_id == participant_id)
    if conn.execute(select(rsvps.c.id).where(mine)).first() is not None:
        return opp, False
    if opp.confirmed >= opp.capacity:
        raise Conflict(
            f"opportunity '{opportunity_id}' is full ({opp.capacity} seats)",
            field="opportunity_id",
            code="FULL",
        )
    conn.execute(
        rsvps.insert().values(
            org_id=org_id, opportunity=opp.id, participant_id=participant_id, created_at=utcnow()
        )
    )
    conn.execute(
        update(opportunities)
        .where(opportunities.c.id == opp.id)
        .values(confirmed=opportunities.c.confirmed + 1)
    )
    return get_opportunity(conn, org_id, opportunity_id), True


def cancel_rsvp(conn: Connection, org_id: int, opportunity_id: str, participant_id: str) -> OpportunityRow:
    opp = get_opportunity(conn, org_id, opportunity_id, lock=True)
    gone = conn.execute(
        delete(rsvps).where(rsvps.c.opportunity == opp.id, rsvps.c.participant_id == participant_id)
    )
    if gone.rowcount == 0:
        raise NotFound("RSVP of participant", participant_id, field="participant_id")
    conn.execute(
        update(opportunities)
        .where(opportunities.c.id == opp.id)
        .values(confirmed=opportunities.c.confirmed - 1)
    )
    return get_opportunity(conn, org_id, opportunity_id)


def attendance(conn: Connection, org_id: int, participant_id: str | None = None) -> list[tuple[str, int]]:
    """(participant_id, opportunity row id) of every confirmed RSVP (of one participant, if given)."""
    q = select(rsvps.c.participant_id, rsvps.c.opportunity).where(rsvps.c.org_id == org_id)
    if participant_id is not None:
        q = q.where(rsvps.c.participant_id == participant_id)
    return [(str(p), int(o)) for p, o in conn.execute(q)]


def event_count(conn: Connection, org_id: int) -> int:
    return int(conn.execute(select(func.count()).where(feedback_events.c.org_id == org_id)).scalar_one())


# --- suggestions (written by a rebalance run) -----------------------------------------------
SUGGESTIONS_LOCK = 7318203  # advisory lock class (with the organization's id) of suggestion writes


def replace_suggestions(conn: Connection, org_id: int, rows: list[dict[str, Any]]) -> None:
    """The organization's suggested seats, replaced whole by the latest rebalance.

    Concurrent rebalances of one organization replace them one after another: without that,
    two transactions both delete (nothing the other committed yet), then both insert the same
    (participant, opportunity) and one fails on the unique key. On PostgreSQL an advisory lock
    per organization does it (only this write takes it, so it cannot deadlock with the row
    locks of opportunity edits); SQLite runs one write transaction at a time anyway.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(SUGGESTIONS_LOCK, org_id)))
    conn.execute(delete(suggestions).where(suggestions.c.org_id == org_id))
    if rows:
        conn.execute(suggestions.insert(), rows)


def suggested_opportunity(conn: Connection, org_id: int, participant_id: str) -> int | None:
    """Row id of the opportunity the latest rebalance suggested to this participant, if any."""
    found = conn.execute(
        select(suggestions.c.opportunity).where(
            suggestions.c.org_id == org_id, suggestions.c.participant_id == participant_id
        )
    ).scalar()
    return None if found is None else int(found)


def participant_count(conn: Connection, org_id: int) -> int:
    return int(conn.execute(select(func.count()).where(participants.c.org_id == org_id)).scalar_one())


def events_since(conn: Connection, org_id: int, horizon: float) -> list[tuple[int, float, float]]:
    """(opportunity row id, weight, at) of the organization's feedback events at or after ``horizon``."""
    rows = conn.execute(
        select(feedback_events.c.opportunity, feedback_events.c.weight, feedback_events.c.at).where(
            feedback_events.c.org_id == org_id, feedback_events.c.at >= horizon
        )
    )
    return [(int(o), float(w), float(t)) for o, w, t in rows]
