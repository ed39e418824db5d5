"""The result of an allocation, its statistics and its report (ARCHITECTURE §3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flok.model import Problem


@dataclass(frozen=True)
class Stats:
    assigned: int
    unassigned: int
    seats: int
    rank_histogram: dict[str, int]
    fill_rate: float | None
    opportunity_assigned: np.ndarray
    objective: float
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    decode_seconds: float = 0.0
    total_seconds: float = 0.0


def seat_ranks(problem: Problem, part: np.ndarray, opp: np.ndarray) -> np.ndarray:
    """The rank of each assigned seat; 0 marks an unlisted seat.

    In score mode the rank is the seat's place in the participant's own list ordered by
    score (1 = their highest score), so a histogram means the same in both modes. It is
    counted for the seats only, which is far cheaper than ranking every preference.
    """
    rows = problem.locate(part, opp)
    out = np.zeros(rows.size, dtype=np.int64)
    listed = rows >= 0
    if problem.rank is not None:
        out[listed] = problem.rank[rows[listed]]
        return out
    assert problem.score is not None
    if "preference_rank" in problem.__dict__:  # already computed (cached): just read it
        out[listed] = problem.preference_rank[rows[listed]]
        return out
    by_p = np.argsort(problem.pref_participant, kind="stable")
    counts = np.bincount(problem.pref_participant, minlength=problem.n_participants)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    seat_p, seat_score = part[listed], problem.score[rows[listed]]
    lengths = counts[seat_p]
    seat_of_item = np.repeat(np.arange(seat_p.size), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    scores = problem.score[by_p[np.repeat(starts[seat_p], lengths) + offsets]]
    better = np.bincount(seat_of_item, weights=scores > seat_score[seat_of_item], minlength=seat_p.size)
    out[listed] = better.astype(np.int64) + 1
    return out


def compute_stats(problem: Problem, part: np.ndarray, opp: np.ndarray) -> Stats:
    n, m = problem.n_participants, problem.n_opportunities
    ranks = seat_ranks(problem, part, opp)
    seats_per = np.bincount(part, minlength=n)
    assigned = int((seats_per > 0).sum())
    # Counts of the ranks that occur (not a bincount: a rank of 10^12 must not need 10^12 slots).
    values, counts = np.unique(ranks, return_counts=True)
    hist = {str(r): int(c) for r, c in zip(values.tolist(), counts.tolist(), strict=True) if r > 0}
    unlisted = int(counts[0]) if values.size and values[0] == 0 else 0
    if problem.options.fill_unlisted or unlisted:
        hist["unlisted"] = unlisted
    hist["unassigned"] = n - assigned
    used = np.bincount(opp, minlength=m)
    total_cap = int(problem.capacity.sum())
    fill = float(part.size / total_cap) if total_cap else None
    if problem.rank is not None:
        objective = float(np.where(ranks == 0, problem.unlisted_rank, ranks).sum())
    else:
        assert problem.score is not None
        rows = problem.locate(part, opp)
        objective = float(problem.score[rows[rows >= 0]].sum())
    return Stats(
        assigned=assigned,
        unassigned=n - assigned,
        seats=int(part.size),
        rank_histogram=hist,
        fill_rate=fill,
        opportunity_assigned=used,
        objective=objective,
    )


@dataclass(frozen=True, eq=False)
class Allocation:
    """Assignments (parallel index arrays), status and statistics of one solve."""

    problem: Problem
    participant: np.ndarray
    opportunity: np.ndarray
    status: str
    strategy: str
    strategy_reason: str
    stats: Stats
    details: dict[str, Any] = field(default_factory=dict)
    # Computes the report's "explanations" (flok.explain.explanations, given by the engine):
    # explanations read allocations, so this module cannot import them.
    explainer: Callable[[Allocation], dict[str, dict[str, Any]] | None] | None = field(
        default=None, repr=False
    )
    # A plain solve on the native engine leaves its seats and node potentials here
    # (flok.solvers.native.WarmStart), so a re-solve after a small change can start from them.
    warm: Any = field(default=None, repr=False)

    @property
    def objective(self) -> float:
        return self.stats.objective

    def status_lines(self) -> list[str]:
        """What a time-limited solve proved, in the user's units (empty when proven optimal).

        The staged solvers put the stages, their found values and bounds (seats, people worse
        than a level, worst rank, total rank or score) and the first unproven stage's gap in
        ``details``; this renders them for the CLI summary.
        """
        d = self.details
        if self.status == "optimal" or "stages" not in d:
            return []
        stage: dict[str, Any] = next((s for s in d["stages"] if s["stage"] == d.get("gap_stage")), {})
        if d.get("gap") is not None:
            unit = d["gap_measure"]
            lines = [
                f"Not proven optimal: stage '{stage['stage']}' found {stage['objective']:g} {unit}, "
                f"best possible {stage['bound']:g} (gap {d['gap']:g} {unit})"
            ]
        else:
            lines = [f"Not proven optimal: stage '{d.get('gap_stage')}' did not finish within the time limit"]
        proven = d.get("proven_stages", [])
        unfinished = d.get("unfinished_stages", [])
        lines.append(f"Proven stages: {len(proven)} of {len(proven) + len(unfinished)}")
        if d.get("note"):
            lines.append(f"Note: {d['note']}")
        return lines

    def assignments(self) -> list[tuple[str, str]]:
        """(participant_id, opportunity_id) pairs, in participant order."""
        pids, oids = self.problem.participant_ids, self.problem.opportunity_ids
        return [(str(pids[p]), str(oids[o])) for p, o in zip(self.participant, self.opportunity, strict=True)]

    def seat_of(self) -> dict[str, str | None]:
        """Each participant's seat, None when unassigned (single-seat problems)."""
        out: dict[str, str | None] = {str(p): None for p in self.problem.participant_ids}
        out.update(self.assignments())
        return out

    def fill_by_opportunity(self) -> list[dict[str, Any]]:
        p = self.problem
        demand = np.bincount(p.pref_opportunity, minlength=p.n_opportunities)
        rows = []
        for o in range(p.n_opportunities):
            cap = int(p.capacity[o])
            got = int(self.stats.opportunity_assigned[o])
            rows.append(
                {
                    "opportunity_id": str(p.opportunity_ids[o]),
                    "capacity": cap,
                    "assigned": got,
                    "demand": int(demand[o]),
                    "fill_rate": got / cap if cap else None,
                }
            )
        return rows

    def report(
        self,
        *,
        per_opportunity: bool = True,
        explanations: bool = True,
        explainer: Callable[[Allocation], Any] | None = None,
    ) -> dict[str, Any]:
        """The report.json object (ARCHITECTURE §3) plus a few extra, documented fields.

        ``explainer`` stands in for ``self.explainer`` (a writer that renders a large report's
        explanations as text puts a placeholder in their place, keeping the key order).
        """
        s = self.stats
        out: dict[str, Any] = {
            "status": self.status,
            "strategy": self.strategy,
            "strategy_reason": self.strategy_reason,
            "mode": self.problem.mode,
            "objective": s.objective,
            "assigned": s.assigned,
            "unassigned": s.unassigned,
            "seats_given": s.seats,
            "participants": self.problem.n_participants,
            "opportunities": self.problem.n_opportunities,
            "capacity": int(self.problem.capacity.sum()),
            "rank_histogram": s.rank_histogram,
            "fill_rate": s.fill_rate,
            "build_seconds": round(s.build_seconds, 6),
            "solve_seconds": round(s.solve_seconds, 6),
            "decode_seconds": round(s.decode_seconds, 6),
            "total_seconds": round(s.total_seconds, 6),
            "options": self.problem.options.to_dict(),
        }
        if self.problem.input_notes:  # what reading the files detected (separator, encoding, …)
            out["input_notes"] = {k: list(v) for k, v in self.problem.input_notes.items()}
        if self.problem.ignored_columns:  # columns of the input Flok did not use, by source
            out["ignored_columns"] = {k: list(v) for k, v in self.problem.ignored_columns.items()}
        out.update(self.details)
        if explanations and self.explainer is not None:
            out["explanations"] = (explainer or self.explainer)(self)
        if per_opportunity:
            out["fill_by_opportunity"] = self.fill_by_opportunity()
        return out
