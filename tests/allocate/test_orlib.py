"""Known answers: OR-Library linear assignment instances (optima from assignopt.txt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import flok

HERE = Path(__file__).resolve().parent.parent / "data" / "orlib"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "external" / "orlib" / "assign"
OPTIMA = {
    "assign100": 305,
    "assign200": 475,
    "assign300": 626,
    "assign400": 804,
    "assign500": 991,
    "assign600": 1176,
    "assign700": 1362,
    "assign800": 1552,
    "assignp800": 2239,
    "assignp1500": 5839,
    "assignp3000": 18696,
    "assignp5000": 48533,
}


def _load(path: Path) -> flok.Problem:
    tokens = np.array(path.read_text().split(), dtype=np.int64)
    n = int(tokens[0])
    if path.name.startswith("assignp"):
        triples = tokens[1:].reshape(-1, 3)
        pp, po, cost = triples[:, 0] - 1, triples[:, 1] - 1, triples[:, 2]
    else:
        cost = tokens[1 : 1 + n * n]
        pp = np.repeat(np.arange(n), n)
        po = np.tile(np.arange(n), n)
    return flok.Problem.from_arrays(
        opportunity_ids=[f"j{j}" for j in range(n)],
        capacity=np.ones(n),
        pref_participant=pp,
        pref_opportunity=po,
        score=-cost.astype(float),
        n_participants=n,
        options=flok.Options(allow_unassigned=False, min_score=-1e9),
    )


def _check(path: Path) -> None:
    problem = _load(path)
    result = flok.allocate(problem)
    assert result.stats.assigned == problem.n_participants
    assert -result.objective == OPTIMA[path.stem]
    assert flok.verify(problem, result.participant, result.opportunity) == []


@pytest.mark.parametrize("name", ["assign100", "assign200", "assign300", "assign400"])
def test_bundled_orlib_instances(name: str) -> None:
    _check(HERE / f"{name}.txt")


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "assign500",
        "assign600",
        "assign700",
        "assign800",
        "assignp800",
        "assignp1500",
        "assignp3000",
        "assignp5000",
    ],
)
def test_shared_orlib_instances(name: str) -> None:
    path = SHARED / f"{name}.txt"
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared/external/orlib is absent in this checkout")
    _check(path)
