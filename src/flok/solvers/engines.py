"""Min-cost flow engines: OR-Tools' SimpleMinCostFlow and Flok's own compiled core, one interface.

Every flow formulation in Flok (plain, fill_unlisted hub, score sink, lower-bound circulations,
lexicographic 0/1 levels) is built once as arrays — tails, heads, capacities, costs, node
supplies — and handed to an engine, so the two engines solve the very same network and a
formulation is never written twice. ``max_flow=True`` is OR-Tools' ``solve_max_flow_with_min_cost``
(most flow from the supply nodes to the demand nodes, then the lowest cost); otherwise the
supplies must balance, as in ``solve``.

The native engine (``flok.solvers._flowcore``, built from C by ``pip install``) has two cores.
A max-flow network that is one layer of unit arcs from supply to demand nodes — the plain
allocation network, recognised by `plain_layout` — goes to cost scaling (_scaling.c: push–relabel
with CSA's double push and price refinement), 2–3× faster than OR-Tools at every size measured.
Every other network goes to successive shortest paths on a pseudoflow with node potentials
(_flowcore.c: Dijkstra on a bucket queue, many augmentations per phase), faster than OR-Tools
only on small networks. Both start from any flow and potentials (`NativeStart`), so a re-solve can
start from a previous optimum; the answer is the same optimum either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from flok.errors import SolverError

try:  # built by setup.py; optional, so a machine without a C compiler still installs Flok
    from flok.solvers import _flowcore  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the build
    _flowcore = None

NATIVE_AVAILABLE = _flowcore is not None
NATIVE_MISSING = "the compiled flow core (flok.solvers._flowcore) is not built on this machine"


def native_cost_range(n_nodes: int) -> int:
    """Largest |arc cost| the native engine takes on a network of ``n_nodes`` nodes: its max-flow
    bypass costs (nodes + 3)·(that + 1), and every potential and path length (at most a few
    times nodes × largest cost) must stay far inside 64 bits."""
    return 2**59 // (n_nodes + 8)


class FlowEngine(Protocol):
    name: str

    def __call__(
        self,
        n_nodes: int,
        tail: np.ndarray,
        head: np.ndarray,
        cap: np.ndarray,
        cost: np.ndarray,
        supply: np.ndarray,
        *,
        max_flow: bool,
    ) -> np.ndarray:
        """The optimal flow on every arc (int64); SolverError when there is none."""


class OrToolsEngine:
    """OR-Tools' cost-scaling SimpleMinCostFlow, arcs and supplies set in bulk."""

    name = "ortools"

    def __call__(
        self,
        n_nodes: int,
        tail: np.ndarray,
        head: np.ndarray,
        cap: np.ndarray,
        cost: np.ndarray,
        supply: np.ndarray,
        *,
        max_flow: bool,
    ) -> np.ndarray:
        from ortools.graph.python import min_cost_flow

        smcf = min_cost_flow.SimpleMinCostFlow()
        ids = smcf.add_arcs_with_capacity_and_unit_cost(tail, head, cap, cost)
        smcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supply)
        status = smcf.solve_max_flow_with_min_cost() if max_flow else smcf.solve()
        if status != smcf.OPTIMAL:
            raise SolverError(f"min-cost flow ended with status {status.name}")
        return np.asarray(smcf.flows(ids), dtype=np.int64)


@dataclass
class NativeStart:
    """A starting point for the native engine: a flow per arc and a potential per node.

    Any values are accepted (flows are clipped to their bounds); the closer they are to the
    optimum of the network being solved, the less work is left. ``potential`` covers the
    network's nodes plus, with ``max_flow``, the two nodes the engine adds (source, then sink).
    """

    flow: np.ndarray
    potential: np.ndarray
    scale: np.ndarray | None = None  # the cost-scaling core's {K, cost offset, bypass cost}


WARM_NEW = np.iinfo(np.int64).min
"""A start's potential for a node that did not exist in the previous solve (the core prices it)."""


@dataclass
class NativeSolution:
    flow: np.ndarray  # per arc of the network as given
    potential: np.ndarray  # per node, plus source and sink with max_flow (reuse in a NativeStart)
    scale: np.ndarray | None = None  # what the potentials are in (cost scaling only; see NativeStart)


@dataclass
class PlainLayout:
    """A max-flow network that is one bipartite layer of unit arcs: supply nodes → demand nodes.

    That is Flok's plain allocation network (participants → opportunities), which the
    cost-scaling core (``_flowcore.scaling``, see _scaling.c) solves on its own compact layout:
    participants in arc order, ``off`` their arc ranges, ``opp`` each arc's opportunity.
    """

    participants: np.ndarray  # node id of each participant (those with arcs)
    opportunities: np.ndarray  # node id of each opportunity (those with arcs)
    order: np.ndarray | None  # arcs sorted by participant (None: already in that order)
    off: np.ndarray
    opp: np.ndarray  # int32: the core reads it as it is
    cost: np.ndarray
    supply: np.ndarray
    capacity: np.ndarray

    @property
    def scale(self) -> int:
        """Costs are multiplied by K = 2·min(P, Q + 1) + 1: a simple cycle of the residual graph
        alternates participants with {opportunities, sink}, so it has fewer than K arcs and a
        flow whose residual arcs all have scaled reduced cost ≥ −1 is optimal."""
        return 2 * min(self.participants.size, self.opportunities.size + 1) + 1


def plain_layout(
    n_nodes: int, tail: np.ndarray, head: np.ndarray, cap: np.ndarray, cost: np.ndarray, supply: np.ndarray
) -> PlainLayout | None:
    """The network as a `PlainLayout`, or None when it is not one: some arc's capacity is not 1,
    a node is the tail of one arc and the head of another, a tail demands or a head supplies.

    Computed by the compiled core in one pass over the arcs (_layout.c); the NumPy formulation it
    replaced is kept in the tests as its oracle. Participants and opportunities are the nodes at
    either end of the arcs, in node order; nodes without arcs are in neither."""
    if _flowcore is None:
        raise SolverError(NATIVE_MISSING)
    tail, head, cap, supply = _i64(tail), _i64(head), _i64(cap), _i64(supply)
    if supply.size != n_nodes:
        raise ValueError(f"supply has {supply.size} entries for {n_nodes} nodes")
    participants = np.empty(n_nodes, dtype=np.int64)  # written up to P and Q (np.empty: no page
    opportunities = np.empty(n_nodes, dtype=np.int64)  # is touched beyond what is written)
    off = np.empty(n_nodes + 1, dtype=np.int64)
    opp = np.empty(tail.size, dtype=np.int32)  # the core's own width: it reads it as it is
    order = np.empty(tail.size, dtype=np.int64)
    counts = np.zeros(3, dtype=np.int64)
    out = (participants, opportunities, off, opp, order, counts)
    status = _flowcore.plain_layout(tail, head, cap, supply, *out)
    if status == 2:
        raise SolverError("min-cost flow: out of memory")
    if status != 0:
        return None
    P, Q, in_order = (int(x) for x in counts)
    participants, opportunities = participants[:P], opportunities[:Q]
    return PlainLayout(
        participants=participants,
        opportunities=opportunities,
        order=None if in_order else order,
        off=off[: P + 1],
        opp=opp,
        cost=_i64(cost) if in_order else _i64(cost)[order],
        supply=supply[participants],
        capacity=-supply[opportunities],
    )


SCALING_M_FACTOR = 8
"""The cost-scaling core's first bypass cost in units of the cost span (``M_FACTOR`` in
_scaling.c; `scaling_fits` mirrors its range check)."""


def scaling_fits(n_participants: int, n_opportunities: int, span: int) -> bool:
    """Whether the cost-scaling core can hold costs spanning ``span`` on a plain network of this
    size at its first bypass cost: its 64-bit prices need M·K·(N + 2)·4 ≤ 9·10^18 (_scaling.c).
    When they cannot, `native_solve` falls back to the shortest-path core, slow on large networks,
    so ``auto`` leaves such problems to OR-Tools."""
    k = 2 * min(n_participants, n_opportunities + 1) + 1
    nodes = n_participants + n_opportunities + 1
    return float(SCALING_M_FACTOR * (span + 1)) * k * (nodes + 2) * 4.0 <= 9.0e18


@dataclass(frozen=True)
class ScalingStats:
    """What the last cost-scaling solve in this process did (see _scaling.c and _repair.c)."""

    refines: int  # refinements (0 when a warm start was repaired by shortest paths alone)
    attempts: int  # more than one: the first bypass cost was too small and grew
    repaired: bool  # a warm start was repaired (False: it was solved cold)
    imbalance: int  # units off balance once the warm start's wrong-signed arcs were saturated
    exact: bool  # the returned potentials are exact duals (what the next warm start wants)
    rounds: int  # shortest paths the warm repair searched for
    bidirectional: int  # of those, rounds that also searched backward from the deficits


def scaling_stats() -> ScalingStats:
    """`ScalingStats` of the last cost-scaling solve in this process."""
    if _flowcore is None:
        raise SolverError(NATIVE_MISSING)
    refines, attempts, repaired, imbalance, exact, rounds, both = _flowcore.scaling_stats()
    return ScalingStats(
        int(refines), int(attempts), bool(repaired), int(imbalance), bool(exact), int(rounds), int(both)
    )


def repair_switch(work: int | None = None) -> int:
    """The arcs a warm repair round scans forward before it also searches backward (_repair.c);
    ``work`` sets it (tests use 0 and a huge value to force each kind of round). Returns the
    value before the call."""
    if _flowcore is None:
        raise SolverError(NATIVE_MISSING)
    return int(_flowcore.repair_tune(-1 if work is None else work))


def repair_stamp_limit(rounds: int | None = None) -> int:
    """How many warm repair rounds the kept workspace's label stamps count before they are
    cleared (_repair.c: labels are not cleared between repairs; the rounds go on counting);
    ``rounds`` sets it (tests use a small value to clear them often). Returns the value before
    the call."""
    if _flowcore is None:
        raise SolverError(NATIVE_MISSING)
    return int(_flowcore.repair_stamp_limit(-1 if rounds is None else rounds))


def scaling_solve(
    layout: PlainLayout, n_nodes: int, start: NativeStart | None = None
) -> NativeSolution | None:
    """Most flow at least cost on a `PlainLayout` by cost scaling; ``start`` warm-starts it.

    None when the costs are too large for its 64-bit prices (costs × scale × nodes; a seeded
    lottery's perturbed costs): `native_solve` then uses the general core.

    Potentials come back in the general engine's shape (one per node, then source and sink) with
    the ``scale`` they are in (K, cost offset, bypass cost); only participants, opportunities and
    the sink carry prices. A start that carries the previous solve's ``scale`` (and `WARM_NEW`
    for nodes that are new) is repaired by shortest paths from those prices; without one, or when
    the scale no longer fits, it is solved cold. The answer is the same optimum either way.
    """
    if _flowcore is None:
        raise SolverError(NATIVE_MISSING)
    P, Q = layout.participants.size, layout.opportunities.size
    flow = np.zeros(layout.opp.size, dtype=np.uint8)  # a seat or not: the core's own width
    pot = np.zeros(P + Q + 1, dtype=np.int64)
    params = np.array([layout.scale, 0, 0], dtype=np.int64)
    warm = False
    if start is not None and start.scale is not None and int(start.scale[0]) >= layout.scale:
        given = np.asarray(start.flow)
        given = given[layout.order] if layout.order is not None else given[: flow.size]
        np.greater(given, 0, out=flow.view(np.bool_))
        sp = _i64(start.potential)
        pot[:P] = sp[layout.participants]
        pot[P : P + Q] = sp[layout.opportunities]
        pot[-1] = sp[n_nodes + 1]
        params[:] = _i64(start.scale)
        warm = True
    status = _flowcore.scaling(
        P,
        Q,
        layout.off,
        layout.opp,
        layout.cost,
        layout.supply,
        layout.capacity,
        flow,
        pot,
        params,
        warm,
    )
    if status == 4:
        return None
    if status == 2:
        raise SolverError("min-cost flow: out of memory")
    if status != 0:
        raise SolverError(f"min-cost flow: the native engine ended with status {status} (a Flok defect)")
    if layout.order is not None:
        out = np.empty(flow.size, dtype=np.int64)
        out[layout.order] = flow
    else:
        out = flow.astype(np.int64)
    potential = np.zeros(n_nodes + 2, dtype=np.int64)
    potential[layout.participants] = pot[:P]
    potential[layout.opportunities] = pot[P : P + Q]
    potential[n_nodes + 1] = pot[-1]
    return NativeSolution(flow=out, potential=potential, scale=params)


def _i64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def native_solve(
    n_nodes: int,
    tail: np.ndarray,
    head: np.ndarray,
    cap: np.ndarray,
    cost: np.ndarray,
    supply: np.ndarray,
    *,
    max_flow: bool,
    start: NativeStart | None = None,
) -> NativeSolution:
    """Solve with the compiled core; ``start`` warm-starts it (the answer is the same optimum).

    With ``max_flow`` a source s feeds every supply node (up to its supply) and every demand node
    drains into a sink t (up to its demand); a bypass arc s → t whose cost exceeds any path's
    makes "most flow, then least cost" a plain min-cost flow of min(Σ supply, Σ demand) units.
    """
    if _flowcore is None:
        raise SolverError(NATIVE_MISSING)
    tail, head, cap, cost, supply = _i64(tail), _i64(head), _i64(cap), _i64(cost), _i64(supply)
    if max_flow:
        layout = plain_layout(n_nodes, tail, head, cap, cost, supply)
        solved = scaling_solve(layout, n_nodes, start) if layout is not None else None
        if solved is not None:
            return solved
    top = int(np.abs(cost).max(initial=0))
    if top > native_cost_range(n_nodes):
        raise SolverError(
            f"arc costs up to {top:,} exceed the native flow engine's range ({native_cost_range(n_nodes):,})"
        )
    m = tail.size
    nodes, b = n_nodes, supply
    if max_flow:
        src, dst = np.flatnonzero(supply > 0), np.flatnonzero(supply < 0)
        s, t = n_nodes, n_nodes + 1
        units = min(int(supply[src].sum()), int(-supply[dst].sum()))
        bypass = (n_nodes + 3) * (top + 1)
        tail = np.concatenate([tail, np.full(src.size, s), dst, [s]]).astype(np.int64)
        head = np.concatenate([head, src, np.full(dst.size, t), [t]]).astype(np.int64)
        cap = np.concatenate([cap, supply[src], -supply[dst], [units]]).astype(np.int64)
        cost = np.concatenate([cost, np.zeros(src.size + dst.size, dtype=np.int64), [bypass]])
        nodes = n_nodes + 2
        b = np.zeros(nodes, dtype=np.int64)
        b[s], b[t] = units, -units
    elif int(supply.sum()) != 0:
        raise SolverError("min-cost flow: supplies do not balance")
    flow = np.zeros(tail.size, dtype=np.int64)
    pot = np.zeros(nodes, dtype=np.int64)
    if start is not None:
        given = np.clip(_i64(start.flow)[:m], 0, cap[:m])
        flow[: given.size] = given
        if max_flow:  # the added arcs carry what the given flow implies, so the start is balanced
            out = np.bincount(tail[:m], weights=flow[:m], minlength=n_nodes).astype(np.int64)
            inn = np.bincount(head[:m], weights=flow[:m], minlength=n_nodes).astype(np.int64)
            k = m
            flow[k : k + src.size] = np.clip(out[src] - inn[src], 0, cap[k : k + src.size])
            k += src.size
            flow[k : k + dst.size] = np.clip(inn[dst] - out[dst], 0, cap[k : k + dst.size])
            flow[-1] = max(0, units - int(flow[k : k + dst.size].sum()))
        p = _i64(start.potential)[:nodes]
        pot[: p.size] = np.where(p == WARM_NEW, 0, p)  # this core prices from any values
    status = _flowcore.solve(nodes, tail, head, cap, cost, b, flow, pot)
    if status == 1:
        raise SolverError("min-cost flow: the supplies cannot be met (infeasible)")
    if status == 2:
        raise SolverError("min-cost flow: out of memory")
    if status != 0:
        raise SolverError(f"min-cost flow: the native engine ended with status {status} (a Flok defect)")
    return NativeSolution(flow=flow[:m], potential=pot)


class NativeEngine:
    """Flok's compiled successive-shortest-path core (exact; see `native_solve`)."""

    name = "native"

    def __call__(
        self,
        n_nodes: int,
        tail: np.ndarray,
        head: np.ndarray,
        cap: np.ndarray,
        cost: np.ndarray,
        supply: np.ndarray,
        *,
        max_flow: bool,
    ) -> np.ndarray:
        return native_solve(n_nodes, tail, head, cap, cost, supply, max_flow=max_flow).flow


ORTOOLS = OrToolsEngine()
NATIVE = NativeEngine()
