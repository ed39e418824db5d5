"""What Flok would read from a file, and every problem in it, before anything is stored or solved.

``flok import preview``, the API's preview and the dashboard's mapping form show this: the
columns -> fields decision (:class:`flok.io.importer.ImportReport`), the first records as Flok
will read them, counts, and every problem with its row and the user's own header (not only the
first, as a real import stops at).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flok.io.importer import ImportReport, Kind, import_table
from flok.io.mapping import ImportSpec, resolve
from flok.table import Table

KINDS: tuple[str, ...] = ("preferences", "opportunities", "participants", "circle-participants", "circles")

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Issue:
    """One problem in the user's terms: their row and header, and what is wrong."""

    row: int
    header: str
    message: str

    def one_line(self) -> str:
        return f"row {self.row}, column '{self.header}': {self.message}"


@dataclass(frozen=True)
class Preview:
    report: ImportReport
    kind: Kind
    columns: list[str]
    head: list[list[str]]
    head_rows: list[int]
    counts: dict[str, int]
    issues: list[Issue] = field(default_factory=list)
    more_issues: int = 0


def guess_kind(path: str | Path | bytes, spec: ImportSpec | None = None, *, name: str | None = None) -> Kind:
    """The kind of table a file most likely is: the preset's own kind when it names one, else
    capacities -> opportunities, choices -> preferences."""
    made_for = resolve(spec).kind
    if made_for in KINDS:
        return made_for  # type: ignore[return-value]
    table, report = import_table(path, "preferences", spec, name=name)
    if table.has("capacity"):
        return "opportunities"
    if report.shape != "long" or table.has("opportunity_id"):
        return "preferences"
    return "participants"


def preview(
    path: str | Path | bytes,
    kind: Kind,
    spec: ImportSpec | None = None,
    *,
    name: str | None = None,
    rows: int = 5,
) -> Preview:
    """Read ``path`` as ``kind`` through the import layer and check every value; stores nothing."""
    return summarize(*import_table(path, kind, spec, name=name), kind, rows)


def summarize(table: Table, report: ImportReport, kind: Kind, rows: int = 5) -> Preview:
    """The preview of a table already read (a file, or a JSON upload's records)."""
    columns = list(table.columns)
    head_n = min(rows, table.num_rows)
    head = [[table.text(c)[i].as_py() for c in columns] for i in range(head_n)]
    issues = list(_issues(table, kind))
    counts = {"rows": report.rows, "records": table.num_rows}
    for col in ("participant_id", "opportunity_id"):
        if table.has(col):
            counts[col] = len({v for v in table.text(col).to_pylist() if v})
    return Preview(
        report=report,
        kind=kind,
        columns=columns,
        head=head,
        head_rows=[table.row(i) for i in range(head_n)],
        counts=counts,
        issues=issues[:MAX_PROBLEMS],
        more_issues=max(0, len(issues) - MAX_PROBLEMS),
    )


def _whole(minimum: int) -> Callable[[str], str | None]:
    def check(cell: str) -> str | None:
        try:
            value = float(cell)
        except ValueError:
            return f"must be a whole number, got '{cell}'"
        if not value.is_integer() or value < minimum:
            return f"must be a whole number ≥ {minimum}, got '{cell}'"
        return None

    return check


def _finite(cell: str) -> str | None:
    try:
        value = float(cell)
    except ValueError:
        return f"must be a number, got '{cell}'"
    return None if math.isfinite(value) else f"must be a finite number, got '{cell}'"


RULES: dict[Kind, dict[str, tuple[bool, Callable[[str], str | None] | None]]] = {
    "preferences": {
        "participant_id": (True, None),
        "opportunity_id": (True, None),
        "rank": (True, _whole(1)),
        "score": (True, _finite),
        "penalty": (False, _finite),
    },
    "opportunities": {
        "opportunity_id": (True, None),
        "capacity": (True, _whole(0)),
        "min_size": (False, _whole(0)),
    },
    "participants": {"participant_id": (True, None), "max_seats": (False, _whole(1))},
    # Circles' files: the ids here; every other value is checked by the circle roster's reader.
    "circle-participants": {"participant_id": (True, None)},
    "circles": {"circle_id": (True, None)},
}
"""Per kind and column: (a value is required, the check of a non-empty value)."""


def _issues(table: Table, kind: Kind) -> list[Issue]:
    out: list[Issue] = []
    ids = {
        "opportunities": ("opportunity_id",),
        "participants": ("participant_id",),
        "circle-participants": ("participant_id",),
        "circles": ("circle_id",),
    }.get(kind, ())
    needed = [c for c in RULES[kind] if RULES[kind][c][0] and c not in ("rank", "score")]
    if kind == "preferences" and not (table.has("rank") or table.has("score")):
        out.append(
            Issue(
                1,
                "(header)",
                "no 'rank' or 'score' column: say which column holds the rank, e.g. --map rank=Priority",
            )
        )
    for col in needed:
        if not table.has(col):
            have = ", ".join(f"'{table.headers.get(c, c)}'" for c in table.columns)
            out.append(
                Issue(
                    1,
                    "(header)",
                    f"no column for '{col}' (columns found: {have}); map one with --map {col}=HEADER",
                )
            )
    for col, (required, check) in RULES[kind].items():
        if not table.has(col):
            continue
        cells = table.text(col).to_pylist()
        seen: dict[str, int] = {}
        for i, cell in enumerate(cells):
            header = table.header(i, col) or col
            if not cell:
                if required:
                    out.append(Issue(table.row(i), header, "empty; every row needs a value"))
                continue
            problem = check(cell) if check else None
            if problem:
                out.append(Issue(table.row(i), header, problem))
            if col in ids:
                if cell in seen:
                    out.append(Issue(table.row(i), header, f"'{cell}' repeats row {seen[cell]}"))
                seen.setdefault(cell, table.row(i))
    if kind == "preferences" and table.has("participant_id") and table.has("rank"):
        ranks: dict[tuple[str, str], int] = {}
        people, levels = table.text("participant_id").to_pylist(), table.text("rank").to_pylist()
        for i, key in enumerate(zip(people, levels, strict=True)):
            if key in ranks and all(key):
                header = table.header(i, "rank") or "rank"
                out.append(
                    Issue(
                        table.row(i),
                        header,
                        f"'{key[0]}' uses rank {key[1]} twice (first at row {ranks[key]})",
                    )
                )
            ranks.setdefault(key, table.row(i))
    if kind == "preferences" and table.has("participant_id") and table.has("opportunity_id"):
        pairs: dict[tuple[str, str], int] = {}
        for i, pair in enumerate(
            zip(
                table.text("participant_id").to_pylist(),
                table.text("opportunity_id").to_pylist(),
                strict=True,
            )
        ):
            if pair in pairs:
                header = table.header(i, "opportunity_id") or "opportunity_id"
                out.append(
                    Issue(
                        table.row(i),
                        header,
                        f"'{pair[0]}' lists '{pair[1]}' twice (first at row {pairs[pair]})",
                    )
                )
            pairs.setdefault(pair, table.row(i))
    return sorted(dict.fromkeys(out), key=lambda issue: issue.row)  # one per row, header and words
