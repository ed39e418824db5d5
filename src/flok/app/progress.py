"""A run's progress as people read it: stages done of all, the gap in the user's units, time used.

The solver reports its progress (``flok.solvers.base.Progress``); the allocation worker turns it
into the run's stored fraction and message here, and ``flok.app.runs`` adds the time used of
the time limit when a run is read, so a long stage that finds nothing new still moves. The API's
``progress`` and the dashboard's bar are the same number: the larger of the solve's own share
(stages done of all, between loading at 5 % and storing at 95 %) and the share of the time
limit used; never a jump from 0 to 1 with nothing between.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from flok.options import Options
from flok.solvers.base import Progress

SOLVING_FROM, SOLVING_TO = 0.05, 0.95  # loading the campaign before, storing the allocation after

# Measures a solver maximizes: their bound is an upper bound ("at most"); the others (seats worse
# than a level, worst rank, total rank) are minimized.
_MAXIMIZED = ("seats", "seats kept")


def _maximized(measure: str) -> bool:
    return measure in _MAXIMIZED or measure.startswith("total score")


def solving_fraction(solver_fraction: float | None) -> float | None:
    """The solver's own share (0–1) as the run's, between loading and storing."""
    if solver_fraction is None:
        return None
    return SOLVING_FROM + (SOLVING_TO - SOLVING_FROM) * min(1.0, max(0.0, solver_fraction))


def number(value: float) -> str:
    """12,345 or 12,345.5: thousands separated, no trailing zeros, never "-0"."""
    if not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def progress_text(p: Progress) -> str:
    """One line: "stage 2 of 5, seats worse than choice 1: best 12 seats worse than the level,
    at least 9 (gap 3)"; the solver's own message when it reports no stage or no values."""
    head = p.message
    if p.stage is not None and p.stages is not None:
        label = p.message.split(": ", 1)[-1] if p.message.startswith("stage ") else p.message
        label = label.removesuffix(": improving").removesuffix(": solved")
        head = f"stage {p.stage} of {p.stages}: {label}"
    if p.objective is None or p.measure is None:
        return head
    text = f"{head} — best {number(p.objective)} {p.measure}"
    if p.bound is None:
        return f"{text}, nothing proven yet"
    upward = _maximized(p.measure)
    limit = "at most" if upward else "at least"
    gap = abs(p.bound - p.objective)
    if gap == 0:
        return f"{text}, proven best"
    return f"{text}, {limit} {number(p.bound)} possible (gap {number(gap)})"


def time_limit_of(run: Any) -> float | None:
    """The run's time limit in seconds (its options, or the engine's default); None for runs
    that have none (rebalances)."""
    if run.kind != "allocate":
        return None
    limit = (run.options or {}).get("time_limit", Options().time_limit)
    return float(limit) if isinstance(limit, int | float) and not isinstance(limit, bool) else None


def elapsed_seconds(run: Any, now: datetime | None = None) -> float | None:
    """Seconds since the run started (until it finished); None before it starts."""
    if run.started_at is None:
        return None
    end = run.finished_at or now or datetime.now(UTC)
    return max(0.0, (end - run.started_at).total_seconds())


def live_fraction(run: Any, now: datetime | None = None) -> float | None:
    """A running allocation's progress: the stored share, or the share of its time limit used
    when that is further (capped below the storing step, which the worker reports itself)."""
    stored = run.progress
    limit, elapsed = time_limit_of(run), elapsed_seconds(run, now)
    if run.status != "running" or not limit or elapsed is None:
        return stored
    by_time = SOLVING_FROM + (SOLVING_TO - SOLVING_FROM) * min(1.0, elapsed / limit)
    return max(stored or 0.0, by_time)
