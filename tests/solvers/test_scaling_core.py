"""The cost-scaling core (``_flowcore.scaling``, _scaling.c) on plain allocation networks.

It is checked against OR-Tools' min-cost flow on the very same arrays (most flow, then least
cost) and, through the ``native_flow`` strategy, against the brute-force oracle
(tests/solvers/test_native_flow.py). Networks here are drawn to hit its edges: node numbers that
interleave participants and opportunities, arcs out of participant order, repeated pairs,
negative and tied costs, capacity 0, supply 0 and several seats, nodes without arcs; and an
instance whose last seat needs a long chain of moves, so the first bypass cost is too small and
the core must notice it and solve again.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flok.solvers import engines

pytestmark = pytest.mark.skipif(not engines.NATIVE_AVAILABLE, reason=engines.NATIVE_MISSING)

SLOW = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Net = tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@st.composite
def plain_networks(draw: st.DrawFn) -> Net:
    """Unit arcs from supply nodes to demand nodes, numbered in any order."""
    n, m = draw(st.integers(1, 9)), draw(st.integers(1, 5))
    spare = draw(st.integers(0, 2))  # nodes with no arcs at all
    nodes = n + m + spare
    numbering = np.array(draw(st.permutations(range(nodes))), dtype=np.int64)
    part, opp = numbering[:n], numbering[n : n + m]
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), max_size=3 * n))
    tail = np.array([part[p] for p, _ in pairs], dtype=np.int64)
    head = np.array([opp[o] for _, o in pairs], dtype=np.int64)
    wide = draw(st.booleans())
    low, high = (-(10**6), 10**6) if wide else (-3, 6)
    k = len(pairs)
    cost = np.array(draw(st.lists(st.integers(low, high), min_size=k, max_size=k)), dtype=np.int64)
    supply = np.zeros(nodes, dtype=np.int64)
    supply[part] = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    supply[opp] = [-c for c in draw(st.lists(st.integers(0, 4), min_size=m, max_size=m))]
    supply[numbering[n + m :]] = draw(st.lists(st.integers(-2, 2), min_size=spare, max_size=spare))
    return nodes, tail, head, np.ones(len(pairs), dtype=np.int64), cost, supply


def _value_and_cost(flow: np.ndarray, cost: np.ndarray) -> tuple[int, int]:
    return int(flow.sum()), int(flow @ cost)


def _check_feasible(net: Net, flow: np.ndarray) -> None:
    nodes, tail, head, cap, _, supply = net
    assert ((flow >= 0) & (flow <= cap)).all()
    out = np.bincount(tail, weights=flow, minlength=nodes)
    into = np.bincount(head, weights=flow, minlength=nodes)
    assert (out - into <= np.maximum(supply, 0)).all()
    assert (into - out <= np.maximum(-supply, 0)).all()


@SLOW
@given(plain_networks(), st.integers(0, 2**32 - 1))
def test_scaling_matches_ortools_cold_and_from_any_start(net: Net, seed: int) -> None:
    nodes, tail, head, cap, cost, supply = net
    layout = engines.plain_layout(nodes, tail, head, cap, cost, supply)
    if tail.size:
        assert layout is not None  # every drawn network has the plain shape
    expected = _value_and_cost(engines.ORTOOLS(nodes, tail, head, cap, cost, supply, max_flow=True), cost)
    cold = engines.native_solve(nodes, tail, head, cap, cost, supply, max_flow=True)
    _check_feasible(net, cold.flow)
    assert _value_and_cost(cold.flow, cost) == expected
    # from the previous optimum, and from arbitrary seats and prices
    previous = engines.NativeStart(cold.flow, cold.potential)
    again = engines.native_solve(nodes, tail, head, cap, cost, supply, max_flow=True, start=previous)
    assert _value_and_cost(again.flow, cost) == expected
    rng = np.random.default_rng(seed)
    start = engines.NativeStart(
        flow=rng.integers(0, 2, size=tail.size), potential=rng.integers(-(10**9), 10**9, size=nodes + 2)
    )
    warm = engines.native_solve(nodes, tail, head, cap, cost, supply, max_flow=True, start=start)
    _check_feasible(net, warm.flow)
    assert _value_and_cost(warm.flow, cost) == expected


def _chain(length: int) -> Net:
    """Participants p_k rank o_k first (cost 0) and o_{k+1} last (cost 10); one more participant x
    ranks only o_0. Everyone is seated only if every p_k moves one step: the last seat costs
    10·length, far above the core's first bypass cost (8 × the cost span)."""
    n = length + 1  # p_0..p_{length-1}, then x
    m = length + 1  # o_0..o_length
    tail, head, cost = [], [], []
    for k in range(length):
        tail += [k, k]
        head += [n + k, n + k + 1]
        cost += [0, 10]
    tail.append(length)
    head.append(n)
    cost.append(0)
    supply = np.concatenate([np.ones(n, dtype=np.int64), -np.ones(m, dtype=np.int64)])
    arr = np.asarray
    return n + m, arr(tail), arr(head), np.ones(len(tail), dtype=np.int64), arr(cost), supply


def test_a_long_chain_for_the_last_seat_is_found_with_a_larger_bypass_cost() -> None:
    net = _chain(40)
    nodes, tail, head, cap, cost, supply = net
    sol = engines.native_solve(nodes, tail, head, cap, cost, supply, max_flow=True)
    _check_feasible(net, sol.flow)
    assert _value_and_cost(sol.flow, cost) == (41, 400)  # everyone seated, each p_k moved
    refines, attempts = engines.scaling_stats()
    assert attempts >= 2 and refines > 0  # the first bypass cost was too small, and it noticed


def test_costs_beyond_the_scaling_range_fall_back_to_the_general_core() -> None:
    net = _chain(3)
    nodes, tail, head, cap, cost, supply = net
    big = cost * 10**15  # beyond the scaling core's prices, within the general core's range
    layout = engines.plain_layout(nodes, tail, head, cap, big, supply)
    assert layout is not None and engines.scaling_solve(layout, nodes) is None
    sol = engines.native_solve(nodes, tail, head, cap, big, supply, max_flow=True)
    assert _value_and_cost(sol.flow, big) == (4, 3 * 10 * 10**15)


def test_networks_that_are_not_one_layer_of_unit_arcs_have_no_plain_layout() -> None:
    nodes, tail, head, cap, cost, supply = _chain(3)
    assert engines.plain_layout(nodes, tail, head, cap * 2, cost, supply) is None  # capacity 2
    hop_tail = np.concatenate([tail, [head[0]]])  # plus an arc opportunity → opportunity
    hop_head = np.concatenate([head, [head[1]]])
    ones = np.ones(hop_tail.size, dtype=np.int64)
    assert engines.plain_layout(nodes, hop_tail, hop_head, ones, ones, supply) is None
    wrong = supply.copy()
    wrong[head[0]] = 1  # a demand node with a supply
    assert engines.plain_layout(nodes, tail, head, cap, cost, wrong) is None


@pytest.mark.parametrize("side", [-1, 1])
def test_the_range_check_auto_uses_is_the_cores_own(side: int) -> None:
    """`scaling_fits` (what ``auto`` asks before choosing the core) agrees with the core's own
    64-bit check just below and just above the largest cost span it takes."""
    n, m = 8, 2  # 8 participants, 2 opportunities of 4 seats: 8 units, so M = 8·(span + 1)
    k, nodes = 2 * min(n, m + 1) + 1, n + m + 1
    edge = int(9.0e18 / (engines.SCALING_M_FACTOR * k * (nodes + 2) * 4.0)) - 1
    span = edge + side * edge // 1000
    tail = np.repeat(np.arange(n), 2)
    head = np.tile([n, n + 1], n)
    cost = np.tile([0, span], n).astype(np.int64)
    supply = np.concatenate([np.ones(n, dtype=np.int64), [-4, -4]])
    layout = engines.plain_layout(n + m, tail, head, np.ones(tail.size, dtype=np.int64), cost, supply)
    assert layout is not None
    fits = engines.scaling_fits(n, m, span)
    assert fits == (side < 0)
    assert (engines.scaling_solve(layout, n + m) is not None) == fits
