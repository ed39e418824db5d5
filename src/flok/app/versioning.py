"""Honest labels and version snapshots, shared by every use case that changes an allocation.

A label says what the allocation is, not what it once was: "optimal" only while nobody edited
it since the run that proved it, "optimal under stability=strict from version 3" after a strict
re-solve, "edited by hand: 2 moves since the last optimal run (version 3)" after moves, and how
many changes wait for a re-solve. The stored label holds the facts; ``label_text`` words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flok.store import versions as repo
from flok.store.db import Transaction
from flok.store.versions import VersionRow


def after_run(
    status: str, number: int, *, stability: str | None = None, move_cost: float | None = None
) -> dict[str, Any]:
    """The label of an allocation a solver produced (an allocation run, or a committed re-solve)."""
    label: dict[str, Any] = {"basis": status, "from_version": number, "moves": 0, "changes": 0}
    if stability is not None:
        label["stability"] = stability
    if move_cost is not None:
        label["move_cost"] = move_cost
    return label


def _previous(conn: Transaction, campaign_id: int) -> dict[str, Any]:
    found = repo.latest(conn, campaign_id)
    if found is None:  # allocated before versions were kept (migration 0010)
        return {"basis": "allocation", "from_version": None, "moves": 0, "changes": 0}
    label = {k: v for k, v in found.label.items() if k not in ("why", "rolled_back_to", "dropped")}
    return label


def after_move(conn: Transaction, campaign_id: int, moves: int = 1) -> dict[str, Any]:
    label = _previous(conn, campaign_id)
    label["moves"] = int(label.get("moves", 0)) + moves
    return label


def after_change(conn: Transaction, campaign_id: int) -> dict[str, Any]:
    label = _previous(conn, campaign_id)
    label["changes"] = int(label.get("changes", 0)) + 1
    return label


def snapshot(
    conn: Transaction,
    campaign_id: int,
    *,
    kind: str,
    label: dict[str, Any],
    actor: str,
    reason: str = "",
    run_id: int | None = None,
) -> VersionRow:
    """The allocation as it now stands, committed as the next version."""
    return repo.insert(
        conn,
        campaign_id,
        state="committed",
        kind=kind,
        seats=repo.current_seats(conn, campaign_id),
        capacities=repo.current_capacities(conn, campaign_id),
        label=label,
        actor=actor,
        reason=reason,
        run_id=run_id,
    )


@dataclass(frozen=True)
class Label:
    """What the dashboard's header and the API say the current allocation is."""

    text: str
    optimal: bool  # an allocation run's optimal result, untouched since (no move, change or re-solve)
    version: int | None
    objective: float
    unlisted: int
    seats: int


def label_text(label: dict[str, Any]) -> str:
    basis = str(label.get("basis", "allocation"))
    stability = label.get("stability")
    origin = label.get("from_version")
    parts = []
    moves, changes = int(label.get("moves", 0)), int(label.get("changes", 0))
    solved = f"{basis} under stability={stability}" if stability else basis
    if origin is not None:
        solved += f" from version {origin}"
    if moves:
        last = "optimal run" if basis == "optimal" else "run"
        where = f" (version {origin})" if origin is not None else ""
        parts.append(f"edited by hand: {moves} move{'s' if moves != 1 else ''} since the last {last}{where}")
    else:
        parts.append(solved)
    if changes:
        parts.append(f"{changes} change{'s' if changes != 1 else ''} since then, not re-solved yet")
    if "rolled_back_to" in label:
        parts.append(f"rolled back to version {label['rolled_back_to']}")
    return "; ".join(parts)


def current_label(conn: Transaction, campaign_id: int, mode: str) -> Label | None:
    """The label of the current version with the objective recomputed from the seats; None before
    the first version (the run's own report is then all there is)."""
    found = repo.latest(conn, campaign_id)
    if found is None:
        return None
    total, unlisted, seats = repo.objective(conn, campaign_id, mode)
    label = found.label
    # "optimal" as the run's own report says it: an allocation run's result, untouched since.
    untouched = not any(label.get(k) for k in ("moves", "changes", "stability", "rolled_back_to"))
    optimal = untouched and label.get("basis") == "optimal"
    return Label(label_text(label), optimal, found.number, total, unlisted, seats)


def record_allocation(conn: Transaction, campaign_id: int, run_id: int, status: str) -> None:
    """An allocation run stored its result: a version labelled with what the solver proved."""
    number = repo.current_number(conn, campaign_id) + 1
    snapshot(
        conn,
        campaign_id,
        kind="allocate",
        label=after_run(status, number),
        actor=f"run {run_id}",
        run_id=run_id,
    )
