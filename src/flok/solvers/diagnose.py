"""Why everyone cannot be seated, or why the side rules conflict, in words a coordinator can act on.

From the participants left without a seat, follow alternating paths (an acceptable
opportunity, then the participants holding its seats, then their acceptable
opportunities, ...). Every opportunity reached is full — otherwise the flow would have
found an augmenting path — so the reached participants compete for strictly fewer seats
than they number (Hall's condition fails): those opportunities are the bottleneck.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

from flok.errors import InfeasibleError
from flok.model import Problem
from flok.solvers.backends import CpSatModel
from flok.solvers.sidemodel import SideModel, obvious_conflicts


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


def side_rules_error(problem: Problem, lm: SideModel) -> InfeasibleError:
    """Plain-words reasons for an infeasible side-rule model, whichever backend found it infeasible:
    obvious conflicts first, then an unsatisfiable core of named rules (CP-SAT with assumptions)."""
    reasons = obvious_conflicts(problem, lm.pairs)
    conflict = CpSatModel(lm.to_matrix(), diagnose=True).conflicting_rules()
    if conflict:
        reasons.append("these rules cannot all hold together: " + "; ".join(conflict[:8]))
    return InfeasibleError(
        "no allocation satisfies every rule",
        reasons=reasons or ["the capacities and hard rules conflict"],
        hints=["relax one of the rules named above", "add seats"],
    )
