"""The strategy interface: any solver that turns a Problem into (participant, opportunity) pairs.

New strategies register themselves; ``auto`` takes the first registered strategy, in priority
order, that can honour the problem, so callers never change when a solver is added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from flok.errors import InputError
from flok.model import Problem

Status = Literal["optimal", "feasible"]


@dataclass(frozen=True)
class Progress:
    """A progress report from a running solve; fields a solver cannot know are None.

    The staged solvers (MIP, CP-SAT) report ``objective`` and ``bound`` in the user's units,
    named by ``measure`` (seats, people worse than a level, worst rank, total rank or score),
    and which of their ``stages`` is running (``stage``, from 1), so a coordinator reads
    "stage 2 of 5, 310 seats, at most 312" rather than the solver's scaled internal objective.
    """

    message: str
    fraction: float | None = None
    objective: float | None = None
    bound: float | None = None
    seconds: float | None = None
    measure: str | None = None
    stage: int | None = None
    stages: int | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass
class SolveResult:
    """Raw solver output: parallel arrays of assigned pairs (indices) plus timings."""

    participant: np.ndarray
    opportunity: np.ndarray
    status: Status = "optimal"
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    decode_seconds: float = 0.0
    bound: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Strategy(Protocol):
    name: str
    priority: int

    def unsupported(self, problem: Problem) -> str | None:
        """Why this strategy cannot honour ``problem`` exactly, or None when it can."""

    def solve(self, problem: Problem, progress: ProgressCallback | None = None) -> SolveResult:
        """Solve ``problem``; raise InfeasibleError when no allocation meets its hard rules."""


_REGISTRY: dict[str, Strategy] = {}


def register(strategy: Strategy) -> Strategy:
    _REGISTRY[strategy.name] = strategy
    return strategy


def names() -> list[str]:
    return ["auto", *sorted(_REGISTRY, key=lambda n: _REGISTRY[n].priority)]


def choose(problem: Problem, requested: str = "auto") -> tuple[Strategy, str]:
    """The strategy to run and a sentence saying why it was chosen."""
    if requested != "auto":
        if requested not in _REGISTRY:
            raise InputError(
                f"unknown strategy '{requested}' (choose from {', '.join(names())})", field="strategy"
            )
        strategy = _REGISTRY[requested]
        why_not = strategy.unsupported(problem)
        if why_not:
            raise InputError(f"strategy '{requested}' cannot solve this problem: {why_not}", field="strategy")
        return strategy, "requested explicitly"
    skipped: list[str] = []
    for strategy in sorted(_REGISTRY.values(), key=lambda s: s.priority):
        why_not = strategy.unsupported(problem)
        # A strategy may be exact yet measured slower on some problems: auto then passes it by
        # (asking for it by name still runs it).
        declines = getattr(strategy, "auto_declines", None)
        if why_not is None and declines is not None:
            why_not = declines(problem)
        if why_not is None:
            if not skipped:
                return strategy, "fastest strategy that honours every rule of this problem"
            return strategy, "chosen because " + "; ".join(skipped)
        skipped.append(f"{strategy.name} cannot: {why_not}")
    raise InputError("no strategy can solve this problem: " + "; ".join(skipped), field="strategy")
