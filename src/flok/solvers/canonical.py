"""One canonical order of a problem's rows, so a seeded allocation depends on the input set only.

Every strategy breaks ties by position somewhere: the lottery draws its noise per arc in order,
the flow's hub shuffles seats in order, HiGHS and CP-SAT branch on columns in order. Sorting
participants and opportunities by id and preferences by (participant, opportunity) before
solving makes "same rows in any order + same seed → same allocation" hold on every path at
once (issue 13, item 8), instead of patching each position-dependent step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

import numpy as np

from flok.model import Problem
from flok.solvers.base import SolveResult

PER_PARTICIPANT = ("participant_ids", "max_seats", "group")
PER_OPPORTUNITY = ("opportunity_ids", "capacity", "start", "end", "meetings", "category", "min_size")
PER_PREFERENCE = ("rank", "score", "penalty")
REINDEXED = ("pref_participant", "pref_opportunity", "participant_attributes", "opportunity_attributes")
UNCHANGED = ("options", "ignored_columns", "input_notes")  # by id or by name, never by position


def known_fields() -> set[str]:
    return {*PER_PARTICIPANT, *PER_OPPORTUNITY, *PER_PREFERENCE, *REINDEXED, *UNCHANGED}


def _id_order(ids: np.ndarray) -> np.ndarray:
    """Positions in id order (as text, like every id Flok reads); fixed-width strings sort in C."""
    return np.argsort(np.asarray(ids).astype(str), kind="stable")


def _take(value: Any, order: np.ndarray) -> Any:
    return None if value is None else np.asarray(value)[order]


def canonical_order(problem: Problem) -> tuple[Problem, Callable[[SolveResult], SolveResult]]:
    """The same problem with rows sorted by id, and a function mapping its result back.

    A Problem field this module does not know would be left in the caller's order and silently
    break the guarantee, so it is an error (``tests`` check every field is classified).
    """
    unknown = {f.name for f in fields(Problem)} - known_fields()
    if unknown:
        raise AssertionError(f"canonical_order does not know how to reorder {sorted(unknown)}")
    p_order, o_order = _id_order(problem.participant_ids), _id_order(problem.opportunity_ids)
    p_new = np.empty_like(p_order)
    p_new[p_order] = np.arange(p_order.size)
    o_new = np.empty_like(o_order)
    o_new[o_order] = np.arange(o_order.size)
    pp, po = p_new[problem.pref_participant], o_new[problem.pref_opportunity]
    keys = pp * max(problem.n_opportunities, 1) + po
    # Unique keys (no pair twice), so this order is total; skip the sort when rows already follow it.
    r_order = np.arange(keys.size) if bool((keys[1:] > keys[:-1]).all()) else np.argsort(keys)
    changes: dict[str, Any] = {name: _take(getattr(problem, name), p_order) for name in PER_PARTICIPANT}
    changes |= {name: _take(getattr(problem, name), o_order) for name in PER_OPPORTUNITY}
    changes |= {name: _take(getattr(problem, name), r_order) for name in PER_PREFERENCE}
    changes["pref_participant"] = pp[r_order]
    changes["pref_opportunity"] = po[r_order]
    changes["participant_attributes"] = {k: v[p_order] for k, v in problem.participant_attributes.items()}
    changes["opportunity_attributes"] = {k: v[o_order] for k, v in problem.opportunity_attributes.items()}
    ordered = replace(problem, **changes)

    def back(result: SolveResult) -> SolveResult:
        part, opp = p_order[result.participant], o_order[result.opportunity]
        order = np.lexsort((opp, part))
        return replace(result, participant=part[order], opportunity=opp[order])

    return ordered, back
