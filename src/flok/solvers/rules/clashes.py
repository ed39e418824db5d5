"""Time clashes: one participant never holds two opportunities whose windows overlap.

Data: ``max_seats`` (participants.csv) and ``start``/``end`` or weekly ``meetings``
(opportunities.csv).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flok.solvers.rules.base import BuildContext, ExplainView, Held, Reason, Rule

if TYPE_CHECKING:  # numpy and the model load when a rule runs, not for `flok --help`
    import numpy as np

    from flok.model import Problem


def _present(problem: Problem) -> bool:
    return bool((problem.seats_allowed() > 1).any()) and bool(problem.clash_cliques)


def _build(ctx: BuildContext) -> None:
    """One row per participant and instant: at most one seat among what meets then.

    The sets come from ``Problem.clash_cliques`` (every clashing pair lies in one), restricted to
    the participant's own preferences; a set that another of theirs contains adds nothing.
    """
    import numpy as np

    problem = ctx.problem
    cliques = problem.clash_cliques
    if not cliques:
        return
    member_of: dict[int, list[int]] = {}
    for k, clique in enumerate(cliques):
        for o in clique:
            member_of.setdefault(o, []).append(k)
    opp = ctx.lm.pairs.opportunity
    for p in np.flatnonzero(problem.seats_allowed() > 1).tolist():
        arcs_in: dict[int, list[int]] = {}
        for a in ctx.by_p.get(p, []):
            for k in member_of.get(int(opp[a]), ()):
                arcs_in.setdefault(k, []).append(a)
        rows = sorted({frozenset(arcs) for arcs in arcs_in.values() if len(arcs) >= 2}, key=len, reverse=True)
        kept: list[frozenset[int]] = []
        for row in rows:
            if not any(row <= other for other in kept):
                kept.append(row)
                ctx.lm.row(sorted(row), [1] * len(row), hi=1)


def _check(held: Held) -> list[str]:
    """Overlap tested meeting by meeting, not through ``Problem.clash_cliques``."""
    problem = held.problem
    if problem.max_seats is None:
        return []  # one seat each (more is reported as too many seats): nothing can clash
    windows = problem.time_windows()  # the raw intervals, before any clique is built
    if windows is None:
        return []
    pids, oids = problem.participant_ids, problem.opportunity_ids
    out: list[str] = []
    for p, opps in held.by_participant.items():
        for i, a in enumerate(opps):
            for b in opps[i + 1 :]:
                if any(sa < eb and sb < ea for sa, ea in windows[a] for sb, eb in windows[b]):
                    out.append(f"participant {pids[p]} holds clashing {oids[a]} and {oids[b]}")
    return out


def _blocks(view: ExplainView, p: np.ndarray, o: np.ndarray) -> np.ndarray:
    import numpy as np

    clash = view.clashes
    if not clash:
        return np.zeros(o.size, dtype=bool)
    return np.array(
        [
            any((min(ok, h), max(ok, h)) in clash for h in view.held.get(pk, ()))
            for pk, ok in zip(p.tolist(), o.tolist(), strict=True)
        ],
        dtype=bool,
    )


RULE = Rule(
    name="clashes",
    model_order=30,
    words="time clashes",
    present=_present,
    build=_build,
    check=_check,
    reason=Reason("TIME_CLASH", "{opp} clashes in time with a seat you already hold", _blocks, precedence=30),
)
