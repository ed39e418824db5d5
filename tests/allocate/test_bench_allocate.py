"""`flok bench allocate` on a tiny instance: every engine and path it times reaches the same
optimum (the benchmark asserts it while measuring), and its three tables show each measured row.
Timings are printed, never asserted (they live in the README, measured on a quiet machine)."""

from __future__ import annotations

import pytest

from flok.bench.allocate import csv_table, engine_table, run_size, table
from flok.solvers.engines import NATIVE_AVAILABLE


def test_a_small_run_measures_every_path_and_tabulates_it() -> None:
    row = run_size(300, 12, seed=3, with_csv=True)
    assert row["seats"] > 0 and row["objective"] > 0
    for key in ("validate", "build", "solve", "decode", "total", "naive", "pulp", "csv", "csv_report"):
        assert row[key] > 0, key
    assert row["ortools_in_memory"] > 0
    assert "| 300×12 |" in table([row])
    assert "| 300×12 |" in csv_table([row])
    if NATIVE_AVAILABLE:
        assert row["native"] > 0 and row["warm_resolve"] > 0
        assert "| 300×12 |" in engine_table([row])


@pytest.mark.parametrize("columns", [6, 11])
def test_the_tables_have_one_cell_per_column(columns: int) -> None:
    row = {
        "size": "1×1",
        "ortools_best": 1.0,
        "native": 0.5,
        "native_total": 0.6,
        "cold_resolve": 0.3,
        "warm_resolve": 0.2,
        "csv": 0.4,
        "csv_report": 0.5,
        "ortools_in_memory": 0.8,
    }
    text = csv_table([row]) if columns == 6 else engine_table([row])
    header, rule, line = text.splitlines()
    assert header.count("|") == rule.count("|") == line.count("|") == columns + 1
    assert ("0.50×" in line and "+25%" in line) if columns == 6 else ("2.00×" in line and "1.5×" in line)


def test_the_warm_start_table_repairs_every_change_and_agrees_with_the_cold_solve() -> None:
    """`flok bench resolve`'s second table: each row's warm start was repaired (not solved cold)
    and reached the cold optimum (warm_rows asserts that itself)."""
    from flok.bench.generate import zipf_instance
    from flok.bench.resolve import turnover, warm_rows

    problem = zipf_instance(300, 12, seed=2).problem()
    after = turnover(problem, 5, seed=1)
    assert after.n_participants == problem.n_participants + 5
    assert set(after.participant_ids[after.pref_participant]) <= set(after.participant_ids)
    rows = warm_rows(300, 12, seed=2, turnovers=(1, 5))
    assert [r[1] for r in rows] == ["1 leave, 1 join", "5 leave, 5 join", "the 1% change above"]
    assert all(len(r) == 6 and r[-1] == "repaired" for r in rows)
