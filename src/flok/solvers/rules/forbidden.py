"""Forbidden pairs: a participant never gets an opportunity.

JSON ``"forbidden": [["ana", "T1"]]``; ``--forbidden FILE`` (CSV participant_id,opportunity_id).
The flow and the linear model both leave forbidden pairs out of the candidate arcs
(``flok.solvers.costs``), so the rule adds no rows and needs no side-constraint solver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flok.solvers.rules.base import (
    CliFlag,
    ExplainView,
    FormField,
    Held,
    OptionField,
    Reason,
    Rule,
    form_json,
    no_rows,
    pairs_to_json,
    parse_pairs,
)

if TYPE_CHECKING:  # numpy and the model load when a rule runs, not for `flok --help`
    import numpy as np

    from flok.model import Problem


def _validate(problem: Problem) -> None:
    problem.pair_indices(problem.options.forbidden, "forbidden")  # names the first unknown id


def _check(held: Held) -> list[str]:
    problem = held.problem
    if not problem.options.forbidden:
        return []
    index_p = {str(p): i for i, p in enumerate(problem.participant_ids)}
    index_o = {str(o): i for i, o in enumerate(problem.opportunity_ids)}
    return [
        f"forbidden pair ({pid}, {oid}) was assigned"
        for pid, oid in problem.options.forbidden
        if (index_p[pid], index_o[oid]) in held.pairs
    ]


def _blocks(view: ExplainView, p: np.ndarray, o: np.ndarray) -> np.ndarray:
    import numpy as np

    problem = view.problem
    if not problem.options.forbidden:
        return np.zeros(o.size, dtype=bool)
    bad = problem.pair_indices(problem.options.forbidden, "forbidden")
    width = max(problem.n_opportunities, 1)
    return np.isin(p * width + o, bad[:, 0] * width + bad[:, 1])


RULE = Rule(
    name="forbidden",
    words=None,
    present=lambda problem: bool(problem.options.forbidden),
    build=no_rows,
    validate=_validate,
    model_order=15,
    check=_check,
    options=(OptionField("forbidden", parse_pairs, pairs_to_json),),
    cli=(
        CliFlag(
            "--forbidden",
            "forbidden",
            "CSV of participant_id,opportunity_id never to assign.",
            kind="file",
            file_reader="pairs",
        ),
    ),
    form=(FormField("forbidden", "Forbidden pairs", "forbidden", form_json("forbidden"), '[["ana", "T1"]]'),),
    reason=Reason("FORBIDDEN", "you may not be placed in {opp} (a forbidden pair)", _blocks, always=True),
)
