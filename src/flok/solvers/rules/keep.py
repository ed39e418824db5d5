"""Keep previous seats: the first objective of a re-solve after changes (issue 18).

JSON ``"keep": [["ana", "T1"], ...]``: the seats people hold now. It is an objective, not a
rule: no constraint rows and nothing for the verifier to check, so it is not in ``RULES``.
The exact side-rule solvers put a stage before every other ("seats kept from before",
``sidemodel._keep_stage``), the flow declines it (``flow.FlowStrategy.unsupported``), and
``flok.resolve`` sets it for ``stability="strict"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flok.solvers.rules.base import OptionField, pairs_to_json, parse_pairs

if TYPE_CHECKING:  # numpy and the model load when a rule runs, not for `flok --help`
    from flok.model import Problem

OPTION = OptionField("keep", parse_pairs, pairs_to_json)


def validate(problem: Problem) -> None:
    """Every kept pair names a participant and an opportunity of the problem."""
    problem.pair_indices(problem.options.keep, "keep")
