"""Minimal-disruption re-solve (issue 18) against brute force over every allocation.

The oracle enumerates every allocation the rules accept (tests/oracles.py, no Flok solver
code) and orders them: ``strict`` by (most previous seats kept, then the problem's own key),
``balanced`` by the problem's key with ``move_cost`` added per previous seat given up, ``free``
by the problem's key. Flok's result must reach the oracle's optimum exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from flok.errors import InputError
from flok.model import Problem
from flok.resolve import resolve
from flok.solvers.plain import pair_member
from tests.oracles import allocation_key, candidate_allocations, rule_violations
from tests.strategies import constrained_problems, problems


@st.composite
def previous_seats(draw: st.DrawFn, problem: Problem) -> list[tuple[str, str]]:
    """Who held what before: any opportunity (also ones no longer acceptable or now too small),
    up to each person's seat limit, plus a participant who has since withdrawn."""
    pids = [str(p) for p in problem.participant_ids]
    oids = [str(o) for o in problem.opportunity_ids] + ["gone"]
    limit = problem.seats_allowed()
    out = []
    for i, pid in enumerate([*pids, "withdrawn"]):
        k = draw(st.integers(0, int(limit[i]) if i < len(pids) else 1))
        out += [(pid, o) for o in draw(st.lists(st.sampled_from(oids), unique=True, min_size=k, max_size=k))]
    return out


def _kept(problem: Problem, part: np.ndarray, opp: np.ndarray, previous: list[tuple[str, str]]) -> int:
    held = {
        (str(problem.participant_ids[p]), str(problem.opportunity_ids[o]))
        for p, o in zip(part.tolist(), opp.tolist(), strict=True)
    }
    return len(held & set(previous))


def _best(
    problem: Problem, key: Callable[[np.ndarray, np.ndarray], tuple[float, ...]]
) -> tuple[float, ...] | None:
    keys = [
        key(part, opp)
        for part, opp in candidate_allocations(problem)
        if not rule_violations(problem, part, opp)
    ]
    return min(keys, default=None)


def _check(problem: Problem, previous: list[tuple[str, str]], stability: str, move_cost: float = 2.0) -> None:
    def key(part: np.ndarray, opp: np.ndarray) -> tuple[float, ...]:
        base = allocation_key(problem, part, opp)
        kept = _kept(problem, part, opp, previous)
        if stability == "strict":
            return (-kept, *base)
        if stability == "balanced":
            return (*base[:-1], round(base[-1] - move_cost * kept, 6))
        return base

    best = _best(problem, key)
    try:
        res = resolve(problem, previous, stability=stability, move_cost=move_cost)
    except Exception as exc:  # infeasible problems raise: the oracle must agree nothing fits
        if best is None:
            return
        raise AssertionError(f"resolve failed on a feasible problem: {exc}") from exc
    a = res.allocation
    assert best is not None
    assert not rule_violations(problem, a.participant, a.opportunity)
    assert key(a.participant, a.opportunity) == pytest.approx(best, abs=1e-6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["strict", "balanced", "free"]), st.sampled_from(["rank", "score"]))
def test_plain_problems_match_the_oracle(data: st.DataObject, stability: str, mode: str) -> None:
    problem = data.draw(problems(max_participants=4, max_opportunities=3, mode=mode, options=False))
    problem = problem.with_options(allow_unassigned=True, seed=data.draw(st.none() | st.integers(0, 1000)))
    _check(problem, data.draw(previous_seats(problem)), stability)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["strict", "free"]))
def test_problems_with_side_rules_match_the_oracle(data: st.DataObject, stability: str) -> None:
    """Every rule crossed with strict: the exact solvers keep first in their own stage."""
    problem = data.draw(constrained_problems(max_participants=3, max_opportunities=3))
    problem = problem.with_options(seed=data.draw(st.none() | st.integers(0, 1000)))  # × the lottery
    _check(problem, data.draw(previous_seats(problem)), stability)


def test_strict_keeps_a_seat_even_when_moving_would_seat_one_more() -> None:
    """x holds A; y (new) accepts only A. Strict keeps x in A; free moves x to B and seats y."""
    problem = Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        preferences=[
            {"participant_id": "x", "opportunity_id": "A", "rank": 1},
            {"participant_id": "x", "opportunity_id": "B", "rank": 2},
            {"participant_id": "y", "opportunity_id": "A", "rank": 1},
        ],
    )
    strict = resolve(problem, [("x", "A")], stability="strict")
    assert strict.allocation.assignments() == [("x", "A")]
    free = resolve(problem, [("x", "A")], stability="free")
    assert sorted(free.allocation.assignments()) == [("x", "B"), ("y", "A")]
    moved = {c.participant_id: c for c in free.diff()}
    assert moved["x"].change == "moved" and moved["y"].change == "seated"


def test_a_tutor_falls_ill_late_students_arrive_and_two_withdraw() -> None:
    """The docs' worked example in small: T2 (capacity 2 -> 0) is cancelled; c and d withdraw;
    e and f arrive late. Everyone else keeps their seat; T2's people move; the late ones fill up."""
    opportunities = [{"opportunity_id": t, "capacity": c} for t, c in (("T1", 3), ("T2", 0), ("T3", 3))]
    prefs = [
        ("a", "T1", 1), ("a", "T3", 2), ("b", "T2", 1), ("b", "T3", 2), ("g", "T2", 1), ("g", "T1", 2),
        ("h", "T3", 1), ("e", "T1", 1), ("e", "T3", 2), ("f", "T3", 1),
    ]  # fmt: skip
    problem = Problem.from_records(
        opportunities=opportunities,
        preferences=[{"participant_id": p, "opportunity_id": o, "rank": r} for p, o, r in prefs],
    )
    previous = [("a", "T1"), ("b", "T2"), ("g", "T2"), ("h", "T3"), ("c", "T1"), ("d", "T3")]
    res = resolve(problem, previous, stability="strict")
    seat = dict(res.allocation.assignments())
    assert seat["a"] == "T1" and seat["h"] == "T3"  # kept
    assert seat["b"] == "T3" and seat["g"] == "T1"  # moved: their seat disappeared
    changes = {c.participant_id: c for c in res.changes}
    assert changes["b"].change == "moved" and "T2 has no seats now" in changes["b"].why
    assert changes["c"].change == "unseated" and changes["c"].why == "withdrawn"
    assert {changes["e"].change, changes["f"].change} <= {"seated", "waiting"}
    assert res.counts()["kept"] == 2


@pytest.mark.parametrize(
    ("kwargs", "says"), [({"stability": "gentle"}, "must be one of"), ({"move_cost": -1.0}, "≥ 0")]
)
def test_bad_options_are_refused(kwargs: dict, says: str) -> None:
    problem = Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}],
        preferences=[{"participant_id": "x", "opportunity_id": "A", "rank": 1}],
    )
    with pytest.raises(InputError, match=says):
        resolve(problem, [], **kwargs)


def test_a_lower_seat_limit_keeps_the_best_of_the_previous_seats() -> None:
    """x held A and B and may now hold one seat: strict keeps one of them (the better rank)."""
    problem = Problem.from_records(
        opportunities=[{"opportunity_id": "A", "capacity": 1}, {"opportunity_id": "B", "capacity": 1}],
        preferences=[
            {"participant_id": "x", "opportunity_id": "A", "rank": 2},
            {"participant_id": "x", "opportunity_id": "B", "rank": 1},
        ],
        participants=[{"participant_id": "x", "max_seats": 1}],
    )
    res = resolve(problem, [("x", "A"), ("x", "B")], stability="strict")
    assert res.allocation.assignments() == [("x", "B")]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-50, 50), max_size=40),
    st.lists(st.integers(-50, 50), max_size=40),
)
def test_the_pair_key_membership_test_agrees_with_numpy(values: list[int], keys: list[int]) -> None:
    got = pair_member(np.array(values, dtype=np.int64), np.array(keys, dtype=np.int64))
    assert got.tolist() == np.isin(np.array(values, dtype=np.int64), np.array(keys, dtype=np.int64)).tolist()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_person_is_classified_by_their_seats_before_and_after(data: st.DataObject) -> None:
    """Each person's change, seats and (for unexplained moves) reason, against a plain recount
    from the previous seats and the new allocation — one seat or several, withdrawn or not."""
    problem = data.draw(problems(max_participants=6, max_opportunities=3)).with_options(allow_unassigned=True)
    previous = data.draw(previous_seats(problem))
    res = resolve(problem, previous, stability=data.draw(st.sampled_from(["strict", "free"])))
    now: dict[str, set[str]] = {}
    for pid, oid in res.allocation.assignments():
        now.setdefault(pid, set()).add(oid)
    then: dict[str, set[str]] = {}
    for pid, oid in previous:
        then.setdefault(pid, set()).add(oid)
    people = [str(p) for p in problem.participant_ids]
    people += [p for p in then if p not in people]
    assert [c.participant_id for c in res.changes] == people
    for c in res.changes:
        old, new = then.get(c.participant_id, set()), now.get(c.participant_id, set())
        assert set(c.before) == old and set(c.after) == new
        expected = (
            "waiting"
            if not old and not new
            else "kept"
            if old == new
            else "seated"
            if not old
            else "unseated"
            if not new
            else "moved"
        )
        assert c.change == expected
        if expected in ("kept", "waiting", "seated"):
            assert c.why == ""
        else:
            assert c.why  # a reason for every move and every lost seat
