"""Shared capacities: at most ``capacity`` seats in all of a set of opportunities together.

A supervisor who offers several projects but takes at most k students in all, a room used by
two sessions, a lecturer across sections. JSON
``"capacity_groups": [{"group_id": "S1", "capacity": 3, "opportunities": ["P1", "P2"]}]``;
``--capacity-groups FILE`` (capacity_groups.csv, ``group_id,capacity,opportunity_id``, one row
per member, read by ``flok.io``). Each opportunity keeps its own capacity as well; groups may
overlap (a project in its supervisor's group and in a room's group).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flok.errors import InputError
from flok.options import CapacityGroup, parse_int
from flok.solvers.rules.base import (
    BuildContext,
    CliFlag,
    ExplainView,
    FormField,
    Held,
    OptionField,
    Pairs,
    Reason,
    Rule,
    form_json,
)

if TYPE_CHECKING:  # numpy and the model load when a rule runs, not for `flok --help`
    import numpy as np

    from flok.model import Problem

KEYS = {"group_id", "capacity", "opportunities"}


def parse(raw: Any, source: str, key: str) -> tuple[CapacityGroup, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise InputError("must be a list of capacity group objects", source=source, field=key)
    groups = tuple(_group(item, source, f"{key}[{i + 1}]") for i, item in enumerate(raw))
    _check_unique(groups, source, key)
    return groups


def _group(item: Any, source: str, where: str) -> CapacityGroup:
    if not isinstance(item, Mapping):
        raise InputError("must be an object", source=source, field=where)
    extra = set(item) - KEYS
    if extra:
        raise InputError(f"unknown key '{sorted(extra)[0]}'", source=source, field=where)
    gid = item.get("group_id")
    if not isinstance(gid, str | int) or isinstance(gid, bool) or not str(gid).strip():
        raise InputError("needs a non-empty 'group_id'", source=source, field=f"{where}.group_id")
    if "capacity" not in item:
        raise InputError("needs 'capacity'", source=source, field=f"{where}.capacity")
    capacity = parse_int(item["capacity"], source, f"{where}.capacity")
    members = item.get("opportunities")
    if not isinstance(members, Sequence) or isinstance(members, str):
        raise InputError("must be a list of opportunity ids", source=source, field=f"{where}.opportunities")
    if not members:
        raise InputError(
            f"capacity group {str(gid).strip()} has no opportunities (an empty group)",
            source=source,
            field=f"{where}.opportunities",
        )
    out: list[str] = []
    for o in members:
        if not isinstance(o, str | int) or isinstance(o, bool) or not str(o).strip():
            raise InputError(
                f"opportunity ids must be non-empty strings, got {o!r}",
                source=source,
                field=f"{where}.opportunities",
            )
        if str(o).strip() in out:
            raise InputError(
                f"capacity group {str(gid).strip()} lists opportunity '{str(o).strip()}' twice",
                source=source,
                field=f"{where}.opportunities",
            )
        out.append(str(o).strip())
    return CapacityGroup(group_id=str(gid).strip(), capacity=capacity, opportunities=tuple(out))


def _check_unique(groups: Sequence[CapacityGroup], source: str, key: str) -> None:
    seen: dict[str, int] = {}
    for i, g in enumerate(groups):
        if g.group_id in seen:
            raise InputError(
                f"duplicate group id '{g.group_id}' (also item {seen[g.group_id]})",
                source=source,
                field=f"{key}[{i + 1}].group_id",
            )
        seen[g.group_id] = i + 1


def to_json(groups: tuple[CapacityGroup, ...]) -> list[dict[str, Any]]:
    return [
        {"group_id": g.group_id, "capacity": g.capacity, "opportunities": list(g.opportunities)}
        for g in groups
    ]


def _validate(problem: Problem) -> None:
    """Every member exists, and group ids stay unique once a file's groups are appended."""
    groups = problem.options.capacity_groups
    _check_unique(groups, "options", "capacity_groups")
    known = set(map(str, problem.opportunity_ids))
    for i, g in enumerate(groups):
        if isinstance(g.capacity, bool) or not isinstance(g.capacity, int) or g.capacity < 0:
            raise InputError(
                f"must be a whole number ≥ 0, got {g.capacity!r}",
                source="options",
                field=f"capacity_groups[{i + 1}].capacity",
            )
        if not g.opportunities:
            raise InputError(
                f"capacity group {g.group_id} has no opportunities (an empty group)",
                source="options",
                field=f"capacity_groups[{i + 1}].opportunities",
            )
        for o in g.opportunities:
            if o not in known:
                raise InputError(
                    f"capacity group {g.group_id} names unknown opportunity '{o}'",
                    source="options",
                    field=f"capacity_groups[{i + 1}].opportunities",
                )


def _index(problem: Problem) -> dict[str, int]:
    return {str(o): i for i, o in enumerate(problem.opportunity_ids.tolist())}


def _members(index: Mapping[str, int], group: CapacityGroup) -> list[int]:
    return sorted({index[o] for o in group.opportunities})


def _build(ctx: BuildContext) -> None:
    """One row per group: the seats in all its opportunities together ≤ its capacity."""
    import numpy as np

    index = _index(ctx.problem)
    for g in ctx.problem.options.capacity_groups:
        members = _members(index, g)
        idx = [i for o in members for i in ctx.by_o.get(o, [])]
        # Rows that cannot bind are left out; the opportunities' own capacities already hold.
        if len(idx) > g.capacity and sum(int(ctx.problem.capacity[o]) for o in members) > g.capacity:
            ctx.lm.row(idx, np.ones(len(idx)), hi=g.capacity, rule=g.describe())


def _check(held: Held) -> list[str]:
    """Recount each group's seats from the allocation itself (no code shared with ``_build``)."""
    problem = held.problem
    out: list[str] = []
    if not problem.options.capacity_groups:
        return out
    seats_in: dict[str, int] = {}
    for o in held.opp.tolist():
        name = str(problem.opportunity_ids[o])
        seats_in[name] = seats_in.get(name, 0) + 1
    for g in problem.options.capacity_groups:
        taken = sum(seats_in.get(name, 0) for name in set(g.opportunities))
        if taken > g.capacity:
            out.append(
                f"capacity group {g.group_id} holds {taken} seats in {', '.join(g.opportunities)} "
                f"(shared capacity {g.capacity})"
            )
    return out


def _blocks(view: ExplainView, p: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Rows whose opportunity had free seats but is in a group whose shared capacity was used up."""
    import numpy as np

    problem = view.problem
    full = np.zeros(problem.n_opportunities, dtype=bool)
    index = _index(problem)
    for g in problem.options.capacity_groups:
        members = _members(index, g)
        if int(view.used[members].sum()) >= g.capacity:
            full[members] = True
    return full[o]


def _conflicts(problem: Problem, pairs: Pairs) -> list[str]:
    """Forced pairs that alone overfill a shared capacity."""
    forced = problem.pair_indices(problem.options.forced, "forced")
    out: list[str] = []
    index = _index(problem)
    for g in problem.options.capacity_groups:
        members = set(_members(index, g))
        count = sum(1 for o in forced[:, 1].tolist() if o in members) if forced.size else 0
        if count > g.capacity:
            out.append(
                f"{count} participants are forced into {', '.join(g.opportunities)}, which share "
                f"capacity group {g.group_id} of {g.capacity} seats"
            )
    return out


RULE = Rule(
    name="capacity_groups",
    model_order=70,
    words="shared capacities",
    present=lambda problem: bool(problem.options.capacity_groups),
    build=_build,
    validate=_validate,
    check=_check,
    options=(OptionField("capacity_groups", parse, to_json),),
    cli=(
        CliFlag(
            "--capacity-groups",
            "capacity_groups",
            "capacity_groups.csv: group_id,capacity,opportunity_id (shared capacities).",
            kind="file",
            file_reader="capacity_groups",
        ),
    ),
    form=(
        FormField(
            "capacity_groups",
            "Shared capacities",
            "capacity_groups",
            form_json("capacity_groups"),
            '[{"group_id": "S1", "capacity": 3, "opportunities": ["P1", "P2"]}]',
        ),
    ),
    reason=Reason(
        "SHARED_CAPACITY",
        "{opp} had free seats, but it shares a capacity with other opportunities that was used up",
        _blocks,
        precedence=45,
    ),
    conflicts=_conflicts,
)
