"""Why everyone cannot be seated, or why the side rules conflict, in words a coordinator can act on.

From the participants left without a seat, follow alternating paths (an acceptable
opportunity, then the participants holding its seats, then their acceptable
opportunities, ...). Every opportunity reached is full — otherwise the flow would have
found an augmenting path — so the reached participants compete for strictly fewer seats
than they number (Hall's condition fails): those opportunities are the bottleneck.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from flok.errors import InfeasibleError
from flok.model import Problem
from flok.solvers.backends import CpSatModel, solve_highs
from flok.solvers.sidemodel import Pairs, SideModel, build, obvious_conflicts


def _names(ids: np.ndarray, idx: np.ndarray, limit: int = 8) -> str:
    shown = ", ".join(str(ids[i]) for i in idx[:limit])
    return shown + (f" and {idx.size - limit} more" if idx.size > limit else "")


def shortfall_error(problem: Problem, part: np.ndarray, opp: np.ndarray) -> InfeasibleError:
    n, m = problem.n_participants, problem.n_opportunities
    seated = np.zeros(n, dtype=bool)
    seated[part] = True
    unseated = np.flatnonzero(~seated)
    short = int(unseated.size)
    total_seats = int(problem.capacity.sum())
    summary = f"{short} participant(s) cannot be seated with allow_unassigned=false"
    if problem.options.fill_unlisted:
        return InfeasibleError(
            summary,
            reasons=[f"{n} participants but only {total_seats} seats in all"],
            hints=["add seats or allow unassigned participants"],
            unseated=short,
            bottleneck=[str(o) for o in problem.opportunity_ids],
        )
    acc = problem.acceptable()
    pp, po = problem.pref_participant[acc], problem.pref_opportunity[acc]
    listed = np.zeros(n, dtype=bool)
    listed[pp] = True
    nothing = unseated[~listed[unseated]]
    reasons: list[str] = []
    if nothing.size:
        reasons.append(
            f"{nothing.size} participant(s) list no acceptable opportunity "
            f"({_names(problem.participant_ids, nothing)})"
        )
    # Graph: node 0..n-1 participants, n..n+m-1 opportunities, n+m a root joined to the unseated.
    root = n + m
    rows = np.concatenate([pp, opp + n, np.full(unseated.size, root)])
    cols = np.concatenate([po + n, part, unseated])
    from scipy.sparse import coo_matrix  # loaded only to explain a shortfall (start-up, issue 19)
    from scipy.sparse.csgraph import breadth_first_order

    graph = coo_matrix(
        (np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n + m + 1, n + m + 1)
    ).tocsr()
    reached = breadth_first_order(graph, root, directed=True, return_predecessors=False)
    opps = np.sort(reached[(reached >= n) & (reached < n + m)] - n)
    people = reached[reached < n]
    people = people[listed[people]]
    if opps.size:
        seats = int(problem.capacity[opps].sum())
        reasons.append(
            f"{people.size} participants accept only opportunities "
            f"{_names(problem.opportunity_ids, opps)}, which have {seats} seats in total"
        )
    hints = [
        "add seats to the bottleneck opportunities",
        "ask these participants to rank more opportunities",
        "use fill_unlisted or allow unassigned participants",
    ]
    return InfeasibleError(
        summary,
        reasons=reasons,
        hints=hints,
        unseated=short,
        bottleneck=[str(problem.opportunity_ids[o]) for o in opps],
    )


SEAT_RULE = "must get a seat"  # the tail of the rows "participant x must get a seat" (sidemodel.build)


def most_seated(problem: Problem, pairs: Pairs, time_limit: float = 10.0) -> np.ndarray | None:
    """Which participants get a seat when as many as possible do under the same rules.

    The relaxed problem: the same rules with allow_unassigned=true, plus one 0/1 variable per
    participant that may be 1 only if they hold a seat; maximize their sum. ``None`` when the
    relaxed problem is itself infeasible (e.g. forced pairs overfill an opportunity) or the
    solver ran out of time, so no count is claimed that was not proven.
    """
    relaxed = build(problem.with_options(allow_unassigned=True), pairs)
    n = problem.n_participants
    seated = [relaxed.var() for _ in range(n)]
    by_p: dict[int, list[int]] = {}
    for i, p in enumerate(pairs.participant.tolist()):
        by_p.setdefault(p, []).append(i)
    for p, y in enumerate(seated):
        idx = by_p.get(p, [])
        relaxed.row([*idx, y], [*np.ones(len(idx)), -1.0], lo=0)  # y ≤ seats held
    c = np.zeros(relaxed.n_vars)
    c[seated] = -1.0
    res = solve_highs(relaxed.to_matrix(), c, time_limit)
    if res.status != "optimal" or res.x is None:
        return None
    return np.rint(res.x[seated]).astype(bool)


def side_rules_error(problem: Problem, lm: SideModel) -> InfeasibleError:
    """How many cannot be seated and which rules and opportunities are the bottleneck, in one line.

    The count is n minus the most participants seatable under the same rules (`most_seated`).
    The rules come from an unsatisfiable core (CP-SAT with assumptions) in which "everyone gets
    a seat" is kept hard, so the core names the rules a coordinator could relax (quotas, groups,
    forced pairs, min sizes, ...) rather than listing participants; the opportunities are those
    the participants left out accept. Obvious conflicts are read off first.
    """
    pairs = lm.pairs
    reasons = obvious_conflicts(problem, pairs)
    matrix = lm.to_matrix()
    hard_seats = tuple(None if r is not None and r.endswith(SEAT_RULE) else r for r in matrix.rules)
    core = CpSatModel(replace(matrix, rules=hard_seats), diagnose=True).conflicting_rules()
    short, bottleneck = 0, np.zeros(0, dtype=np.int64)
    summary = "no allocation satisfies every rule"
    if not problem.options.allow_unassigned:
        seated = most_seated(problem, pairs)
        if seated is not None:
            n = problem.n_participants
            left = np.flatnonzero(~seated)
            short = int(left.size)
            summary = (
                f"{short} participant(s) cannot be seated with allow_unassigned=false "
                f"(at most {n - short} of {n} can be seated under the rules: "
                f"{_names(problem.participant_ids, left)} left out)"
            )
            bottleneck = np.unique(pairs.opportunity[np.isin(pairs.participant, left)])
            if core:
                reasons.append("bottleneck: " + "; ".join(core[:8]))
            if bottleneck.size:
                reasons.append(
                    f"they accept only {_names(problem.opportunity_ids, bottleneck)}, "
                    f"which have {int(problem.capacity[bottleneck].sum())} seats in total"
                )
            else:
                reasons.append("they accept no opportunity")
    if not short and core:
        reasons.append("these rules cannot all hold together: " + "; ".join(core[:8]))
    return InfeasibleError(
        summary,
        reasons=reasons or ["the capacities and hard rules conflict"],
        hints=["relax one of the rules named above", "add seats", "allow unassigned participants"],
        unseated=short,
        bottleneck=[str(problem.opportunity_ids[o]) for o in bottleneck],
    )
