"""Community matching data: opportunities with stored demand, participants, feedback and RSVPs.

Demand and seats are read-modify-write updates; each runs in one write transaction that first
locks the opportunity row (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so
concurrent requests never lose an update or over-fill an opportunity.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from flok.store.errors import Conflict, NotFound
from flok.store.rows import OpportunityRow, ParticipantRow
from flok.store.tables import (
    feedback_events,
    opportunities,
    organizations,
    participants,
    rsvp_cancellations,
    rsvps,
    suggestions,
)
from flok.store.types import utcnow

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
    if changes:
        conn.execute(update(opportunities).where(opportunities.c.id == row.id).values(**changes))
        _catalog_changed(conn, org_id)
    return get_opportunity(conn, org_id, opportunity_id)


def delete_opportunity(conn: Connection, org_id: int, opportunity_id: str) -> None:
    """Delete an opportunity nobody holds a seat of; with confirmed seats it is refused
    (``HAS_CONFIRMED``, naming how many): their holders were promised it, so their RSVPs are
    cancelled first, one by one, by someone who can tell them."""
    row = get_opportunity(conn, org_id, opportunity_id, lock=True)
    if row.confirmed:
        raise Conflict(
            f"opportunity '{opportunity_id}' has {row.confirmed} confirmed seat(s); cancel those RSVPs "
            "before deleting it",
            field="opportunity_id",
            code="HAS_CONFIRMED",
        )
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
    conn: Connection,
    org_id: int,
    participant_id: str,
    *,
    field: str | None = None,
    lock: Literal["update", "key share"] | None = None,
) -> ParticipantRow:
    """One participant; ``lock`` takes a row lock on PostgreSQL: "update" to delete them,
    "key share" to give them a seat (which then waits for, or fails after, a deletion)."""
    q = select(participants).where(
        participants.c.org_id == org_id, participants.c.participant_id == participant_id
    )
    if lock is not None:
        q = q.with_for_update(key_share=lock == "key share")
    row = conn.execute(q).mappings().first()
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


def delete_participant(conn: Connection, org_id: int, participant_id: str) -> list[str]:
    """Delete a participant, giving back their confirmed seats (each recorded in
    ``rsvp_cancellations``) and dropping their suggestions, so a participant created again
    with the same id starts clean; the ids of the opportunities whose seats were freed.

    Locks: the participant first, then their opportunities in row-id order -- the order
    ``rsvp`` takes them in too, so the two never deadlock, and no seat is given to a
    participant being deleted. Seats are counted down by the RSVPs actually deleted, so a
    cancellation committed meanwhile is not counted twice.
    """
    row = get_participant(conn, org_id, participant_id, lock="update")
    mine = (rsvps.c.org_id == org_id) & (rsvps.c.participant_id == participant_id)
    held = select(rsvps.c.opportunity).where(mine)
    conn.execute(
        select(opportunities.c.id)
        .where(opportunities.c.id.in_(held))
        .order_by(opportunities.c.id)
        .with_for_update()
    )
    freed = [int(o) for o in conn.execute(delete(rsvps).where(mine).returning(rsvps.c.opportunity)).scalars()]
    names: list[str] = []
    if freed:
        freed_ids = opportunities.c.id.in_(freed)
        conn.execute(update(opportunities).where(freed_ids).values(confirmed=opportunities.c.confirmed - 1))
        names = sorted(conn.execute(select(opportunities.c.opportunity_id).where(freed_ids)).scalars())
        now = utcnow()
        conn.execute(
            rsvp_cancellations.insert(),
            [
                {
                    "org_id": org_id,
                    "opportunity_id": name,
                    "participant_id": participant_id,
                    "reason": "participant deleted",
                    "cancelled_at": now,
                }
                for name in names
            ],
        )
    conn.execute(
        delete(suggestions).where(
            suggestions.c.org_id == org_id, suggestions.c.participant_id == participant_id
        )
    )
    conn.execute(delete(participants).where(participants.c.id == row.id))
    return names


def cancellations(conn: Connection, org_id: int, participant_id: str) -> list[tuple[str, str]]:
    """(opportunity id, reason) of each seat given back for a participant, oldest first."""
    q = (
        select(rsvp_cancellations.c.opportunity_id, rsvp_cancellations.c.reason)
        .where(rsvp_cancellations.c.org_id == org_id, rsvp_cancellations.c.participant_id == participant_id)
        .order_by(rsvp_cancellations.c.id)
    )
    return [(str(o), str(r)) for o, r in conn.execute(q)]


# --- RSVPs ----------------------------------------------------------------------------------
def rsvp(
    conn: Connection, org_id: int, opportunity_id: str, participant_id: str
) -> tuple[OpportunityRow, bool]:
    """Confirm a seat; (opportunity, created). Full → Conflict ``FULL``; repeating is harmless.

    The participant is locked first (key share: many seats at once, but not while they are
    being deleted), then the opportunity, as ``delete_participant`` does."""
    get_participant(
        conn, org_id, participant_id, field="participant_id", lock="key share"
    )  # only known people
    opp = get_opportunity(conn, org_id, opportunity_id, lock=True)
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


def participant_facts(conn: Connection, org_id: int) -> list[tuple[str, datetime, bool]]:
    """(participant id, joined, first-timer) of every participant: what the metrics need."""
    q = (
        select(participants.c.participant_id, participants.c.created_at, participants.c.first_timer)
        .where(participants.c.org_id == org_id)
        .order_by(participants.c.id)
    )
    return [(str(p), at, bool(f)) for p, at, f in conn.execute(q)]


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
