"""The slot model (with dominance pruning) matches the naive per-circle model on small instances."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flok.circles import CircleOptions, Weights, form
from flok.circles.roster import roster_from_tables
from flok.circles.verify import violations

from . import oracle
from .conftest import person, table

TIMES = ["Monday Evening", "Tuesday Evening", "Mon-Tue evenings", "Tuesday", "Weekends", "Varies", ""]
LOCS = ["A", "B", "C"]


@st.composite
def instances(draw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], CircleOptions]:
    n = draw(st.integers(3, 11))
    rows = []
    for i in range(n):
        locs = draw(st.lists(st.sampled_from(LOCS), min_size=1, max_size=2, unique=True))
        times = draw(st.lists(st.sampled_from(TIMES[:-1]), min_size=1, max_size=2, unique=True))
        host = draw(st.sampled_from(["always", "sometimes", "sometimes", "never"]))
        rows.append(person(f"p{i}", "|".join(locs), "|".join(times), host=host))
    circles = []
    if draw(st.booleans()):
        members = draw(st.integers(1, min(4, n - 1)))
        for row in rows[:members]:
            row.update(status="CONTINUING", current_circle_id="E1")
        circles.append(
            {
                "circle_id": "E1",
                "region": "R",
                "location": draw(st.sampled_from(LOCS)),
                "meeting_time": draw(st.sampled_from(TIMES[:2])),
                "max_additions": draw(st.integers(0, 2)),
            }
        )
    lo = draw(st.integers(2, 3))
    hi = draw(st.integers(lo, 4))
    penalty = draw(st.sampled_from([0, 0, 15]))
    opts = CircleOptions(min_size=lo, max_size=hi, weights=Weights(new_circle=penalty))
    return rows, circles, opts


def _existing(rows: list[dict[str, Any]], circles: list[dict[str, Any]], opts: CircleOptions) -> list:
    roster = roster_from_tables(table(rows), table(circles, "circles.csv") if circles else None, opts)
    out = []
    for c in roster.circles.values():
        members = sum(1 for p in roster.people if p.current_circle == c.circle_id)
        out.append((c.location, c.mask, c.max_additions, members))
    free = [p for p in roster.people if not p.current_circle]
    return [free, out]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_matched_count_and_score_equal_the_naive_model(case: tuple) -> None:
    rows, circles, opts = case
    circ_table = table(circles, "circles.csv") if circles else None
    result = form(table(rows), circ_table, opts)
    assert violations(result) == []
    free, existing = _existing(rows, circles, opts)
    best, score = oracle.solve(free, existing, opts)
    fixed = sum(1 for r in rows if r.get("current_circle_id"))
    assert result.matched == best + fixed
    assert result.matched_proven
    assert sum(r.objective for r in result.regions) == score


@settings(max_examples=10, deadline=None)
@given(instances())
def test_dominance_pruning_changes_nothing(case: tuple) -> None:
    rows, circles, opts = case
    circ = table(circles, "circles.csv") if circles else None
    pruned = form(table(rows), circ, opts)
    full = form(table(rows), circ, opts, prune=False, strong=True)
    assert pruned.matched == full.matched
    assert [r.objective for r in pruned.regions] == [r.objective for r in full.regions]


def test_every_backend_reaches_the_same_proven_optimum() -> None:
    from pathlib import Path

    import flok.bench.cbc  # noqa: F401  (registers the cbc backend; PuLP is a benchmark dependency)
    from flok.io.circles import read_tables

    data = Path(__file__).parent.parent / "data" / "circles"
    tables = read_tables(data / "participants.csv", data / "circles.csv")
    results = {b: form(*tables, backend=b, time_limit=30) for b in ("highs", "cbc", "cpsat")}
    scores = {b: [r.objective for r in res.regions] for b, res in results.items()}
    assert scores["highs"] == scores["cbc"] == scores["cpsat"]
    assert all(res.matched_proven and violations(res) == [] for res in results.values())
