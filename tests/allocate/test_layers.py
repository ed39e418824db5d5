"""Import direction of the allocation core, and the one "end before start" check."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import flok
from flok.windows import first_backwards

SRC = Path(flok.__file__).parent


def _imports(module: str) -> set[str]:
    """Every flok module a source file imports, at module level or inside functions."""
    tree = ast.parse((SRC / module).read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {name for name in out if name.startswith("flok")}


def test_explain_reads_allocations_and_allocation_does_not_import_explain() -> None:
    assert "flok.allocation" in _imports("explain.py")
    assert not any(name.startswith("flok.explain") for name in _imports("allocation.py"))


@pytest.mark.parametrize("module", ["options.py", "model.py", "table.py", "allocation.py"])
def test_the_core_below_the_solvers_does_not_import_them(module: str) -> None:
    assert not any(name.startswith(("flok.solvers", "flok.io", "flok.engine")) for name in _imports(module))


def test_rule_modules_import_only_the_core_below_them() -> None:
    """Rules see the linear model as a protocol: the model's module runs them, so no cycle."""
    for path in (SRC / "solvers" / "rules").glob("*.py"):
        names = _imports(str(path.relative_to(SRC)))
        assert all(
            n.startswith(("flok.solvers.rules", "flok.model", "flok.options", "flok.errors")) for n in names
        ), (
            path,
            names,
        )


def test_report_explanations_come_from_the_engine() -> None:
    problem = flok.Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        preferences=[
            {"participant_id": p, "opportunity_id": o, "rank": r}
            for p in "xy"
            for o, r in (("A", 1), ("B", 2))
        ],
    )
    report = flok.allocate(problem).report()
    loser = next(p for p, seat in flok.allocate(problem).seat_of().items() if seat == "B")
    assert report["explanations"][loser]["reasons"][0]["code"] == "FULL"
    assert "explanations" not in flok.allocate(problem).report(explanations=False)


def test_end_before_start_is_one_check_for_tables_and_arrays() -> None:
    assert first_backwards(np.array([1.0, 5.0, np.nan]), np.array([2.0, 4.0, 1.0])) == 1
    assert first_backwards(np.array([np.nan]), np.array([0.0])) is None
    with pytest.raises(flok.InputError) as exc:
        flok.Problem.from_records(
            opportunities=[
                {"opportunity_id": "A", "capacity": 1, "start": "2026-01-01T10:00", "end": "2026-01-01T09:00"}
            ],
            preferences=[{"participant_id": "x", "opportunity_id": "A", "rank": 1}],
        )
    assert (exc.value.field, exc.value.message) == ("end", "end is before start")
    # Fixed on the way: from_arrays (benchmarks, pulse) accepted a window ending before it starts.
    with pytest.raises(flok.InputError) as exc:
        flok.Problem.from_arrays(
            opportunity_ids=["A", "B"],
            capacity=[1, 1],
            pref_participant=[0],
            pref_opportunity=[0],
            rank=[1],
            start=[0.0, 3600.0],
            end=[3600.0, 0.0],
        )
    assert (exc.value.source, exc.value.row, exc.value.field) == ("opportunities", 2, "end")
