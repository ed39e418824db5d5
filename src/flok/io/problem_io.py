"""Read a Problem from the CSV trio or one JSON file, and write an allocation's outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flok.allocation import Allocation
from flok.errors import InputError
from flok.io.table import read_csv
from flok.io.writers import Outputs, assignments_table, write_json, write_table_csv
from flok.model import Options, Problem


def read_problem(
    *,
    problem_json: Path | None = None,
    opportunities: Path | None = None,
    preferences: Path | None = None,
    participants: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Problem:
    """Load from one JSON file or from CSV files; ``overrides`` replace options (CLI flags)."""
    changes = {k: v for k, v in (overrides or {}).items() if v is not None}
    if problem_json is not None:
        if opportunities or preferences or participants:
            raise InputError(
                "give either one JSON problem file or CSV files, not both", source=str(problem_json)
            )
        problem = Problem.from_json(problem_json)
        return problem.with_options(**changes) if changes else problem
    if opportunities is None or preferences is None:
        raise InputError("give a JSON problem file, or both --opportunities and --preferences")
    opts = Options().with_(**changes)
    return Problem.from_tables(
        read_csv(opportunities), read_csv(preferences), read_csv(participants) if participants else None, opts
    )


def write_allocation(
    allocation: Allocation, out: Outputs, *, assignments: str | Path, report: str | Path | None = None
) -> None:
    with out.open(assignments) as stream:
        write_table_csv(assignments_table(allocation), stream)
    if report is not None:
        with out.open(report) as stream:
            write_json(allocation.report(), stream)
