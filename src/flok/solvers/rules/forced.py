"""Forced pairs: a participant must get an opportunity, even one they did not rank.

JSON ``"forced": [["eve", "T2"]]``; ``--forced FILE`` (CSV participant_id,opportunity_id).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flok.errors import InputError
from flok.solvers.rules.base import (
    BuildContext,
    CliFlag,
    FormField,
    Held,
    OptionField,
    Pairs,
    Rule,
    form_json,
    pairs_to_json,
    parse_pairs,
)

if TYPE_CHECKING:  # numpy and the model load when a rule runs, not for `flok --help`
    from flok.model import Problem


def _build(ctx: BuildContext) -> None:
    problem = ctx.problem
    pids, oids = problem.participant_ids, problem.opportunity_ids
    for p, o in problem.pair_indices(problem.options.forced, "forced").tolist():
        ctx.lm.row([ctx.where[(p, o)]], [1], lo=1, rule=f"forced pair ({pids[p]}, {oids[o]})")


def _validate(problem: Problem) -> None:
    forced = problem.pair_indices(problem.options.forced, "forced")  # names the first unknown id
    forbidden = problem.pair_indices(problem.options.forbidden, "forbidden")
    both = set(map(tuple, forbidden.tolist())) & set(map(tuple, forced.tolist()))
    if both:
        p, o = sorted(both)[0]
        raise InputError(
            f"pair ({problem.participant_ids[p]}, {problem.opportunity_ids[o]}) is both forced and forbidden",
            source="options",
            field="forced",
        )


def _check(held: Held) -> list[str]:
    problem = held.problem
    if not problem.options.forced:
        return []
    index_p = {str(p): i for i, p in enumerate(problem.participant_ids)}
    index_o = {str(o): i for i, o in enumerate(problem.opportunity_ids)}
    return [
        f"forced pair ({pid}, {oid}) was not assigned"
        for pid, oid in problem.options.forced
        if (index_p[pid], index_o[oid]) not in held.pairs
    ]


def _conflicts(problem: Problem, pairs: Pairs) -> list[str]:
    import numpy as np

    forced = problem.pair_indices(problem.options.forced, "forced")
    if not forced.size:
        return []
    counts = np.bincount(forced[:, 1], minlength=problem.n_opportunities)
    return [
        f"{counts[o]} participants are forced into {problem.opportunity_ids[o]}, "
        f"which has {problem.capacity[o]} seats"
        for o in np.flatnonzero(counts > problem.capacity)
    ]


RULE = Rule(
    name="forced",
    model_order=20,
    words="forced pairs",
    present=lambda problem: bool(problem.options.forced),
    build=_build,
    validate=_validate,
    check=_check,
    options=(OptionField("forced", parse_pairs, pairs_to_json),),
    cli=(
        CliFlag(
            "--forced",
            "forced",
            "CSV of participant_id,opportunity_id to assign.",
            kind="file",
            file_reader="pairs",
        ),
    ),
    form=(FormField("forced", "Forced pairs", "forced", form_json("forced"), '[["eve", "T2"]]'),),
    conflicts=_conflicts,
)
