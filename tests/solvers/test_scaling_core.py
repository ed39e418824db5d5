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

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flok.solvers import engines

pytestmark = pytest.mark.skipif(not engines.NATIVE_AVAILABLE, reason=engines.NATIVE_MISSING)

SLOW = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Net = tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@contextmanager
def _rounds(both_ways: bool) -> Iterator[None]:
    """The warm tests run twice: with the repair's default switch (a round searches forward and
    is joined by a backward search only after much forward work, so small networks only search
    forward) and with every round searching from both ends from its first step (_repair.c)."""
    before = engines.repair_switch(0 if both_ways else None)
    try:
        yield
    finally:
        engines.repair_switch(before)


BOTH_WAYS = pytest.mark.parametrize("both_ways", [False, True], ids=["forward first", "both ways at once"])


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


@BOTH_WAYS
@SLOW
@given(plain_networks(), st.integers(0, 2**32 - 1))
def test_scaling_matches_ortools_cold_and_from_any_start(both_ways: bool, net: Net, seed: int) -> None:
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
    # arbitrary seats and prices *in the core's scale* take the shortest-path repair, not a cold solve
    if cold.scale is not None and tail.size:
        bound = int(cold.scale[0] * cold.scale[2])
        start = engines.NativeStart(
            flow=rng.integers(0, 2, size=tail.size),
            potential=rng.integers(-bound, bound + 1, size=nodes + 2),
            scale=cold.scale,
        )
        with _rounds(both_ways):
            repaired = engines.native_solve(nodes, tail, head, cap, cost, supply, max_flow=True, start=start)
        _check_feasible(net, repaired.flow)
        assert _value_and_cost(repaired.flow, cost) == expected
        assert engines.scaling_stats().repaired


def _residual_reduced_costs(net: Net, sol: engines.NativeSolution) -> np.ndarray:
    """Reduced costs of every residual arc of the solved plain network, from first principles:
    the core's network is participant → opportunity (cost (c − lo)·K), opportunity → sink (0) and
    participant → sink (the bypass, M·K), with prices in ``sol.potential`` (sink at nodes + 1)."""
    nodes, tail, head, _, cost, supply = net
    k, lo, m = (int(x) for x in sol.scale)  # type: ignore[union-attr]
    p = sol.potential
    sink = p[nodes + 1]
    scaled = (cost - lo) * k
    rc = scaled + p[tail] - p[head]
    out = [rc[sol.flow == 0], -rc[sol.flow == 1]]  # unused pairs forward, used ones backward
    part = np.unique(tail)
    used = np.bincount(tail, weights=sol.flow, minlength=nodes).astype(np.int64)
    bypass = supply[part] - used[part]  # units of each participant left unseated
    by_rc = m * k + p[part] - sink
    out += [by_rc[bypass < supply[part]], -by_rc[bypass > 0]]
    opp = np.unique(head)
    load = np.bincount(head, weights=sol.flow, minlength=nodes).astype(np.int64)[opp]
    to_sink = p[opp] - sink
    out += [to_sink[load < -supply[opp]], -to_sink[load > 0]]
    return np.concatenate([np.asarray(x, dtype=np.int64) for x in out])


@SLOW
@given(plain_networks())
def test_the_returned_prices_are_exact_duals(net: Net) -> None:
    """What a later warm start relies on: no residual arc of the optimum has a negative reduced
    cost under the returned prices (checked here from the flow, not from the core's state)."""
    nodes, tail, head, cap, cost, supply = net
    sol = engines.native_solve(nodes, tail, head, cap, cost, supply, max_flow=True)
    if sol.scale is None:  # costs too wide for the scaling core: the general core solved it
        return
    assert engines.scaling_stats().exact
    assert (_residual_reduced_costs(net, sol) >= 0).all()


@st.composite
def changes(draw: st.DrawFn, net: Net) -> Net:
    """The same nodes after a change: some pairs gone, some new, some costs, supplies and
    capacities different (withdrawals, late sign-ups, edited preferences, cut capacities)."""
    nodes, tail, head, _cap, cost, supply = net
    keep = np.array(draw(st.lists(st.booleans(), min_size=tail.size, max_size=tail.size)), dtype=bool)
    part = np.flatnonzero(supply > 0) if tail.size == 0 else np.unique(tail)
    opp = np.unique(head) if head.size else np.flatnonzero(supply < 0)
    extra = (
        draw(st.lists(st.tuples(st.sampled_from(list(part)), st.sampled_from(list(opp))), max_size=4))
        if part.size and opp.size
        else []
    )
    new_tail = np.concatenate([tail[keep], np.array([a for a, _ in extra], dtype=np.int64)])
    new_head = np.concatenate([head[keep], np.array([b for _, b in extra], dtype=np.int64)])
    k = len(extra)
    new_cost = np.concatenate(
        [cost[keep], np.array(draw(st.lists(st.integers(-3, 6), min_size=k, max_size=k)), dtype=np.int64)]
    )
    bump = np.array(
        draw(st.lists(st.integers(-1, 1), min_size=new_cost.size, max_size=new_cost.size)), dtype=np.int64
    )
    new_cost = new_cost + bump * np.array(
        draw(st.lists(st.booleans(), min_size=new_cost.size, max_size=new_cost.size)), dtype=np.int64
    )
    new_supply = supply.copy()
    for node in draw(st.lists(st.sampled_from(list(range(nodes))), max_size=3)):
        if supply[node] > 0 or node in set(part.tolist()):
            new_supply[node] = draw(st.integers(0, 3))
        elif supply[node] < 0 or node in set(opp.tolist()):
            new_supply[node] = -draw(st.integers(0, 4))
    return nodes, new_tail, new_head, np.ones(new_tail.size, dtype=np.int64), new_cost, new_supply


@BOTH_WAYS
@SLOW
@given(st.data())
def test_a_warm_start_after_a_change_reaches_the_cold_optimum(both_ways: bool, data: st.DataObject) -> None:
    """Seats and exact prices of the optimum before a change, carried to the network after it
    (new nodes marked `WARM_NEW`): the repair reaches OR-Tools' optimum of the changed network,
    whichever way its rounds search."""
    before = data.draw(plain_networks())
    nodes, tail, head, cap, cost, supply = before
    if engines.plain_layout(nodes, tail, head, cap, cost, supply) is None:
        return
    first = engines.native_solve(nodes, tail, head, cap, cost, supply, max_flow=True)
    if first.scale is None:
        return
    after = data.draw(changes(before))
    nodes, tail2, head2, cap2, cost2, supply2 = after
    if engines.plain_layout(nodes, tail2, head2, cap2, cost2, supply2) is None:
        return
    expected = _value_and_cost(engines.ORTOOLS(*after, max_flow=True), cost2)
    # the previous seats on the pairs that still exist, by (participant, opportunity)
    seated = {(int(a), int(b)) for a, b, f in zip(tail, head, first.flow, strict=True) if f}
    flow = np.array([(int(a), int(b)) in seated for a, b in zip(tail2, head2, strict=True)], dtype=np.int64)
    potential = first.potential.copy()
    for node in data.draw(st.lists(st.sampled_from(list(range(nodes))), max_size=2)):
        potential[node] = engines.WARM_NEW  # as if this node were new since the first solve
    start = engines.NativeStart(flow=flow, potential=potential, scale=first.scale)
    with _rounds(both_ways):
        warm = engines.native_solve(*after[:6], max_flow=True, start=start)
    _check_feasible(after, warm.flow)
    assert _value_and_cost(warm.flow, cost2) == expected
    if warm.scale is not None:
        assert (_residual_reduced_costs(after, warm) >= 0).all()


def test_an_unchanged_network_is_repaired_without_a_refinement() -> None:
    """The warm start is really used: from its own optimum the core does no cost scaling at all."""
    from flok.bench.generate import zipf_instance

    inst = zipf_instance(400, 20, seed=3)
    n = inst.n
    net = (
        n + inst.m,
        inst.pref_participant.astype(np.int64),
        (inst.pref_opportunity + n).astype(np.int64),
        np.ones(inst.rank.size, dtype=np.int64),
        inst.rank.astype(np.int64),
        np.concatenate([np.ones(n, dtype=np.int64), -inst.capacity]).astype(np.int64),
    )
    first = engines.native_solve(*net, max_flow=True)
    assert engines.scaling_stats().refines > 0
    again = engines.native_solve(
        *net, max_flow=True, start=engines.NativeStart(first.flow, first.potential, first.scale)
    )
    stats = engines.scaling_stats()
    assert stats.repaired and stats.refines == 0 and stats.imbalance == 0
    assert _value_and_cost(again.flow, net[4]) == _value_and_cost(first.flow, net[4])


def _zipf_net(n: int, m: int, seed: int) -> Net:
    from flok.bench.generate import zipf_instance

    inst = zipf_instance(n, m, seed=seed)
    return (
        n + m,
        inst.pref_participant.astype(np.int64),
        (inst.pref_opportunity + n).astype(np.int64),
        np.ones(inst.rank.size, dtype=np.int64),
        inst.rank.astype(np.int64),
        np.concatenate([np.ones(n, dtype=np.int64), -inst.capacity]).astype(np.int64),
    )


def test_solves_at_once_in_several_threads_and_of_changing_sizes_each_reach_their_optimum() -> None:
    """The core keeps its scratch memory from one solve to the next and lends it to one solve at
    a time (_workspace.h); a solve that runs while another holds it (the core releases the GIL)
    gets memory of its own. Large and small networks alternate, cold and warm (from the optimum
    before a third of the opportunities lost half their seats), four threads at once, three times
    over: every answer is OR-Tools' optimum of its own network."""
    cases = []
    for k, (n, m) in enumerate([(3000, 60), (40, 3), (1500, 30), (300, 12)] * 2):
        net = _zipf_net(n, m, seed=k)
        first = engines.native_solve(*net, max_flow=True)
        supply = net[5].copy()
        supply[n : n + m : 3] //= 2  # demands are negative: halve a third of the capacities
        changed = (*net[:5], supply)
        start = engines.NativeStart(first.flow, first.potential, first.scale)
        for case, warm in ((net, None), (changed, start)):
            cases.append((case, warm, _value_and_cost(engines.ORTOOLS(*case, max_flow=True), case[4])))

    def solve(case: tuple[Net, engines.NativeStart | None, tuple[int, int]]) -> bool:
        net, start, expected = case
        sol = engines.native_solve(*net, max_flow=True, start=start)
        _check_feasible(net, sol.flow)
        return _value_and_cost(sol.flow, net[4]) == expected

    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert all(pool.map(solve, cases))


@pytest.mark.parametrize("limit", [None, 3], ids=["stamps kept", "stamps cleared before each repair"])
def test_warm_repairs_in_a_row_reuse_their_labels_without_clearing_them(limit: int | None) -> None:
    """The repair's labels are not cleared between solves: their round stamps go on counting
    (_repair.c), and are cleared, at the start of a repair, only past a limit (lowered here so
    that it happens before most of these repairs). Repairs of different sizes in a row, each
    checked against OR-Tools."""
    before = engines.repair_stamp_limit(limit)
    try:
        for k, (n, m) in enumerate([(1200, 30), (300, 8), (2500, 50), (600, 12)]):
            net = _zipf_net(n, m, seed=100 + k)
            first = engines.native_solve(*net, max_flow=True)
            start = engines.NativeStart(first.flow, first.potential, first.scale)
            seated = np.bincount(net[2][first.flow > 0] - n, minlength=m)  # members per opportunity
            for cut in (1, 2):
                supply = net[5].copy()
                fullest = n + np.argsort(-seated, kind="stable")[:cut]
                supply[fullest] //= 2  # demands are negative: the fullest lose half their seats
                changed = (*net[:5], supply)
                warm = engines.native_solve(*changed, max_flow=True, start=start)
                assert engines.scaling_stats().repaired and engines.scaling_stats().rounds > 0
                _check_feasible(changed, warm.flow)
                expected = _value_and_cost(engines.ORTOOLS(*changed, max_flow=True), changed[4])
                assert _value_and_cost(warm.flow, changed[4]) == expected
    finally:
        engines.repair_stamp_limit(before)


@BOTH_WAYS
@pytest.mark.parametrize("seed", range(12))
def test_repairs_of_crowded_markets_reach_the_optimum_with_exact_prices(both_ways: bool, seed: int) -> None:
    """Crowded markets of a few hundred people, where an opportunity has dozens of members and
    listers and the sink dozens of unseated people: the repair leaves most of their arcs waiting
    (_repair.c, "Arcs that wait"). After people leave and capacities move, it reaches OR-Tools'
    optimum, is not given up for a cold solve, and returns exact duals."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(60, 400)), int(rng.integers(3, 16))
    net = _zipf_net(n, m, seed=1000 + seed)
    first = engines.native_solve(*net, max_flow=True)
    supply = net[5].copy()
    supply[rng.choice(n, size=max(1, n // 40), replace=False)] = 0  # some leave
    moved = n + rng.choice(m, size=max(1, m // 4), replace=False)
    supply[moved] = -np.maximum(0, -supply[moved] + rng.integers(-3, 3, size=moved.size))  # capacities move
    changed = (*net[:5], supply)
    with _rounds(both_ways):
        warm = engines.native_solve(
            *changed, max_flow=True, start=engines.NativeStart(first.flow, first.potential, first.scale)
        )
    assert engines.scaling_stats().repaired
    _check_feasible(changed, warm.flow)
    assert _value_and_cost(warm.flow, changed[4]) == _value_and_cost(
        engines.ORTOOLS(*changed, max_flow=True), changed[4]
    )
    assert warm.scale is not None and (_residual_reduced_costs(changed, warm) >= 0).all()


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
    stats = engines.scaling_stats()
    assert stats.attempts >= 2 and stats.refines > 0  # the first bypass cost was too small, and it noticed


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


def _numpy_layout(
    n_nodes: int, tail: np.ndarray, head: np.ndarray, cap: np.ndarray, cost: np.ndarray, supply: np.ndarray
) -> engines.PlainLayout | None:
    """`engines.plain_layout` as it was written in NumPy before it moved to C: the oracle."""
    if tail.size == 0 or bool((cap != 1).any()):
        return None
    is_tail = np.zeros(n_nodes, dtype=bool)
    is_tail[tail] = True
    is_head = np.zeros(n_nodes, dtype=bool)
    is_head[head] = True
    if bool((is_tail & is_head).any()) or bool((supply[is_tail] < 0).any()):
        return None
    if bool((supply[is_head] > 0).any()):
        return None
    p_tail = (np.cumsum(is_tail) - 1)[tail]
    order = None
    if bool((p_tail[1:] < p_tail[:-1]).any()):
        order = np.argsort(p_tail, kind="stable")
        p_tail, head, cost = p_tail[order], head[order], cost[order]
    participants, opportunities = np.flatnonzero(is_tail), np.flatnonzero(is_head)
    off = np.zeros(participants.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(p_tail, minlength=participants.size), out=off[1:])
    return engines.PlainLayout(
        participants=participants,
        opportunities=opportunities,
        order=order,
        off=off,
        opp=(np.cumsum(is_head) - 1)[head],
        cost=cost,
        supply=supply[participants],
        capacity=-supply[opportunities],
    )


@st.composite
def any_networks(draw: st.DrawFn) -> Net:
    """Arcs between any nodes, capacities 0–2, supplies of either sign: plain or not."""
    nodes = draw(st.integers(1, 8))
    k = draw(st.integers(0, 12))
    node = st.integers(0, nodes - 1)
    tail = np.array(draw(st.lists(node, min_size=k, max_size=k)), dtype=np.int64)
    head = np.array(draw(st.lists(node, min_size=k, max_size=k)), dtype=np.int64)
    cap = np.array(draw(st.lists(st.sampled_from([1, 1, 1, 0, 2]), min_size=k, max_size=k)), dtype=np.int64)
    cost = np.arange(k, dtype=np.int64) * 7 - 3
    supply = np.array(draw(st.lists(st.integers(-2, 2), min_size=nodes, max_size=nodes)), dtype=np.int64)
    return nodes, tail, head, cap, cost, supply


@SLOW
@given(st.one_of(plain_networks(), any_networks()))
def test_the_compiled_layout_matches_the_numpy_formulation(net: Net) -> None:
    expected = _numpy_layout(*net)
    got = engines.plain_layout(*net)
    assert (got is None) == (expected is None)
    if got is None or expected is None:
        return
    for field in ("participants", "opportunities", "off", "opp", "cost", "supply", "capacity"):
        assert np.array_equal(getattr(got, field), getattr(expected, field)), field
    assert (got.order is None) == (expected.order is None)
    if got.order is not None and expected.order is not None:
        assert np.array_equal(got.order, expected.order)


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
