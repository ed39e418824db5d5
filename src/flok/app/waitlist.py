"""Waitlist use cases after finalize: fill free seats, accept or decline an offer, withdraw.

One entry point does the offering: :func:`fill_free_seats` expires overdue offers, withdraws
offers above a cut capacity, and offers every free seat (capacity − seated − open offers) to
the next waiting participants, by the rules of ``flok.waitlist``. It is idempotent, so every
caller that may have freed a seat (a withdrawal, a capacity raised, an accepted or declined
offer, a read of the waitlist, the worker's periodic sweep) just calls it.

Concurrency: every function here locks the campaign row first (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers), the same lock ``move`` and
``finalize`` take. Counting free seats and writing offers happen under it, so two seats freed at
once are offered in turn, never one seat twice; an offer accepted twice finds it accepted the
second time and counts once. The partial unique index on open offers backs this up in the schema.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from flok import waitlist as rules
from flok.app import versioning
from flok.errors import ConflictError, InputError
from flok.store import campaigns as campaigns_repo
from flok.store import versions as versions_repo
from flok.store import waitlist as repo
from flok.store.db import Database, Transaction
from flok.store.errors import NotFound
from flok.store.types import utcnow
from flok.store.waitlist import EntryRow, OfferRow, WaitlistRow


class State(Protocol):
    """What these use cases need of ``flok.app.state.State``: its database. (A protocol, not an
    import: the worker's sweep calls this module, and State builds the worker's queue.)"""

    @property
    def db(self) -> Database: ...


DEFAULT_OFFER_HOURS = 48.0
MAX_OFFER_HOURS = 24.0 * 366  # a year and a day: longer is a typo, not a deadline


@dataclass(frozen=True)
class Filled:
    """What one fill did: offers expired, withdrawn above a cut capacity, and made."""

    expired: list[OfferRow] = field(default_factory=list)
    withdrawn: list[OfferRow] = field(default_factory=list)
    offered: list[OfferRow] = field(default_factory=list)


@dataclass(frozen=True)
class Place:
    """One waiting participant on one opportunity's waitlist, at ``position`` (1 = next)."""

    position: int
    participant_id: str
    rank: int | None
    score: float | None
    lottery: int
    offer: OfferRow | None


@dataclass(frozen=True)
class OpportunityWaitlist:
    """An opportunity's seats, open offers and queue (those waiting without an open offer first)."""

    opportunity_id: str
    title: str | None
    capacity: int
    seated: int
    offers: list[OfferRow]
    queue: list[Place]
    waiting: int  # the whole queue's length (``queue`` may be cut to a limit)

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.seated - len(self.offers))


@dataclass(frozen=True)
class WaitlistView:
    """A campaign's waitlists: the settings, and per opportunity its queue and open offers."""

    campaign_id: int
    status: str
    offer_hours: float
    seed: str | None
    started_at: datetime | None
    opportunities: list[OpportunityWaitlist]


@dataclass(frozen=True)
class Decision:
    """An accepted or declined offer; ``changed`` False when it had been decided so already."""

    offer: OfferRow
    changed: bool
    filled: Filled


def _clock(now: datetime | None) -> datetime:
    return utcnow() if now is None else now


def _entry(row: EntryRow) -> rules.Entry:
    return rules.Entry(
        row.participant_id, row.opportunity_id, rules.preference_of(row.rank, row.score), row.lottery
    )


def _offer_hours(conn: Transaction, campaign_id: int) -> float:
    found = repo.settings(conn, campaign_id)
    return DEFAULT_OFFER_HOURS if found is None else found.offer_hours


# --- starting at finalize ---------------------------------------------------------------------
def start(conn: Transaction, org: int, campaign_id: int, now: datetime | None = None) -> Filled:
    """Put every participant without a seat on the waitlists of the opportunities they listed
    (once: a repeated finalize changes nothing), then fill. Called by ``finalize`` in its
    transaction, after the registrations were confirmed or rejected.

    The lottery seed is the campaign's ``seed`` option when set, else a random one drawn here;
    either way it is stored with the waitlist, so the order can be recomputed and explained."""
    now = _clock(now)
    campaign = campaigns_repo.get(conn, org, campaign_id, lock=True)
    found = repo.settings(conn, campaign_id)
    if found is not None and found.started_at is not None:
        return fill_free_seats(conn, org, campaign_id, now)
    if found is None:
        repo.set_offer_hours(conn, org, campaign_id, DEFAULT_OFFER_HOURS)
    _, options = campaigns_repo.split_options(campaign.options)
    seed = str(options.seed) if options.seed is not None else str(secrets.randbits(rules.LOTTERY_BITS))
    forbidden = set(options.forbidden)
    rows = []
    for p, o, rank, score in repo.unplaced_preferences(conn, campaign_id):
        if (p, o) in forbidden or (score is not None and score < options.min_score):
            continue  # never acceptable to the allocation, so never offered either
        if rank is None and score is None:
            continue  # a seat's registration added at finalize, not a preference
        rows.append(
            {
                "participant_id": p,
                "opportunity_id": o,
                "rank": rank,
                "score": score,
                "lottery": rules.lottery_number(seed, p),
            }
        )
    repo.add_entries(conn, campaign_id, rows, now)
    repo.mark_started(conn, campaign_id, seed, now)
    return fill_free_seats(conn, org, campaign_id, now)


def undoable(conn: Transaction, campaign_id: int) -> bool:
    """Finalize may be undone only while no seat was offered from its waitlists: an offer is a
    promise made to a person, which an undo would silently break."""
    return repo.offers_made(conn, campaign_id) == 0


def unstart(conn: Transaction, campaign_id: int) -> None:
    """Finalize undone (``flok.app.changes.undo_finalize``): the waitlists go with it; a later
    finalize starts them afresh, with the same seed if the campaign names one."""
    repo.unstart(conn, campaign_id)


# --- the one entry point ----------------------------------------------------------------------
def fill_free_seats(
    conn_or_state: Transaction | State | Database, org: int, campaign_id: int, now: datetime | None = None
) -> Filled:
    """Expire overdue offers, withdraw offers above capacity, offer every free seat; idempotent.

    Given a ``State`` (or ``Database``) it runs in its own write transaction; given a
    transaction, in the caller's (which then commits the seat change and the offers together).
    A campaign whose waitlists have not started (not finalized) is left alone."""
    db = conn_or_state if isinstance(conn_or_state, Database) else getattr(conn_or_state, "db", None)
    if isinstance(db, Database):  # a State (or a Database): a transaction of its own
        with db.write() as conn:
            return _fill(conn, org, campaign_id, _clock(now))
    assert isinstance(conn_or_state, Transaction)
    return _fill(conn_or_state, org, campaign_id, _clock(now))


def _fill(conn: Transaction, org: int, campaign_id: int, now: datetime) -> Filled:
    campaign = campaigns_repo.get(conn, org, campaign_id, lock=True)
    found = repo.settings(conn, campaign_id)
    if campaign.status != "finalized" or found is None or found.started_at is None:
        return Filled()
    expired = repo.overdue_offers(conn, campaign_id, now)
    repo.close_offers(conn, [f.id for f in expired], "expired", None, now)
    repo.leave(conn, campaign_id, [(f.participant_id, f.opportunity_id) for f in expired], "expired", now)

    capacity, seated = repo.capacities(conn, campaign_id), repo.seated_counts(conn, campaign_id)
    open_now = repo.open_offers(conn, campaign_id)
    offered = _count(open_now)
    withdrawn: list[OfferRow] = []
    for o, excess in rules.over_capacity(capacity, seated, offered).items():
        newest = sorted((f for f in open_now if f.opportunity_id == o), key=lambda f: -f.id)[:excess]
        withdrawn += newest
    if withdrawn:
        repo.close_offers(conn, [f.id for f in withdrawn], "withdrawn", "capacity", now)
        gone = {f.id for f in withdrawn}
        open_now = [f for f in open_now if f.id not in gone]
        offered = _count(open_now)

    free = {o: n for o, n in rules.free_seats(capacity, seated, offered).items() if n > 0}
    made: list[OfferRow] = []
    if free:
        waiting: dict[str, list[rules.Entry]] = defaultdict(list)
        for row in repo.waiting(conn, campaign_id, free):
            waiting[row.opportunity_id].append(_entry(row))
        holding = [(f.participant_id, f.opportunity_id) for f in open_now]
        chosen = rules.next_offers(free, waiting, holding)
        expires = now + timedelta(hours=found.offer_hours)
        made = repo.add_offers(
            conn, org, campaign_id, [(e.participant_id, e.opportunity_id) for e in chosen], now, expires
        )
    # As they are now (expired, withdrawn), not as they were read.
    expired = repo.offers_by_id(conn, [f.id for f in expired])
    withdrawn = repo.offers_by_id(conn, [f.id for f in withdrawn])
    return Filled(expired=expired, withdrawn=withdrawn, offered=made)


def _count(offers: list[OfferRow]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for f in offers:
        out[f.opportunity_id] += 1
    return out


# --- decisions --------------------------------------------------------------------------------
def refusal(offer: OfferRow, doing: str) -> ConflictError:
    if offer.status == "expired":
        when = offer.expires_at.isoformat(timespec="seconds")
        return ConflictError(
            f"offer {offer.id} expired at {when}; its seat has passed to the next on the waitlist",
            field="offer_id",
            code="OFFER_EXPIRED",
        )
    why = f" ({offer.reason})" if offer.reason else ""
    return ConflictError(
        f"cannot {doing} offer {offer.id}: it is {offer.status}{why}", field="offer_id", code="OFFER_NOT_OPEN"
    )


def accept(state: State, org: int, campaign_id: int, offer_id: int, now: datetime | None = None) -> Decision:
    """Seat the offer's participant (freeing their old seat, which cascades), in one transaction.

    Accepting an accepted offer again changes nothing (``changed`` False). An offer past its
    deadline is expired (and its seat passed on, committed) and refused with OFFER_EXPIRED; a
    declined or withdrawn one with OFFER_NOT_OPEN."""
    return _decide(state, org, campaign_id, offer_id, _clock(now), "accept")


def decline(state: State, org: int, campaign_id: int, offer_id: int, now: datetime | None = None) -> Decision:
    """The participant says no: they leave that waitlist and the seat passes to the next."""
    return _decide(state, org, campaign_id, offer_id, _clock(now), "decline")


def _decide(state: State, org: int, campaign_id: int, offer_id: int, now: datetime, doing: str) -> Decision:
    final = {"accept": "accepted", "decline": "declined"}[doing]
    refused: ConflictError | None = None
    with state.db.write() as conn:
        campaigns_repo.get(conn, org, campaign_id, lock=True)
        repo.get_offer(conn, org, campaign_id, offer_id)  # not found: nothing else is done
        filled = _fill(conn, org, campaign_id, now)  # an overdue offer expires here
        offer = repo.get_offer(conn, org, campaign_id, offer_id)
        if offer.status == final:
            return Decision(offer, False, filled)
        if offer.status != "open":
            refused = refusal(offer, doing)  # raised once the expiry above is committed
        elif doing == "accept":
            more = _seat(conn, org, campaign_id, offer, now)
            _record_accept(conn, campaign_id, offer)
            offer = repo.get_offer(conn, org, campaign_id, offer_id)
            return Decision(offer, True, _merge(filled, more))
        else:
            repo.close_offers(conn, [offer.id], "declined", None, now)
            repo.leave(conn, campaign_id, [(offer.participant_id, offer.opportunity_id)], "declined", now)
            more = _fill(conn, org, campaign_id, now)
            offer = repo.get_offer(conn, org, campaign_id, offer_id)
            return Decision(offer, True, _merge(filled, more))
    assert refused is not None
    raise refused


def _record_accept(conn: Transaction, campaign_id: int, offer: OfferRow) -> None:
    """An accepted offer changes the allocation: it is a version like any other change, so a
    draft computed before it is stale (it cannot overwrite the seat) and a diff or a rollback
    sees it."""
    p, o = offer.participant_id, offer.opportunity_id
    detail = {"offer": offer.id, "participant_id": p, "opportunity_id": o}
    reason = f"seat offer {offer.id} accepted"
    label = versioning.after_change(conn, campaign_id)
    version = versioning.snapshot(
        conn, campaign_id, kind="change", label=label, actor="waitlist", reason=reason
    )
    versions_repo.record_change(
        conn, campaign_id, "offer_accepted", detail, actor="waitlist", reason=reason, version=version.number
    )


def _seat(conn: Transaction, org: int, campaign_id: int, offer: OfferRow, now: datetime) -> Filled:
    p, o = offer.participant_id, offer.opportunity_id
    capacity = repo.capacities(conn, campaign_id).get(o, 0)
    if repo.seated_counts(conn, campaign_id).get(o, 0) >= capacity:  # the fill keeps this from happening
        raise ConflictError(
            f"opportunity '{o}' is full ({capacity} seats)", field="opportunity_id", code="FULL"
        )
    old = [s for s in repo.seats_of(conn, campaign_id, p) if s != o]
    repo.seat(conn, campaign_id, p, o)
    repo.accepted(conn, offer.id, old[0] if old else None, now)
    theirs = repo.entries_of(conn, campaign_id, p)
    taken = next(_entry(e) for e in theirs if e.opportunity_id == o)
    repo.leave(conn, campaign_id, [(p, o)], "seated", now)
    behind = rules.left_behind([_entry(e) for e in theirs if e.status == "waiting"], taken)
    repo.leave(
        conn, campaign_id, [(e.participant_id, e.opportunity_id) for e in behind], "placed_better", now
    )
    worse = {e.opportunity_id for e in behind}
    stale = [
        f.id
        for f in repo.open_offers(conn, campaign_id)
        if f.participant_id == p and f.opportunity_id in worse
    ]
    repo.close_offers(conn, stale, "withdrawn", "placed_better", now)
    return _fill(conn, org, campaign_id, now)


def _merge(a: Filled, b: Filled) -> Filled:
    return Filled(a.expired + b.expired, a.withdrawn + b.withdrawn, a.offered + b.offered)


# --- a participant leaves a finalized campaign --------------------------------------------------
def participant_left(
    conn: Transaction, campaign_id: int, participant_id: str, now: datetime | None = None
) -> None:
    """Inside a withdrawal (``flok.app.changes.withdraw``): the participant's waiting places and
    open offers go; the caller then offers the freed seats (``fill_free_seats``)."""
    now = _clock(now)
    repo.leave_all(conn, campaign_id, participant_id, "withdrawn", now)
    mine = [f.id for f in repo.open_offers(conn, campaign_id) if f.participant_id == participant_id]
    repo.close_offers(conn, mine, "withdrawn", "participant_withdrew", now)


def withdraw_finalized(
    conn: Transaction, org: int, campaign_id: int, participant_id: str, now: datetime | None = None
) -> list[str]:
    """Withdraw a participant from a finalized campaign inside the caller's transaction: their seat
    frees (and is offered on at once), their preferences, waiting places and open offers go.
    Unrecorded: the service withdraws through ``flok.app.changes.withdraw``, which records the
    change and a version and then calls :func:`participant_left` and :func:`fill_free_seats`.
    The seats freed; NotFound when they hold neither a preference nor a seat."""
    now = _clock(now)
    campaigns_repo.get(conn, org, campaign_id, lock=True)
    freed, removed = repo.remove_participant(conn, campaign_id, participant_id)
    if not freed and not removed:
        raise NotFound("registered participant", participant_id)
    participant_left(conn, campaign_id, participant_id, now)
    _fill(conn, org, campaign_id, now)
    return freed


# --- settings and views -----------------------------------------------------------------------
def set_offer_hours(state: State, org: int, campaign_id: int, hours: float) -> WaitlistRow:
    """The accept-by delay of offers made from now on (open offers keep their deadline)."""
    if not (0 < hours <= MAX_OFFER_HOURS):
        raise InputError(
            f"must be more than 0 and at most {MAX_OFFER_HOURS:g} hours, got {hours:g}",
            source="waitlist",
            field="offer_hours",
        )
    with state.db.write() as conn:
        campaigns_repo.get(conn, org, campaign_id, lock=True)
        repo.set_offer_hours(conn, org, campaign_id, hours)
        found = repo.settings(conn, campaign_id)
        assert found is not None
        return found


def view(
    state: State,
    org: int,
    campaign_id: int,
    *,
    opportunity_id: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> WaitlistView:
    """Every opportunity's seats, open offers and queue in offer order (at most ``limit`` places
    each), after a fill: reading the waitlist is one of the moments overdue offers expire."""
    now = _clock(now)
    with state.db.write() as conn:
        campaign = campaigns_repo.get(conn, org, campaign_id, lock=True)
        _fill(conn, org, campaign_id, now)
        found = repo.settings(conn, campaign_id)
        titles = repo.titles(conn, campaign_id)
        capacity, seated = repo.capacities(conn, campaign_id), repo.seated_counts(conn, campaign_id)
        offers = repo.open_offers(conn, campaign_id)
        entries = repo.waiting(conn, campaign_id, None if opportunity_id is None else [opportunity_id])
    if opportunity_id is not None and opportunity_id not in titles:
        raise NotFound("opportunity", opportunity_id, field="opportunity_id")
    by_opp: dict[str, list[EntryRow]] = defaultdict(list)
    for e in entries:
        by_opp[e.opportunity_id].append(e)
    open_by: dict[str, list[OfferRow]] = defaultdict(list)
    for f in offers:
        open_by[f.opportunity_id].append(f)
    out = []
    for o, title in titles.items():
        if opportunity_id is not None and o != opportunity_id:
            continue
        holding = {f.participant_id: f for f in open_by[o]}
        rows = {e.participant_id: e for e in by_opp[o]}
        ordered = rules.in_order(_entry(e) for e in by_opp[o])
        queue = [
            Place(
                i + 1,
                e.participant_id,
                rows[e.participant_id].rank,
                rows[e.participant_id].score,
                e.lottery,
                holding.get(e.participant_id),
            )
            for i, e in enumerate(ordered)
        ]
        out.append(
            OpportunityWaitlist(
                o,
                title,
                capacity[o],
                seated.get(o, 0),
                open_by[o],
                queue[:limit] if limit else queue,
                len(queue),
            )
        )
    return WaitlistView(
        campaign_id,
        campaign.status,
        found.offer_hours if found else DEFAULT_OFFER_HOURS,
        found.seed if found else None,
        found.started_at if found else None,
        out,
    )


def list_offers(
    state: State,
    org: int,
    campaign_id: int,
    *,
    status: str | None = None,
    participant_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[OfferRow], int]:
    """The campaign's offers (after a fill, so none shows open past its deadline) and the total."""
    with state.db.write() as conn:
        _fill(conn, org, campaign_id, _clock(now))
        return repo.list_offers(
            conn, campaign_id, status=status, participant_id=participant_id, limit=limit, offset=offset
        )


def get_offer(
    state: State, org: int, campaign_id: int, offer_id: int, now: datetime | None = None
) -> OfferRow:
    with state.db.write() as conn:
        _fill(conn, org, campaign_id, _clock(now))
        return repo.get_offer(conn, org, campaign_id, offer_id)


def sweep(db: Database, now: datetime | None = None) -> int:
    """Fill every campaign with an overdue offer (the worker's periodic sweep); how many."""
    now = _clock(now)
    with db.read() as conn:
        due = repo.campaigns_with_overdue_offers(conn, now)
    for org, campaign_id in due:
        fill_free_seats(db, org, campaign_id, now)
    return len(due)
