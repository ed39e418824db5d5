"""Lexicographic stages on the cost-scaling core (`flok.solvers.lexscaling`).

Held to two references that share no code with it: the brute-force oracle (tests/oracles.py) on
tiny problems, crossed with ties, capacity 0, people without preferences, several seats,
penalties, score mode, forbidden pairs and fill_unlisted; and OR-Tools solving the lower-bound circulations of
`lexflow` on larger, crowded ones. Every case asserts that the cost-scaling path answered, so a
silent fallback to the circulations cannot hide a defect.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import flok
from flok.model import Options, Problem
from flok.solvers import engines, lexflow, lexscaling
from flok.solvers.costs import build_arcs
from flok.solvers.verify import violations
from tests.oracles import allocation_key, brute_force_general, describe

pytestmark = pytest.mark.skipif(not engines.NATIVE_AVAILABLE, reason=engines.NATIVE_MISSING)


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, per lexicographic solve, whether the cost-scaling stages gave the answer."""
    seen: list[bool] = []
    real = lexscaling.lexicographic_scaling

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(lexflow, "lexicographic_scaling", spy)
    return seen


@st.composite
def plain_levels(draw: st.DrawFn, *, n_max: int = 4, m_max: int = 3) -> Problem:
    """Tiny lexicographic problems on the plain network, at the edges the stages meet."""
    n, m = draw(st.integers(1, n_max)), draw(st.integers(1, m_max))
    score = draw(st.integers(0, 3)) == 0
    capacity = draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    pp: list[int] = []
    po: list[int] = []
    values: list[int] = []
    for p in range(n):
        listed = draw(st.lists(st.integers(0, m - 1), unique=True, max_size=m))
        # ranks (distinct per person) from a small range: equal ranks across people are common
        k = len(listed)
        values += sorted(draw(st.lists(st.integers(1, m + 1), unique=True, min_size=k, max_size=k)))
        pp += [p] * len(listed)
        po += listed
    kwargs: dict[str, Any] = {}
    if draw(st.booleans()):
        kwargs["max_seats"] = draw(st.lists(st.integers(1, 2), min_size=n, max_size=n))
    if not score and draw(st.booleans()):
        kwargs["penalty"] = draw(st.lists(st.integers(0, 2), min_size=len(pp), max_size=len(pp)))
    several = "max_seats" in kwargs and max(kwargs["max_seats"]) > 1
    forbidden: tuple[tuple[str, str], ...] = ()
    banned: bool = draw(st.booleans())
    if pp and banned:
        row = draw(st.integers(0, len(pp) - 1))
        forbidden = ((f"p{pp[row]}", f"o{po[row]}"),)
    # the unlisted node: ranks, one seat each, no forbidden pairs (the hub reaches everyone)
    unlisted = not several and not forbidden and not score and draw(st.booleans())
    options = Options(
        objective="lexicographic",
        allow_unassigned=several or draw(st.booleans()),  # "one seat each" with 2+ seats: circulations
        forbidden=forbidden,
        fill_unlisted=unlisted,
        seed=draw(st.one_of(st.none(), st.integers(0, 50))),  # a lottery: perturbed tie-break costs
    )
    values_kw = {"score": np.array(values, dtype=float) * 1.5} if score else {"rank": np.array(values)}
    return Problem.from_arrays(
        opportunity_ids=[f"o{i}" for i in range(m)],
        participant_ids=[f"p{i}" for i in range(n)],
        capacity=capacity,
        pref_participant=np.array(pp, dtype=np.int64),
        pref_opportunity=np.array(po, dtype=np.int64),
        n_participants=n,
        options=options,
        **values_kw,
        **kwargs,
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(problem=plain_levels())
def test_stages_match_the_brute_force_oracle(problem: Problem, answered: list[bool]) -> None:
    answered.clear()  # the spy is shared by every example; each one checks its own solve
    note(describe(problem))
    best = brute_force_general(problem)
    if best is None:  # nobody may stay unseated, and someone must
        with pytest.raises(flok.InfeasibleError):
            flok.allocate(problem, "native_flow")
        return
    try:
        result = flok.allocate(problem, "native_flow")
    except flok.InfeasibleError:
        pytest.fail("the oracle found an allocation")
    # a lottery over who goes unlisted may be left to the circulations (`lexicographic_scaling`)
    lottery_hub = problem.options.seed is not None and problem.options.fill_unlisted
    assert answered == [True] or (lottery_hub and answered == [False])
    assert violations(problem, result.participant, result.opportunity) == []
    load = np.bincount(result.opportunity, minlength=problem.n_opportunities)
    assert (load <= problem.capacity).all()
    assert allocation_key(problem, result.participant, result.opportunity) == best


def _crowded(
    seed: int, n: int, m: int, *, score: bool, penalty: bool, seats: bool, unlisted: bool = False
) -> Problem:
    """Many people on few popular opportunities with tied ranks: large faces, many stages."""
    rng = np.random.default_rng(seed)
    pp, po, values = [], [], []
    popular = rng.permutation(m)
    for p in range(n):
        k = int(rng.integers(0, 6))
        chosen = np.unique(popular[np.minimum(rng.zipf(1.6, size=k) - 1, m - 1)])
        rng.shuffle(chosen)
        pp += [p] * chosen.size
        po += chosen.tolist()
        values += sorted(rng.choice(np.arange(1, 8), size=chosen.size, replace=False).tolist())
    e = len(pp)
    kwargs: dict[str, Any] = {}
    if penalty:
        kwargs["penalty"] = rng.integers(0, 4, size=e)
    if seats:
        kwargs["max_seats"] = rng.integers(1, 3, size=n)
    values_kw = {"score": np.array(values, dtype=float) / 2} if score else {"rank": np.array(values)}
    return Problem.from_arrays(
        opportunity_ids=[f"o{i}" for i in range(m)],
        capacity=rng.integers(0, 2 * n // m + 2, size=m),
        pref_participant=np.array(pp, dtype=np.int64),
        pref_opportunity=np.array(po, dtype=np.int64),
        n_participants=n,
        options=Options(objective="lexicographic", fill_unlisted=unlisted),
        **values_kw,
        **kwargs,
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "score,penalty,seats,unlisted",
    [
        (False, False, False, False),
        (False, True, False, False),
        (True, False, True, False),
        (False, True, True, False),
        (False, False, False, True),
        (False, True, False, True),
    ],
)
def test_stages_match_the_circulations_on_crowded_problems(
    seed: int, score: bool, penalty: bool, seats: bool, unlisted: bool, answered: list[bool]
) -> None:
    problem = _crowded(seed, 400, 12, score=score, penalty=penalty, seats=seats, unlisted=unlisted)
    ours = flok.allocate(problem, "native_flow")
    assert answered == [True]
    reference = flok.allocate(problem, "min_cost_flow")  # OR-Tools, lower-bound circulations
    # seats by rank (who is left without any seat is no part of the objective with 2 seats each)
    ranked = [
        {k: v for k, v in r.stats.rank_histogram.items() if k != "unassigned"} for r in (ours, reference)
    ]
    assert ranked[0] == ranked[1]
    assert allocation_key(problem, ours.participant, ours.opportunity) == allocation_key(
        problem, reference.participant, reference.opportunity
    )
    assert violations(problem, ours.participant, ours.opportunity) == []


def test_without_exact_duals_the_circulations_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage whose duals the core could not make exact (its budget ran out) must not be used
    to fix a face: the whole problem goes to the circulations, with the same optimum."""
    problem = _crowded(1, 200, 8, score=False, penalty=True, seats=False)
    expected = flok.allocate(problem, "min_cost_flow")
    real = engines.scaling_stats
    monkeypatch.setattr(
        lexscaling, "scaling_stats", lambda: engines.ScalingStats(**{**real().__dict__, "exact": False})
    )
    arcs = build_arcs(problem)
    assert lexscaling.lexicographic_scaling(problem, arcs, arcs.cost) is None
    result = flok.allocate(problem, "native_flow")
    assert result.stats.rank_histogram == expected.stats.rank_histogram
    assert result.stats.objective == expected.stats.objective


def test_costs_too_wide_for_the_core_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = _crowded(2, 200, 8, score=False, penalty=False, seats=False)
    expected = flok.allocate(problem, "min_cost_flow")
    monkeypatch.setattr(lexscaling, "scaling_solve", lambda *a, **k: None)
    arcs = build_arcs(problem)
    assert lexscaling.lexicographic_scaling(problem, arcs) is None
    assert flok.allocate(problem, "native_flow").stats.rank_histogram == expected.stats.rank_histogram


def test_one_rank_only_still_seats_the_most() -> None:
    """No rank level to rank (every pair ranked 1): the one stage left is "most seats"."""
    problem = Problem.from_arrays(
        opportunity_ids=["a", "b"],
        capacity=[1, 1],
        pref_participant=np.array([0, 1, 2]),
        pref_opportunity=np.array([0, 0, 1]),
        rank=np.array([1, 1, 1]),
        n_participants=3,
        options=Options(objective="lexicographic"),
    )
    arcs = build_arcs(problem)
    seats = lexscaling.lexicographic_scaling(problem, arcs)
    assert seats is not None
    assert seats[0].size == 2 and sorted(seats[1].tolist()) == [0, 1]


def _other_duals(
    layout: engines.PlainLayout, solved: engines.NativeSolution, rng: np.random.Generator
) -> None:
    """Replace the core's exact duals by another exact set, drawn at random: Bellman–Ford on the
    residual graph of the same optimal flow, from random starting values (every fixed point is a
    set of prices under which no residual arc has negative reduced cost). Different optimal duals
    describe the same optimal face with different facts (an arc left free here, an opportunity
    "stays full" there), and the stages must be right with any of them."""
    assert solved.scale is not None
    k, lo, bypass = (int(x) for x in solved.scale)
    P, Q = layout.participants.size, layout.opportunities.size
    T = P + Q  # the sink, as a local node
    tail_p = np.repeat(np.arange(P), np.diff(layout.off))
    seat = solved.flow > 0
    arcs: list[tuple[int, int, int]] = []
    for e in range(layout.opp.size):
        u, v, c = int(tail_p[e]), P + int(layout.opp[e]), (int(layout.cost[e]) - lo) * k
        arcs.append((v, u, -c) if seat[e] else (u, v, c))
    load = np.bincount(layout.opp[seat], minlength=Q)
    for j in range(Q):
        if load[j] < layout.capacity[j]:
            arcs.append((P + j, T, 0))
        if load[j] > 0:
            arcs.append((T, P + j, 0))
    given = np.bincount(tail_p[seat], minlength=P)
    for i in range(P):
        if given[i] > 0:  # fewer unseated units: the bypass can carry more
            arcs.append((i, T, bypass * k))
        if given[i] < layout.supply[i]:
            arcs.append((T, i, -bypass * k))
    span = 4 * bypass * k
    pot = rng.integers(-span, span + 1, size=P + Q + 1).astype(np.int64)
    for _ in range(P + Q + 2):
        changed = False
        for u, v, c in arcs:
            if pot[u] + c < pot[v]:
                pot[v] = pot[u] + c
                changed = True
        if not changed:
            break
    else:
        pytest.fail("a negative cycle in an optimal flow's residual graph")
    solved.potential[:P] = pot[:P]
    solved.potential[P : P + Q] = pot[P:T]
    solved.potential[P + Q + 1] = pot[T]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(problem=plain_levels(), seed=st.integers(0, 2**32 - 1))
def test_stages_are_right_with_any_exact_duals(
    problem: Problem, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The face each stage fixes comes from whichever exact duals the core returns; with duals
    drawn at random among the optimal ones, the answer must still be the brute-force optimum."""
    note(describe(problem))
    monkeypatch.setattr(lexscaling, "scaling_solve", _drawing(np.random.default_rng(seed), []))
    best = brute_force_general(problem)
    arcs = build_arcs(problem)
    final = arcs.cost if problem.score is not None or problem.penalty is not None else None
    unlisted = np.full(problem.n_participants, arcs.unlisted_cost) if final is not None else None
    hub = problem.options.fill_unlisted
    seats = lexscaling.lexicographic_scaling(problem, arcs, final, hub=hub, hub_cost=unlisted)
    assert seats is not None
    if best is None:
        return  # nobody may stay unseated but someone must: the caller reports it
    part, opp = seats
    assert violations(problem, part, opp) == []
    assert allocation_key(problem, part, opp) == best


def test_a_face_told_by_an_opportunity_that_stays_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """One person, A ranked 1st and B 2nd, one seat each; B's lower penalty breaks ties. The rank
    level says "A": among its exact duals some leave both arcs free and say only "A stays full"
    (prices A < sink = B = person + 1). The tie-break must not then move the person to B; over
    40 random draws of duals that case comes up (about one draw in four)."""
    problem = Problem.from_arrays(
        opportunity_ids=["A", "B"],
        capacity=[1, 1],
        pref_participant=np.array([0, 0]),
        pref_opportunity=np.array([0, 1]),
        rank=np.array([1, 2]),
        penalty=np.array([5, 0]),
        n_participants=1,
        options=Options(objective="lexicographic"),
    )
    arcs = build_arcs(problem)
    full_and_free = 0
    for seed in range(40):
        drawn: list[np.ndarray] = []
        monkeypatch.setattr(lexscaling, "scaling_solve", _drawing(np.random.default_rng(seed), drawn))
        seats = lexscaling.lexicographic_scaling(problem, arcs, arcs.cost)
        assert seats is not None
        assert seats[1].tolist() == [0]  # A: the rank level comes before the penalties
        first = drawn[0]  # the rank level's duals: person, A, B, (source), sink
        full_and_free += int(first[1] < first[4] == first[2])
    assert full_and_free > 0


def _drawing(rng: np.random.Generator, drawn: list[np.ndarray]) -> Any:
    """`engines.scaling_solve` with duals drawn by `_other_duals`, each set kept in ``drawn``."""
    real = engines.scaling_solve

    def other(layout: engines.PlainLayout, n_nodes: int, start: Any = None) -> Any:
        solved = real(layout, n_nodes, start)
        assert solved is not None  # these tests' costs fit the core's prices
        _other_duals(layout, solved, rng)
        drawn.append(solved.potential.copy())
        return solved

    return other
