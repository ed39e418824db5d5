"""Community use cases: opportunities and participants (create, read, change, delete) and RSVPs.

An opportunity is returned with what changes all the time worked out once, here: its demand
decayed to now, its pulse and its labels, so the API and the dashboard show the same numbers.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from flok.app.campaigns import refuse_too_many_rows
from flok.app.fields import check_place_and_time
from flok.app.market import demand_now, pulse_of
from flok.app.state import State
from flok.errors import ConflictError, InputError
from flok.io.community import participants_from_table
from flok.pulse import labels
from flok.store import attempts
from flok.store import community as repo
from flok.store.db import Transaction
from flok.store.rows import OpportunityRow, ParticipantRow
from flok.table import Table

log = logging.getLogger("flok.app")


@dataclass(frozen=True)
class OpportunityView:
    opportunity_id: str
    capacity: int
    title: str | None
    start: datetime | None
    end: datetime | None
    lat: float | None
    lon: float | None
    tags: list[str]
    confirmed: int
    seats_left: int
    demand: float  # stored decayed demand D at demand_at (its t_ref)
    demand_at: datetime | None
    demand_now: float
    pulse: float | None  # of the demand now (None: no seats, undefined)
    labels: list[str]  # of the demand now


@dataclass(frozen=True)
class RsvpView:
    opportunity_id: str
    participant_id: str
    status: str  # confirmed | cancelled
    confirmed: int
    seats_left: int
    created: bool = False  # a new seat (False: it was confirmed already, or this is a cancellation)


def opportunity_view(state: State, row: OpportunityRow) -> OpportunityView:
    cfg = state.pulse
    at = time.time()
    now = demand_now(row, at, cfg)
    pulse_now = pulse_of(now, int(row.capacity), int(row.confirmed), row.start, at, cfg)
    return OpportunityView(
        opportunity_id=row.opportunity_id,
        capacity=row.capacity,
        title=row.title,
        start=row.start,
        end=row.end,
        lat=row.lat,
        lon=row.lon,
        tags=row.tags,
        confirmed=row.confirmed,
        seats_left=max(0, row.capacity - row.confirmed),
        demand=float(row.demand),
        demand_at=None if row.t_ref is None else datetime.fromtimestamp(row.t_ref, UTC),
        demand_now=now,
        pulse=None if math.isnan(pulse_now) else pulse_now,
        labels=labels(pulse_now, int(row.capacity), int(row.confirmed), cfg),
    )


# --- opportunities --------------------------------------------------------------------------
def _where_and_when(row: OpportunityRow | ParticipantRow) -> dict[str, Any]:
    """The stored fields ``check_place_and_time`` looks at."""
    return {
        "start": getattr(row, "start", None),
        "end": getattr(row, "end", None),
        "lat": row.lat,
        "lon": row.lon,
    }


def create_opportunity(state: State, org: int, data: dict[str, Any]) -> OpportunityView:
    check_place_and_time(data, "opportunity")
    with state.db.write() as conn:
        row = repo.create_opportunity(conn, org, data)
    return opportunity_view(state, row)


def list_opportunities(
    state: State, org: int, *, limit: int | None = None, offset: int = 0
) -> list[OpportunityView]:
    with state.db.read() as conn:
        rows = repo.list_opportunities(conn, org, limit=limit, offset=offset)
    return [opportunity_view(state, r) for r in rows]


def get_opportunity(state: State, org: int, opportunity_id: str) -> OpportunityView:
    with state.db.read() as conn:
        return opportunity_view(state, repo.get_opportunity(conn, org, opportunity_id))


def change_opportunity(
    state: State, org: int, opportunity_id: str, changes: dict[str, Any]
) -> OpportunityView:
    """Apply ``changes``; the opportunity with them must keep the rules a new one keeps."""
    with state.db.write() as conn:
        stored = repo.get_opportunity(conn, org, opportunity_id, lock=True)
        check_place_and_time({**_where_and_when(stored), **changes}, "opportunity")
        row = repo.patch_opportunity(conn, org, opportunity_id, changes)
    return opportunity_view(state, row)


def delete_opportunity(state: State, org: int, opportunity_id: str) -> None:
    """Refused (409 ``HAS_CONFIRMED``, naming how many) while anyone holds a seat of it."""
    with state.db.write() as conn:
        repo.delete_opportunity(conn, org, opportunity_id)


# --- RSVPs ----------------------------------------------------------------------------------
def _rsvp(row: OpportunityRow, participant_id: str, status: str, created: bool = False) -> RsvpView:
    seats_left = max(0, row.capacity - row.confirmed)
    return RsvpView(row.opportunity_id, participant_id, status, row.confirmed, seats_left, created)


def try_rsvp(
    conn: Transaction, org: int, opportunity_id: str, participant_id: str
) -> tuple[OpportunityRow, bool] | ConflictError:
    """One RSVP attempt in the caller's transaction, recorded with its outcome
    (``flok.store.attempts``): (opportunity, created), or the ``FULL`` refusal, returned rather
    than raised so the transaction that records it commits. A repeat of a confirmed RSVP is no
    attempt. A refusal writes nothing else: the store checks the seats before it writes."""
    try:
        row, created = repo.rsvp(conn, org, opportunity_id, participant_id)
    except ConflictError as exc:
        if exc.code != "FULL":
            raise
        attempts.record(conn, org, opportunity_id, participant_id, refused=True)
        return exc
    if created:
        attempts.record(conn, org, opportunity_id, participant_id, refused=False)
    return row, created


def rsvp(state: State, org: int, opportunity_id: str, participant_id: str) -> RsvpView:
    """Confirm a seat; ``created`` False when it was confirmed already. Full: ConflictError FULL
    (the refusal recorded first: it is the fact the oversubscription rate counts)."""
    with state.db.write() as conn:
        outcome = try_rsvp(conn, org, opportunity_id, participant_id)
    if isinstance(outcome, ConflictError):
        raise outcome
    row, created = outcome
    return _rsvp(row, participant_id, "confirmed", created)


def cancel_rsvp(state: State, org: int, opportunity_id: str, participant_id: str) -> RsvpView:
    """Give the seat back; it is free for the next RSVP at once."""
    with state.db.write() as conn:
        row = repo.cancel_rsvp(conn, org, opportunity_id, participant_id)
    return _rsvp(row, participant_id, "cancelled")


# --- participants ---------------------------------------------------------------------------
def create_participant(state: State, org: int, data: dict[str, Any]) -> ParticipantRow:
    check_place_and_time(data, "participant")
    with state.db.write() as conn:
        return repo.create_participant(conn, org, data)


def list_participants(
    state: State, org: int, *, limit: int | None = None, offset: int = 0
) -> list[ParticipantRow]:
    with state.db.read() as conn:
        return repo.list_participants(conn, org, limit=limit, offset=offset)


def get_participant(state: State, org: int, participant_id: str) -> ParticipantRow:
    with state.db.read() as conn:
        return repo.get_participant(conn, org, participant_id)


def change_participant(
    state: State, org: int, participant_id: str, changes: dict[str, Any]
) -> ParticipantRow:
    """Apply ``changes``; the participant with them must keep the rules a new one keeps."""
    with state.db.write() as conn:
        stored = repo.get_participant(conn, org, participant_id, lock="update")
        check_place_and_time({**_where_and_when(stored), **changes}, "participant")
        return repo.patch_participant(conn, org, participant_id, changes)


def delete_participant(state: State, org: int, participant_id: str) -> list[str]:
    """Delete a participant; their confirmed seats are given back (free for the next RSVP at
    once) and recorded. The ids of the opportunities whose seats were freed."""
    with state.db.write() as conn:
        freed = repo.delete_participant(conn, org, participant_id)
    if freed:
        log.info("participant '%s' deleted: seats given back on %s", participant_id, ", ".join(freed))
    return freed


def participant_records(table: Table) -> list[dict[str, Any]]:
    """An uploaded ``participants.csv`` (docs/pulse.md: interests, lat, lon, availability,
    first_timer) as the records ``POST /participants`` stores, validated by the library's reader
    (errors name file, row and field)."""
    profiles = participants_from_table(table)
    records = []
    for i, pid in enumerate(profiles.ids):
        starts, ends = profiles.avail_start[i], profiles.avail_end[i]
        used = ~np.isnan(starts)
        lat, lon = float(profiles.lat[i]), float(profiles.lon[i])
        records.append(
            {
                "participant_id": str(pid),
                "interests": [str(t) for t in profiles.interests[i].as_py()],
                "lat": None if math.isnan(lat) else lat,
                "lon": None if math.isnan(lon) else lon,
                "availability": [
                    {"start": _iso(a), "end": _iso(b)} for a, b in zip(starts[used], ends[used], strict=True)
                ],
                "first_timer": bool(profiles.first_timer[i]),
            }
        )
    return records


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(float(epoch), UTC).isoformat()


def upload_participants(state: State, org: int, table: Table, *, source: str = "participants") -> int:
    """Create every participant of an uploaded table in one transaction (all or nothing); how many.

    A participant that exists already is refused (409 ``DUPLICATE``) naming its row."""
    refuse_too_many_rows(state, table.num_rows, source)
    records = participant_records(table)
    for i, record in enumerate(records):
        try:
            check_place_and_time(record, "participant")
        except InputError as exc:
            raise table.error(i, exc.field, exc.message) from None
    with state.db.write() as conn:
        for i, record in enumerate(records):
            try:
                repo.create_participant(conn, org, record)
            except ConflictError as exc:
                raise ConflictError(exc.message, field=exc.field, row=table.row(i), code=exc.code) from None
    return len(records)


def cancellations(state: State, org: int, participant_id: str) -> list[tuple[str, str]]:
    """(opportunity id, reason) of the seats given back for a participant who was deleted."""
    with state.db.read() as conn:
        return repo.cancellations(conn, org, participant_id)
