"""Category limits: at most k seats per participant in each opportunity ``category``.

JSON ``"category_limit": 1`` (every category) or ``{"lab": 2, "*": 1}``; ``--category-limit N``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flok.errors import InputError
from flok.options import parse_int
from flok.solvers.rules.base import (
    BuildContext,
    CliFlag,
    ExplainView,
    FormField,
    Held,
    OptionField,
    Reason,
    Rule,
    form_json,
)

if TYPE_CHECKING:  # numpy and the model load when a rule runs, not for `flok --help`
    import numpy as np

    from flok.model import Problem


def parse(raw: Any, source: str, key: str) -> tuple[tuple[str, int], ...]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return (("*", parse_int(raw, source, key, minimum=1)),)
    if not isinstance(raw, Mapping):
        raise InputError(
            "must be a number (per category) or an object {category: max seats}", source=source, field=key
        )
    return tuple(sorted((str(c), parse_int(v, source, f"{key}.{c}", minimum=0)) for c, v in raw.items()))


def _present(problem: Problem) -> bool:
    limits = problem.options.category_limit
    zero_limit = any(limit == 0 for _, limit in limits)
    return (bool(limits) and bool((problem.seats_allowed() > 1).any())) or zero_limit


def _build(ctx: BuildContext) -> None:
    import numpy as np

    problem = ctx.problem
    if not problem.options.category_limit or problem.category is None:
        return
    limits = dict(problem.options.category_limit)
    for idx in ctx.by_p.values():
        per_cat: dict[str, list[int]] = defaultdict(list)
        for i in idx:
            cat = str(problem.category[ctx.lm.pairs.opportunity[i]])
            if cat:
                per_cat[cat].append(i)
        for cat, members in per_cat.items():
            limit = limits.get(cat, limits.get("*"))
            if limit is not None and len(members) > limit:
                ctx.lm.row(members, np.ones(len(members)), hi=limit)


def _check(held: Held) -> list[str]:
    problem = held.problem
    if not problem.options.category_limit or problem.category is None:
        return []
    limits = dict(problem.options.category_limit)
    out: list[str] = []
    for p, opps in held.by_participant.items():
        counts: dict[str, int] = defaultdict(int)
        for o in opps:
            if problem.category[o]:
                counts[str(problem.category[o])] += 1
        for cat, k in counts.items():
            limit = limits.get(cat, limits.get("*"))
            if limit is not None and k > limit:
                pid = problem.participant_ids[p]
                out.append(f"participant {pid} holds {k} seats in category {cat} (max {limit})")
    return out


def _blocks(view: ExplainView, p: np.ndarray, o: np.ndarray) -> np.ndarray:
    import numpy as np

    problem = view.problem
    limits = dict(problem.options.category_limit)
    out = np.zeros(o.size, dtype=bool)
    if problem.category is None or not limits:
        return out
    for k, (pk, ok) in enumerate(zip(p.tolist(), o.tolist(), strict=True)):
        cat = str(problem.category[ok])
        if not problem.category[ok]:
            continue
        limit = limits.get(cat, limits.get("*"))
        mine = view.held.get(pk, set())
        out[k] = limit is not None and sum(1 for h in mine if problem.category[h] == cat) >= limit
    return out


RULE = Rule(
    name="category_limits",
    model_order=40,
    words="category limits",
    present=_present,
    build=_build,
    check=_check,
    options=(OptionField("category_limit", parse, dict),),
    cli=(
        CliFlag(
            "--category-limit",
            "category_limit",
            "At most this many seats per participant in each category.",
            type=int,
            to_option=lambda n: (("*", n),),
        ),
    ),
    form=(
        FormField(
            "category_limit",
            "Seats per category",
            "category_limit",
            form_json("category_limit"),
            '{"lab": 2, "*": 1}',
        ),
    ),
    reason=Reason(
        "CATEGORY_LIMIT",
        "you already hold the most seats allowed in {opp}'s category",
        _blocks,
        precedence=40,
    ),
)
