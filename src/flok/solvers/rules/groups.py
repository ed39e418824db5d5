"""Friends together: participants sharing a ``group`` label get the same opportunities.

Data: the ``group`` column of participants.csv. JSON ``group_mode`` ("hard": together or all
unassigned; "soft": may split at ``group_penalty`` per separated pair); ``--group-mode``,
``--group-penalty``. Soft groups are an objective term: only hard groups are verified.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from flok.options import choice, parse_number
from flok.solvers.rules.base import BuildContext, CliFlag, ExplainView, Held, OptionField, Pairs, Reason, Rule

if TYPE_CHECKING:  # numpy and the model load when a rule runs, not for `flok --help`
    import numpy as np

    from flok.model import Problem

GROUP_MODES = ("hard", "soft")


def _build(ctx: BuildContext) -> None:
    import numpy as np

    problem, lm = ctx.problem, ctx.lm
    for members in problem.group_index()[1]:
        name = str(problem.group[members[0]])  # type: ignore[index]
        per_member = [{int(lm.pairs.opportunity[i]): i for i in ctx.by_p.get(int(p), [])} for p in members]
        common = set.intersection(*(set(d) for d in per_member))
        if problem.options.group_mode == "hard":
            rule = f"group {name} ({members.size} people) must stay together"
            for d in per_member:
                for o, i in d.items():
                    if o not in common:
                        lm.row([i], [1], hi=0, rule=rule)
            for o in sorted(common):
                first = per_member[0][o]
                for d in per_member[1:]:
                    lm.row([d[o], first], [1, -1], lo=0, hi=0, rule=rule)
            continue
        for a in range(len(per_member)):
            for b in range(a + 1, len(per_member)):
                together = lm.var()
                links = []
                for o in per_member[a]:
                    if o in per_member[b]:
                        y = lm.var()
                        lm.row([y, per_member[a][o]], [1, -1], hi=0)
                        lm.row([y, per_member[b][o]], [1, -1], hi=0)
                        links.append(y)
                lm.row([together, *links], [1, *(-np.ones(len(links)))], hi=0)
                lm.together.append((together, name))


def _check(held: Held) -> list[str]:
    problem = held.problem
    if problem.group is None or problem.options.group_mode != "hard":
        return []
    by_group: dict[str, list[int]] = defaultdict(list)
    for p, g in enumerate(problem.group):
        if g:
            by_group[str(g)].append(p)
    return [
        f"group {g} is split across different opportunities"
        for g, members in by_group.items()
        if len({tuple(sorted(held.by_participant.get(p, []))) for p in members}) > 1
    ]


def _blocks(view: ExplainView, p: np.ndarray, o: np.ndarray) -> np.ndarray:
    import numpy as np

    if view.problem.options.group_mode != "hard":
        return np.zeros(o.size, dtype=bool)
    return view.problem.group_index()[0][p] >= 0


def _conflicts(problem: Problem, pairs: Pairs) -> list[str]:
    opts = problem.options
    if opts.group_mode != "hard":
        return []
    out: list[str] = []
    forced_people = {f[0] for f in opts.forced}
    for members in problem.group_index()[1]:
        name = str(problem.group[members[0]])  # type: ignore[index]
        sets = [set(pairs.opportunity[pairs.participant == p].tolist()) for p in members]
        fits = [o for o in set.intersection(*sets) if problem.capacity[o] >= members.size]
        must = not opts.allow_unassigned or any(
            str(problem.participant_ids[p]) in forced_people for p in members
        )
        if not fits and must:
            out.append(
                f"group {name} ({members.size} people) fits in no opportunity with "
                f"{members.size} free seats that all of them accept"
            )
    return out


RULE = Rule(
    name="groups",
    model_order=60,
    words="groups",
    present=lambda problem: bool(problem.group_index()[1]),
    build=_build,
    check=_check,
    options=(
        OptionField("group_mode", choice(GROUP_MODES)),
        OptionField("group_penalty", lambda raw, source, key: parse_number(raw, source, key, minimum=0.0)),
    ),
    cli=(
        CliFlag(
            "--group-mode", "group_mode", "hard or soft (groups from participants.csv).", choices=GROUP_MODES
        ),
        CliFlag("--group-penalty", "group_penalty", "Soft groups: cost per separated pair.", type=float),
    ),
    reason=Reason("GROUP", "your group could not all be placed in {opp} together", _blocks, precedence=20),
    conflicts=_conflicts,
)
