"""Builders for the waitlist tests: a finalized campaign from records, solved for real."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from flok.app import campaigns
from flok.app.settings import Settings
from flok.app.state import State
from flok.app.worker.execute import execute_run
from flok.store import keys as keys_repo
from flok.store.db import Database
from flok.store.tables import assignments, campaign_opportunities, seat_offers
from flok.table import table_from_records

# a, b and c hold A, B and C (forced: z could have had A); z (A, then B) and w (B) wait; v waits
# on C, then B (rank 3).
CAPACITY = {"A": 1, "B": 1, "C": 1}
RANKED: dict[str, list[str | None]] = {
    "a": ["A"],
    "b": ["B"],
    "c": ["C"],
    "z": ["A", "B"],
    "w": ["B"],
    "v": ["C", None, "B"],
}
HOLD: dict[str, Any] = {"forced": [["a", "A"], ["b", "B"], ["c", "C"]]}


class HeldQueue:
    """A run queue that never executes by itself: tests run the run in the calling thread."""

    def start(self) -> None: ...

    def submit(self, run_id: int) -> None: ...

    def stop(self) -> None: ...


def make_state(url: str) -> State:
    db = Database(url)
    db.migrate()
    return State(settings=Settings(database_url=url), db=db, queue=HeldQueue())


def new_org(state: State) -> int:
    with state.db.write() as conn:
        return keys_repo.ensure_org(conn, f"org-{uuid.uuid4().hex[:8]}")


def prefs(ranked: dict[str, list[str | None]]) -> list[dict[str, Any]]:
    """``{"x": ["A", None, "B"]}`` → x ranks A first and B third (None: a rank left out)."""
    return [
        {"participant_id": p, "opportunity_id": o, "rank": i + 1}
        for p, opps in ranked.items()
        for i, o in enumerate(opps)
        if o is not None
    ]


def finalized(
    state: State,
    owner: int,
    capacity: dict[str, int],
    ranked: dict[str, list[str | None]],
    *,
    scored: list[dict[str, Any]] | None = None,
    **options: Any,
) -> int:
    """A campaign allocated by the real solver, then finalized (its waitlists start); ``scored``
    (records with a ``score``) makes it a score-mode campaign instead."""
    mode = "rank" if scored is None else "score"
    cid = campaigns.create_campaign(state, owner, "c", mode, {"strategy": "auto", **options}).campaign.id
    opps = [{"opportunity_id": o, "capacity": c} for o, c in capacity.items()]
    campaigns.upload_table(state, owner, cid, "opportunities", table_from_records(opps, "opportunities"))
    records = prefs(ranked) if scored is None else scored
    campaigns.upload_table(state, owner, cid, "preferences", table_from_records(records, "preferences"))
    run_id = campaigns.run_now(state, owner, cid)
    assert execute_run(state.db, run_id, worker="test") == "done"
    campaigns.finalize(state, owner, cid)
    return cid


def seats(db: Database, cid: int) -> dict[str, str]:
    with db.read() as conn:
        q = select(assignments.c.participant_id, assignments.c.opportunity_id).where(
            assignments.c.campaign_id == cid
        )
        rows = conn.execute(q).all()
    out = {str(p): str(o) for p, o in rows}
    assert len(out) == len(rows), "a participant holds two seats"
    return out


def set_capacity(db: Database, cid: int, opportunity_id: str, capacity: int) -> None:
    """What a capacity change (issue 18, item 1) does to the row; the caller then fills."""
    with db.write() as conn:
        conn.execute(
            update(campaign_opportunities)
            .where(
                campaign_opportunities.c.campaign_id == cid,
                campaign_opportunities.c.opportunity_id == opportunity_id,
            )
            .values(capacity=capacity)
        )


def offers(db: Database, cid: int) -> list[tuple[int, str, str, str]]:
    """(id, participant, opportunity, status) of every offer, oldest first."""
    with db.read() as conn:
        q = (
            select(
                seat_offers.c.id,
                seat_offers.c.participant_id,
                seat_offers.c.opportunity_id,
                seat_offers.c.status,
            )
            .where(seat_offers.c.campaign_id == cid)
            .order_by(seat_offers.c.id)
        )
        return [(int(i), str(p), str(o), str(s)) for i, p, o, s in conn.execute(q)]
