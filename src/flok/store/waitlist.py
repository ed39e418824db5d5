"""Waitlists, their places and seat offers of finalized campaigns (rules in ``flok.waitlist``).

Every function works inside the caller's transaction; ``flok.app.waitlist`` locks the campaign
row first (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so the counts read
here cannot change before the offers written from them are committed. The partial unique index
``uq_seat_offers_open`` backs that up: one open offer per participant and opportunity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from flok.store.errors import NotFound
from flok.store.rows import _Row
from flok.store.tables import (
    assignments,
    campaign_opportunities,
    campaigns,
    preferences,
    seat_offers,
    waitlist_entries,
    waitlists,
)


@dataclass(frozen=True)
class WaitlistRow(_Row):
    """A campaign's waitlist settings; ``started_at`` None until it is finalized."""

    campaign_id: int
    offer_hours: float
    seed: str | None
    started_at: datetime | None


@dataclass(frozen=True)
class EntryRow(_Row):
    """A participant's place on one opportunity's waitlist (``waiting`` or ``left``)."""

    participant_id: str
    opportunity_id: str
    rank: int | None
    score: float | None
    lottery: int
    status: str
    reason: str | None


@dataclass(frozen=True)
class OfferRow(_Row):
    """A seat offer and what became of it."""

    id: int
    campaign_id: int
    participant_id: str
    opportunity_id: str
    status: str
    reason: str | None
    released: str | None
    offered_at: datetime
    expires_at: datetime
    decided_at: datetime | None


# --- settings -------------------------------------------------------------------------------
def settings(conn: Connection, campaign_id: int) -> WaitlistRow | None:
    q = select(waitlists).where(waitlists.c.campaign_id == campaign_id)
    row = conn.execute(q).mappings().first()
    return None if row is None else WaitlistRow.of(row)


def set_offer_hours(conn: Connection, org_id: int, campaign_id: int, hours: float) -> None:
    """Create or change the campaign's accept-by delay (the caller holds the campaign's lock)."""
    if settings(conn, campaign_id) is None:
        conn.execute(insert(waitlists).values(campaign_id=campaign_id, org_id=org_id, offer_hours=hours))
    else:
        conn.execute(
            update(waitlists).where(waitlists.c.campaign_id == campaign_id).values(offer_hours=hours)
        )


def mark_started(conn: Connection, campaign_id: int, seed: str, now: datetime) -> None:
    conn.execute(
        update(waitlists).where(waitlists.c.campaign_id == campaign_id).values(seed=seed, started_at=now)
    )


def offers_made(conn: Connection, campaign_id: int) -> int:
    """How many seat offers the campaign ever made (any status)."""
    q = select(func.count()).select_from(seat_offers).where(seat_offers.c.campaign_id == campaign_id)
    return int(conn.execute(q).scalar() or 0)


def unstart(conn: Connection, campaign_id: int) -> None:
    """Undo :func:`mark_started` and the places it made (finalize undone before any offer)."""
    conn.execute(delete(waitlist_entries).where(waitlist_entries.c.campaign_id == campaign_id))
    conn.execute(
        update(waitlists).where(waitlists.c.campaign_id == campaign_id).values(seed=None, started_at=None)
    )


# --- what the rules read ----------------------------------------------------------------------
def unplaced_preferences(
    conn: Connection, campaign_id: int
) -> list[tuple[str, str, int | None, float | None]]:
    """(participant, opportunity, rank, score) of every preference of a participant without a seat."""
    pref = preferences.c
    seated = select(assignments.c.id).where(
        assignments.c.campaign_id == campaign_id, assignments.c.participant_id == pref.participant_id
    )
    q = (
        select(pref.participant_id, pref.opportunity_id, pref.rank, pref.score)
        .where(pref.campaign_id == campaign_id, ~seated.exists())
        .order_by(pref.id)
    )
    return [(str(p), str(o), r, s) for p, o, r, s in conn.execute(q)]


def add_entries(conn: Connection, campaign_id: int, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Places on waitlists: dicts of participant_id, opportunity_id, rank, score, lottery."""
    if rows:
        values = [{**r, "campaign_id": campaign_id, "status": "waiting", "updated_at": now} for r in rows]
        conn.execute(insert(waitlist_entries), values)


def capacities(conn: Connection, campaign_id: int) -> dict[str, int]:
    q = select(campaign_opportunities.c.opportunity_id, campaign_opportunities.c.capacity).where(
        campaign_opportunities.c.campaign_id == campaign_id
    )
    return {str(o): int(c) for o, c in conn.execute(q)}


def titles(conn: Connection, campaign_id: int) -> dict[str, str | None]:
    q = (
        select(campaign_opportunities.c.opportunity_id, campaign_opportunities.c.title)
        .where(campaign_opportunities.c.campaign_id == campaign_id)
        .order_by(campaign_opportunities.c.id)
    )
    return {str(o): t for o, t in conn.execute(q)}


def seated_counts(conn: Connection, campaign_id: int) -> dict[str, int]:
    q = (
        select(assignments.c.opportunity_id, func.count())
        .where(assignments.c.campaign_id == campaign_id)
        .group_by(assignments.c.opportunity_id)
    )
    return {str(o): int(n) for o, n in conn.execute(q)}


def _offers(conn: Connection, *where: Any) -> list[OfferRow]:
    q = select(seat_offers).where(*where).order_by(seat_offers.c.id)
    return [OfferRow.of(r) for r in conn.execute(q).mappings()]


def offers_by_id(conn: Connection, ids: Iterable[int]) -> list[OfferRow]:
    chosen = sorted(set(ids))
    return _offers(conn, seat_offers.c.id.in_(chosen)) if chosen else []


def open_offers(conn: Connection, campaign_id: int) -> list[OfferRow]:
    return _offers(conn, seat_offers.c.campaign_id == campaign_id, seat_offers.c.status == "open")


def overdue_offers(conn: Connection, campaign_id: int, now: datetime) -> list[OfferRow]:
    return _offers(
        conn,
        seat_offers.c.campaign_id == campaign_id,
        seat_offers.c.status == "open",
        seat_offers.c.expires_at <= now,
    )


def waiting(
    conn: Connection, campaign_id: int, opportunity_ids: Iterable[str] | None = None
) -> list[EntryRow]:
    """Waiting places (of the given opportunities; all when None), in no particular order."""
    e = waitlist_entries.c
    q = select(waitlist_entries).where(e.campaign_id == campaign_id, e.status == "waiting")
    if opportunity_ids is not None:
        q = q.where(e.opportunity_id.in_(sorted(set(opportunity_ids))))
    return [EntryRow.of(r) for r in conn.execute(q).mappings()]


def entries_of(conn: Connection, campaign_id: int, participant_id: str) -> list[EntryRow]:
    e = waitlist_entries.c
    q = select(waitlist_entries).where(e.campaign_id == campaign_id, e.participant_id == participant_id)
    return [EntryRow.of(r) for r in conn.execute(q).mappings()]


def all_entries(conn: Connection, campaign_id: int) -> list[EntryRow]:
    q = select(waitlist_entries).where(waitlist_entries.c.campaign_id == campaign_id)
    return [EntryRow.of(r) for r in conn.execute(q).mappings()]


# --- what the rules write ---------------------------------------------------------------------
def add_offers(
    conn: Connection,
    org_id: int,
    campaign_id: int,
    pairs: Sequence[tuple[str, str]],
    now: datetime,
    expires_at: datetime,
) -> list[OfferRow]:
    """Open one offer per (participant, opportunity); the offers made."""
    if not pairs:
        return []
    made = conn.execute(
        insert(seat_offers).returning(seat_offers.c.id),
        [
            {
                "org_id": org_id,
                "campaign_id": campaign_id,
                "participant_id": p,
                "opportunity_id": o,
                "status": "open",
                "offered_at": now,
                "expires_at": expires_at,
            }
            for p, o in pairs
        ],
    )
    return _offers(conn, seat_offers.c.id.in_([int(i) for i in made.scalars()]))


def close_offers(
    conn: Connection, ids: Iterable[int], status: str, reason: str | None, now: datetime
) -> None:
    """Open offers → ``status``; an offer no longer open is left as it is."""
    chosen = sorted(set(ids))
    if chosen:
        conn.execute(
            update(seat_offers)
            .where(seat_offers.c.id.in_(chosen), seat_offers.c.status == "open")
            .values(status=status, reason=reason, decided_at=now)
        )


def accepted(conn: Connection, offer_id: int, released: str | None, now: datetime) -> None:
    conn.execute(
        update(seat_offers)
        .where(seat_offers.c.id == offer_id)
        .values(status="accepted", released=released, decided_at=now)
    )


def leave(
    conn: Connection, campaign_id: int, pairs: Iterable[tuple[str, str]], reason: str, now: datetime
) -> None:
    """Waiting places (participant, opportunity) → ``left`` for ``reason``."""
    e = waitlist_entries.c
    for p, o in sorted(set(pairs)):
        conn.execute(
            update(waitlist_entries)
            .where(
                e.campaign_id == campaign_id,
                e.participant_id == p,
                e.opportunity_id == o,
                e.status == "waiting",
            )
            .values(status="left", reason=reason, updated_at=now)
        )


def leave_all(conn: Connection, campaign_id: int, participant_id: str, reason: str, now: datetime) -> None:
    e = waitlist_entries.c
    conn.execute(
        update(waitlist_entries)
        .where(e.campaign_id == campaign_id, e.participant_id == participant_id, e.status == "waiting")
        .values(status="left", reason=reason, updated_at=now)
    )


def get_offer(conn: Connection, org_id: int, campaign_id: int, offer_id: int) -> OfferRow:
    """An offer of the organization's campaign (another organization's: not found)."""
    found = _offers(
        conn,
        seat_offers.c.id == offer_id,
        seat_offers.c.campaign_id == campaign_id,
        seat_offers.c.org_id == org_id,
    )
    if not found:
        raise NotFound("offer", offer_id, field="offer_id")
    return found[0]


def seats_of(conn: Connection, campaign_id: int, participant_id: str) -> list[str]:
    q = select(assignments.c.opportunity_id).where(
        assignments.c.campaign_id == campaign_id, assignments.c.participant_id == participant_id
    )
    return [str(o) for o in conn.execute(q).scalars()]


def seat(conn: Connection, campaign_id: int, participant_id: str, opportunity_id: str) -> None:
    """Give the participant this seat instead of any other; registrations follow: confirmed
    for the seat, rejected for every other (so confirmed still means "holds this seat")."""
    mine = assignments.c.campaign_id == campaign_id
    conn.execute(delete(assignments).where(mine, assignments.c.participant_id == participant_id))
    conn.execute(
        insert(assignments).values(
            campaign_id=campaign_id,
            participant_id=participant_id,
            opportunity_id=opportunity_id,
            manual=False,
        )
    )
    pref = preferences.c
    theirs = and_(pref.campaign_id == campaign_id, pref.participant_id == participant_id)
    conn.execute(
        update(preferences).where(theirs, pref.opportunity_id == opportunity_id).values(status="confirmed")
    )
    conn.execute(
        update(preferences).where(theirs, pref.opportunity_id != opportunity_id).values(status="rejected")
    )


def remove_participant(conn: Connection, campaign_id: int, participant_id: str) -> tuple[list[str], int]:
    """Withdraw from a finalized campaign: seats and preferences go; (seats freed, preferences gone)."""
    freed = seats_of(conn, campaign_id, participant_id)
    conn.execute(
        delete(assignments).where(
            assignments.c.campaign_id == campaign_id, assignments.c.participant_id == participant_id
        )
    )
    removed = conn.execute(
        delete(preferences).where(
            preferences.c.campaign_id == campaign_id, preferences.c.participant_id == participant_id
        )
    ).rowcount
    return freed, int(removed)


# --- listings ---------------------------------------------------------------------------------
def list_offers(
    conn: Connection,
    campaign_id: int,
    *,
    status: str | None = None,
    participant_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[OfferRow], int]:
    """Offers of the campaign by id (newest last), a page of them, and how many match in all."""
    where = [seat_offers.c.campaign_id == campaign_id]
    if status is not None:
        where.append(seat_offers.c.status == status)
    if participant_id is not None:
        where.append(seat_offers.c.participant_id == participant_id)
    q = select(seat_offers).where(*where).order_by(seat_offers.c.id).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    rows = [OfferRow.of(r) for r in conn.execute(q).mappings()]
    return rows, int(conn.execute(select(func.count()).select_from(seat_offers).where(*where)).scalar_one())


def campaigns_with_overdue_offers(conn: Connection, now: datetime) -> list[tuple[int, int]]:
    """(organization, campaign) of every campaign with an open offer past its deadline (the sweep)."""
    q = (
        select(campaigns.c.org_id, campaigns.c.id)
        .where(
            select(seat_offers.c.id)
            .where(
                seat_offers.c.campaign_id == campaigns.c.id,
                seat_offers.c.status == "open",
                seat_offers.c.expires_at <= now,
            )
            .exists()
        )
        .order_by(campaigns.c.id)
    )
    return [(int(o), int(c)) for o, c in conn.execute(q)]
