"""A campaign's allocation read for its results pages: one page of seats, of opportunities, of the
unassigned, searched and sorted in SQL, so a campaign of 100,000 participants shows as fast as one
of ten (nothing here loads every seat into Python).

Searching matches a substring of the participant id, the opportunity id or its title, ignoring
case; ``%`` and ``_`` in a search are literal. Callers check the campaign's organization first
(``flok.store.campaigns.get``).
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Connection, and_, case, func, literal, or_, select

from flok.store.rows import FillLine, SeatLine
from flok.store.tables import assignments, campaign_opportunities, preferences

SeatSort = Literal["participant", "opportunity", "value", "how"]
SEAT_SORTS: tuple[SeatSort, ...] = ("participant", "opportunity", "value", "how")


def _seats(campaign_id: int) -> Any:
    """Seats joined to their registration (rank, score) and their opportunity (title)."""
    a, r, o = assignments, preferences, campaign_opportunities
    return a.outerjoin(
        r,
        and_(
            r.c.campaign_id == a.c.campaign_id,
            r.c.participant_id == a.c.participant_id,
            r.c.opportunity_id == a.c.opportunity_id,
        ),
    ).outerjoin(o, and_(o.c.campaign_id == a.c.campaign_id, o.c.opportunity_id == a.c.opportunity_id))


def _matches(search: str, *columns: Any) -> Any:
    return or_(*(func.coalesce(c, "").icontains(search, autoescape=True) for c in columns))


def _seat_filter(campaign_id: int, search: str, opportunity: str | None) -> list[Any]:
    a, o = assignments, campaign_opportunities
    where = [a.c.campaign_id == campaign_id]
    if opportunity is not None:
        where.append(a.c.opportunity_id == opportunity)
    if search:
        where.append(_matches(search, a.c.participant_id, a.c.opportunity_id, o.c.title))
    return where


def seat_count(
    conn: Connection, campaign_id: int, *, search: str = "", opportunity: str | None = None
) -> int:
    """How many seats match the search (and belong to ``opportunity``, when given)."""
    where = _seat_filter(campaign_id, search, opportunity)
    return int(conn.execute(select(func.count()).select_from(_seats(campaign_id)).where(*where)).scalar_one())


def seat_page(
    conn: Connection,
    campaign_id: int,
    *,
    search: str = "",
    opportunity: str | None = None,
    sort: SeatSort = "participant",
    descending: bool = False,
    value: Literal["rank", "score"] = "rank",
    limit: int = 50,
    offset: int = 0,
) -> list[SeatLine]:
    """One page of seats; ``opportunity`` keeps one opportunity's roster."""
    a, r, o = assignments, preferences, campaign_opportunities
    by: dict[str, list[Any]] = {
        "participant": [a.c.participant_id],
        "opportunity": [func.coalesce(o.c.title, a.c.opportunity_id), a.c.opportunity_id],
        "value": [r.c[value]],
        "how": [a.c.manual],
    }
    keys = by[sort]
    order = [k.desc() if descending else k.asc() for k in keys]
    if sort == "value":  # unlisted seats (no rank or score) after every listed one, either way round
        order.insert(0, case((r.c[value].is_(None), 1), else_=0))
    rows = conn.execute(
        select(a.c.participant_id, a.c.opportunity_id, o.c.title, r.c.rank, r.c.score, a.c.manual)
        .select_from(_seats(campaign_id))
        .where(*_seat_filter(campaign_id, search, opportunity))
        .order_by(*order, a.c.participant_id, a.c.opportunity_id)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [SeatLine.of(row) for row in rows]


def fill_page(
    conn: Connection, campaign_id: int, *, search: str = "", limit: int = 25
) -> tuple[list[FillLine], int]:
    """The opportunities most in demand first (seats, seats given, people who listed each) and
    how many match the search."""
    o = campaign_opportunities
    demand = (
        select(preferences.c.opportunity_id, func.count().label("n"))
        .where(preferences.c.campaign_id == campaign_id)
        .group_by(preferences.c.opportunity_id)
        .subquery()
    )
    given = (
        select(assignments.c.opportunity_id, func.count().label("n"))
        .where(assignments.c.campaign_id == campaign_id)
        .group_by(assignments.c.opportunity_id)
        .subquery()
    )
    joined = o.outerjoin(demand, demand.c.opportunity_id == o.c.opportunity_id).outerjoin(
        given, given.c.opportunity_id == o.c.opportunity_id
    )
    where = [o.c.campaign_id == campaign_id]
    if search:
        where.append(_matches(search, o.c.opportunity_id, o.c.title))
    total = conn.execute(select(func.count()).select_from(o).where(*where)).scalar_one()
    want = func.coalesce(demand.c.n, 0)
    rows = conn.execute(
        select(
            o.c.opportunity_id,
            o.c.title,
            o.c.capacity,
            func.coalesce(given.c.n, 0).label("assigned"),
            want.label("demand"),
        )
        .select_from(joined)
        .where(*where)
        .order_by(want.desc(), o.c.opportunity_id)
        .limit(limit)
    ).mappings()
    return [FillLine.of(row) for row in rows], int(total)


def rank_counts(conn: Connection, campaign_id: int, mode: str) -> dict[str, int]:
    """Seats per rank in the participant's own list (1 = their first choice; in score mode, the
    place of the seat's score among their scores, highest first), as the run's report counts them
    (``rank_histogram``) but with manual moves. Keys: "1", "2", …, and "unlisted" for seats
    nobody listed."""
    a, r = assignments, preferences
    if mode == "rank":
        place: Any = r.c.rank
    else:
        other = preferences.alias("other")
        higher = (
            select(func.count())
            .where(
                other.c.campaign_id == a.c.campaign_id,
                other.c.participant_id == a.c.participant_id,
                other.c.score > r.c.score,
            )
            .scalar_subquery()
        )
        place = case((r.c.score.is_(None), None), else_=literal(1) + higher)
    registration = and_(
        r.c.campaign_id == a.c.campaign_id,
        r.c.participant_id == a.c.participant_id,
        r.c.opportunity_id == a.c.opportunity_id,
    )
    seats = (
        select(place.label("place"))
        .select_from(a.outerjoin(r, registration))
        .where(a.c.campaign_id == campaign_id)
        .subquery()
    )
    return {
        ("unlisted" if k is None else str(int(k))): int(n)
        for k, n in conn.execute(select(seats.c.place, func.count()).group_by(seats.c.place))
    }


def _unseated(campaign_id: int) -> Any:
    """Correlated: the registration's participant has no seat at all."""
    return ~(
        select(assignments.c.id)
        .where(
            assignments.c.campaign_id == campaign_id,
            assignments.c.participant_id == preferences.c.participant_id,
        )
        .exists()
    )


def unassigned_count(conn: Connection, campaign_id: int, search: str = "") -> int:
    """How many registered participants (matching the search) have no seat."""
    if not search:  # everyone registered, less everyone seated (a seat needs a registration)
        registered = select(func.count(func.distinct(preferences.c.participant_id))).where(
            preferences.c.campaign_id == campaign_id
        )
        seated = select(func.count(func.distinct(assignments.c.participant_id))).where(
            assignments.c.campaign_id == campaign_id
        )
        return max(0, int(conn.execute(registered).scalar_one()) - int(conn.execute(seated).scalar_one()))
    where = [
        preferences.c.campaign_id == campaign_id,
        _unseated(campaign_id),
        _matches(search, preferences.c.participant_id),
    ]
    q = select(func.count(func.distinct(preferences.c.participant_id))).where(*where)
    return int(conn.execute(q).scalar_one())


def unassigned_page(
    conn: Connection, campaign_id: int, *, search: str = "", limit: int = 50, offset: int = 0
) -> list[str]:
    """One page of the participants who registered and have no seat, by id."""
    where = [preferences.c.campaign_id == campaign_id, _unseated(campaign_id)]
    if search:
        where.append(_matches(search, preferences.c.participant_id))
    ids = conn.execute(
        select(preferences.c.participant_id)
        .where(*where)
        .group_by(preferences.c.participant_id)
        .order_by(preferences.c.participant_id)
        .limit(limit)
        .offset(offset)
    ).scalars()
    return [str(i) for i in ids]


def titles(conn: Connection, campaign_id: int) -> dict[str, str]:
    """Every opportunity of the campaign by id, with its title ("" without one), in id order."""
    o = campaign_opportunities
    q = (
        select(o.c.opportunity_id, o.c.title)
        .where(o.c.campaign_id == campaign_id)
        .order_by(o.c.opportunity_id)
    )
    return {str(i): str(t or "") for i, t in conn.execute(q)}
