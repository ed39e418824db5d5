"""A campaign's results as pages read them: seats by rank, the opportunities most in demand, one
page of the seat table (searched, sorted, or one opportunity's roster) and one page of the
unassigned with their reasons. Everything is counted and paged in the database
(``flok.store.results``), so 100,000 participants cost what ten do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from flok.app import reasons
from flok.app.state import State
from flok.store import campaigns as campaigns_repo
from flok.store import results as repo
from flok.store import runs as runs_repo
from flok.store.db import Transaction
from flok.store.results import SEAT_SORTS, SeatSort
from flok.store.rows import CampaignRow, FillLine, SeatLine

__all__ = ["SEAT_SORTS", "Results", "SeatQuery", "SeatSort", "SeatTable", "results", "seat_table"]

PER_PAGE = 50
TOP = 25  # opportunities in the demand chart; a search reaches the others
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class SeatQuery:
    """What the seat table shows: a search, one opportunity's roster, the order, the page."""

    search: str = ""
    opportunity: str | None = None
    sort: SeatSort = "participant"
    descending: bool = False
    page: int = 1


@dataclass(frozen=True)
class SeatTable:
    rows: list[SeatLine]
    total: int  # seats matching the query
    query: SeatQuery
    pages: int
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class Unassigned:
    """One page of the unassigned: (participant, reasons or None when none were stored)."""

    people: list[tuple[str, list[str] | None]]
    search: str
    total: int
    page: int
    pages: int
    explained: bool  # the run stored the reasons


@dataclass(frozen=True)
class Results:
    ranks: dict[str, int]  # seats per rank ("1", "2", …, "unlisted"), in order
    unassigned_count: int
    fill: list[FillLine]  # the opportunities most in demand (matching the search)
    fill_matched: int
    fill_search: str
    titles: dict[str, str] = field(default_factory=dict)  # every opportunity: its title, or ""
    report: dict[str, Any] = field(default_factory=dict)  # the allocation run's report (its header)
    unassigned: Unassigned | None = None


def _pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def _page(page: int, pages: int) -> int:
    return min(max(1, page), pages)


def seat_table(state: State, org: int, campaign_id: int, query: SeatQuery) -> SeatTable:
    """One page of the seats (a page past the end shows the last one)."""
    with state.db.read() as conn:
        row = campaigns_repo.get(conn, org, campaign_id)  # another organization's: not found
        return _seat_table(conn, row, query)


def _seat_table(conn: Transaction, row: CampaignRow, query: SeatQuery) -> SeatTable:
    total = repo.seat_count(conn, row.id, search=query.search, opportunity=query.opportunity)
    pages = _pages(total, PER_PAGE)
    page = _page(query.page, pages)
    rows = repo.seat_page(
        conn,
        row.id,
        search=query.search,
        opportunity=query.opportunity,
        sort=query.sort,
        descending=query.descending,
        value="score" if row.mode == "score" else "rank",
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    return SeatTable(rows, total, replace(query, page=page), pages)


def results(
    state: State,
    org: int,
    campaign_id: int,
    *,
    fill_search: str = "",
    unassigned_search: str = "",
    unassigned_page: int = 1,
) -> Results:
    """Seats by rank, the top opportunities by demand, and one page of the unassigned with the
    reasons the allocation run stored (``flok.app.reasons``), opportunities named by title."""
    with state.db.read() as conn:
        row = campaigns_repo.get(conn, org, campaign_id)
        ranks = repo.rank_counts(conn, row.id, row.mode)
        fill, matched = repo.fill_page(conn, row.id, search=fill_search, limit=TOP)
        titles = repo.titles(conn, row.id)
        without = repo.unassigned_count(conn, row.id)
        total = repo.unassigned_count(conn, row.id, unassigned_search) if unassigned_search else without
        pages = _pages(total, PER_PAGE)
        page = _page(unassigned_page, pages)
        ids = repo.unassigned_page(
            conn, row.id, search=unassigned_search, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
        )
        run = runs_repo.get(conn, org, row.allocation_run_id) if row.allocation_run_id else None
    report = dict(run.report or {}) if run else {}
    stored = report.pop(reasons.KEY, None)
    said = reasons.sentences(stored, ids, titles)
    people = [(pid, said.get(pid) if stored else None) for pid in ids]
    order = sorted((k for k in ranks if k.isdigit()), key=int) + (["unlisted"] if "unlisted" in ranks else [])
    return Results(
        ranks={k: ranks[k] for k in order},
        unassigned_count=without,
        fill=fill,
        fill_matched=matched,
        fill_search=fill_search,
        titles=titles,
        report=report,
        unassigned=Unassigned(people, unassigned_search, total, page, pages, stored is not None),
    )
