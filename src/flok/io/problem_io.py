"""Read a Problem from the CSV trio or one JSON file, and write an allocation's outputs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from flok.allocation import Allocation
from flok.errors import InputError
from flok.io.csv_reader import read_csv
from flok.io.explanations import explanations_reference, write_explanations, write_report
from flok.io.importer import Kind, import_table
from flok.io.json_reader import read_json
from flok.io.mapping import ImportSpec
from flok.io.writers import Outputs, assignments_table, csv_safe, write_json, write_table_csv
from flok.model import Options, Problem, Quota
from flok.options import CapacityGroup
from flok.resolve import Resolution
from flok.table import Table


def read_problem(
    *,
    problem_json: Path | None = None,
    opportunities: Path | None = None,
    preferences: Path | None = None,
    participants: Path | None = None,
    overrides: dict[str, Any] | None = None,
    specs: Mapping[str, ImportSpec] | None = None,
) -> Problem:
    """Load from one JSON file or from CSV/xlsx files; ``overrides`` replace options (CLI flags).

    Each file goes through the import layer (``flok.io.importer``) with its own ``specs[kind]``
    (column and value mappings, shape, preset), so a mapping applies only to its file.
    """
    changes = {k: v for k, v in (overrides or {}).items() if v is not None}
    if problem_json is not None:
        if opportunities or preferences or participants:
            raise InputError(
                "give either one JSON problem file or CSV files, not both", source=str(problem_json)
            )
        problem = Problem.from_json(read_json(problem_json), source=problem_json.name)
        return problem.with_options(**changes) if changes else problem
    if opportunities is None or preferences is None:
        raise InputError("give a JSON problem file, or both --opportunities and --preferences")
    opts = Options().with_(**changes)
    specs = specs or {}

    def load(path: Path, kind: Kind) -> Table:
        return import_table(path, kind, specs.get(kind))[0]

    return Problem.from_tables(
        load(opportunities, "opportunities"),
        load(preferences, "preferences"),
        load(participants, "participants") if participants else None,
        opts,
    )


def read_pairs(path: Path) -> tuple[tuple[str, str], ...]:
    """A CSV of (participant_id, opportunity_id) pairs: forbidden or forced assignments."""
    table = read_csv(path)
    pids, oids = table.ids("participant_id").to_pylist(), table.ids("opportunity_id").to_pylist()
    return tuple(zip(pids, oids, strict=True))


def read_quotas(path: Path) -> tuple[Quota, ...]:
    """quotas.csv: opportunity_id (empty or * = every one), attribute, value, min, max, max_share."""
    table = read_csv(path)
    table.require("attribute", "value")
    records: list[dict[str, Any]] = []
    cols = {c: table.text(c).to_pylist() for c in ("opportunity_id", "attribute", "value")}
    nums = {c: table.floats(c, default=float("nan")) for c in ("min", "max", "max_share")}
    for i in range(table.num_rows):
        rec: dict[str, Any] = {
            "attribute": cols["attribute"][i],
            "value": cols["value"][i],
            "opportunity": cols["opportunity_id"][i],
        }
        for c in ("min", "max"):
            v = nums[c][i]
            if v == v:
                if v != int(v) or v < 0:
                    raise table.error(i, c, f"must be a whole number ≥ 0, got {v:g}")
                rec[c] = int(v)
        if nums["max_share"][i] == nums["max_share"][i]:
            rec["max_share"] = float(nums["max_share"][i])
        records.append(rec)
    try:
        return Options.from_mapping({"quotas": records}, table.source).quotas
    except InputError as exc:
        row = None
        if exc.field and exc.field.startswith("quotas["):
            row = table.row(int(exc.field[7:].split("]")[0]) - 1)
        raise InputError(
            exc.message,
            source=table.source,
            row=row,
            field=(exc.field or "").split(".")[-1] if "." in (exc.field or "") else None,
        ) from None


def read_capacity_groups(path: Path) -> tuple[CapacityGroup, ...]:
    """capacity_groups.csv: group_id, capacity, opportunity_id; one row per member opportunity."""
    return _read_capacity_groups(path)[0]


def _read_capacity_groups(path: Path) -> tuple[tuple[CapacityGroup, ...], list[dict[str, int]]]:
    """The groups, and per group the file row of each member (to locate a later check's error).

    Rows of one group must agree on its capacity; a member listed twice in a group is refused.
    """
    table = read_csv(path)
    table.require("group_id", "capacity", "opportunity_id")
    gids = table.ids("group_id").to_pylist()
    oids = table.ids("opportunity_id").to_pylist()
    caps = table.integers("capacity", minimum=0, what="a whole number").tolist()
    order: list[str] = []
    capacity: dict[str, tuple[int, int]] = {}  # group -> (capacity, first row index)
    members: dict[str, dict[str, int]] = {}
    for i, (gid, oid, cap) in enumerate(zip(gids, oids, caps, strict=True)):
        if gid not in capacity:
            order.append(gid)
            capacity[gid] = (cap, i)
            members[gid] = {}
        elif capacity[gid][0] != cap:
            first_cap, first = capacity[gid]
            raise table.error(
                i,
                "capacity",
                f"group {gid} has capacity {cap} here but {first_cap} in row {table.row(first)}; "
                "rows of one group must agree",
            )
        if oid in members[gid]:
            raise table.error(
                i,
                "opportunity_id",
                f"opportunity {oid} is listed twice in group {gid} (row {members[gid][oid]})",
            )
        members[gid][oid] = table.row(i)
    groups = tuple(
        CapacityGroup(group_id=g, capacity=capacity[g][0], opportunities=tuple(members[g])) for g in order
    )
    return groups, [members[g] for g in order]


RULE_FILE_READERS: dict[str, Callable[[Path], tuple[Any, ...]]] = {
    "pairs": read_pairs,
    "quotas": read_quotas,
    "capacity_groups": read_capacity_groups,
}
"""File readers by the name a side rule's CLI flag gives (``CliFlag.file_reader``): the core
rule says which reader, the reading stays here (the core never reads files)."""


def apply_rule_files(problem: Problem, files: Iterable[tuple[str, str, Path]]) -> Problem:
    """Add rules read from files, given as (option key, reader name, path), in that order.

    What a file holds is appended to the option. A rule's check names the option and its item
    (``quotas[3].attribute``, "... in item 2"); this maps that item back to the file's row and
    column, since the person has to fix the file, not the option.
    """
    for option, reader, path in files:
        values = RULE_FILE_READERS[reader](path)
        before = getattr(problem.options, option)
        if reader == "pairs":
            _check_forced_forbidden(problem, option, values, path)
        try:
            problem = problem.with_options(**{option: before + values})
        except InputError as exc:
            if reader == "capacity_groups":
                located = _locate_group(exc, option, len(before), len(values), path)
            else:
                located = _locate(exc, option, reader, len(before), len(values), path)
            if located is None:
                raise
            raise located from None
    return problem


_OTHER_PAIRS = {"forced": "forbidden", "forbidden": "forced"}


def _check_forced_forbidden(
    problem: Problem, option: str, values: tuple[tuple[str, str], ...], path: Path
) -> None:
    """A pair in this file that the other pair rule already holds: name the file's row."""
    other = _OTHER_PAIRS.get(option)
    if other is None:
        return
    taken = set(getattr(problem.options, other))
    for i, pair in enumerate(values):
        if pair in taken:
            raise InputError(
                f"pair ({pair[0]}, {pair[1]}) is both forced and forbidden",
                source=path.name,
                row=i + 2,
                field="opportunity_id",
            )


_QUOTA_COLUMNS = {"opportunity": "opportunity_id"}


def _locate(
    exc: InputError, option: str, reader: str, before: int, count: int, path: Path
) -> InputError | None:
    """The file, row and column of a rule check's error about an item this file added."""
    item: int | None = None
    field: str | None = None
    message = exc.message
    if exc.field and exc.field.startswith(f"{option}["):  # quotas[3].attribute
        item = int(exc.field[len(option) + 1 :].split("]")[0])
        sub = exc.field.split(".", 1)[1] if "." in exc.field else None
        field = _QUOTA_COLUMNS.get(sub, sub) if sub else None
    elif reader == "pairs" and exc.field == option and " in item " in exc.message:
        head, _, number = exc.message.rpartition(" in item ")
        if not number.isdigit():
            return None
        item, message = int(number), head
        field = "participant_id" if "participant" in head else "opportunity_id"
    if item is None or not before < item <= before + count:
        return None
    return InputError(message, source=path.name, row=item - before + 1, field=field)


def _locate_group(exc: InputError, option: str, before: int, count: int, path: Path) -> InputError | None:
    """The file row of a capacity group check's error: a group spans rows, one per member.

    ``capacity_groups[3].opportunities`` about opportunity 'P9' is the row of P9 in group 3;
    ``capacity_groups[3].group_id`` (a duplicate id) is the group's first row.
    """
    if not exc.field or not exc.field.startswith(f"{option}["):
        return None
    item = int(exc.field[len(option) + 1 :].split("]")[0])
    if not before < item <= before + count:
        return None
    rows = _read_capacity_groups(path)[1][item - before - 1]
    sub = exc.field.split(".", 1)[1] if "." in exc.field else None
    named = re.search(r"'([^']*)'$", exc.message)
    if sub == "opportunities" and named and named.group(1) in rows:
        return InputError(exc.message, source=path.name, row=rows[named.group(1)], field="opportunity_id")
    field = {"opportunities": "opportunity_id", "capacity": "capacity"}.get(sub or "", "group_id")
    return InputError(exc.message, source=path.name, row=min(rows.values()), field=field)


def read_previous(path: Path, spec: ImportSpec | None = None) -> list[tuple[str, str]]:
    """Who holds which seat now: a Flok assignments.csv (or any file with participant_id and
    opportunity_id); rows without an opportunity are people without a seat."""
    table = import_table(path, "assignments", spec)[0]
    pids = table.ids("participant_id").to_pylist()
    table.require("opportunity_id")
    oids = table.text("opportunity_id").to_pylist()
    pairs = [(p, o) for p, o in zip(pids, oids, strict=True) if o]
    seen: dict[tuple[str, str], int] = {}
    for i, pair in enumerate(pairs):
        if pair in seen:
            raise table.error(i, "opportunity_id", f"'{pair[0]}' holds '{pair[1]}' twice")
        seen[pair] = i
    return pairs


def write_diff(resolution: Resolution, out: Outputs, path: str | Path) -> None:
    """diff.csv: one row per participant whose seats changed (before and after as ``a;b`` lists)."""
    rows = resolution.diff()
    table = pa.table(
        {
            "participant_id": csv_safe(pa.array([c.participant_id for c in rows], type=pa.string())),
            "before": csv_safe(pa.array([";".join(c.before) for c in rows], type=pa.string())),
            "after": csv_safe(pa.array([";".join(c.after) for c in rows], type=pa.string())),
            "change": pa.array([c.change for c in rows], type=pa.string()),
            "why": csv_safe(pa.array([c.why for c in rows], type=pa.string())),
        }
    )
    with out.open(path) as stream:
        write_table_csv(table, stream)


def write_allocation(
    allocation: Allocation,
    out: Outputs,
    *,
    assignments: str | Path,
    report: str | Path | None = None,
    explanations: str | Path | None = None,
) -> None:
    """assignments.csv, and report.json if asked; with ``explanations`` (the compact report) the
    reasons go to that CSV and report.json names it instead of holding them."""
    with out.open(assignments) as stream:
        write_table_csv(assignments_table(allocation), stream)
    reference: dict[str, Any] = {}
    if explanations is not None:
        with out.open(explanations) as stream:
            explained = write_explanations(allocation, stream)
        if report is not None:
            reference = explanations_reference(explanations, report, explained)
    if report is not None:
        with out.open(report) as stream:
            if explanations is None:
                write_report(allocation, stream)
            else:
                write_json(allocation.report(explanations=False) | reference, stream)
