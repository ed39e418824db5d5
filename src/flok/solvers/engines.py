"""Min-cost flow engines: OR-Tools' SimpleMinCostFlow and Flok's own compiled core, one interface.

Every flow formulation in Flok (plain, fill_unlisted hub, score sink, lower-bound circulations,
lexicographic 0/1 levels) is built once as arrays — tails, heads, capacities, costs, node
supplies — and handed to an engine, so the two engines solve the very same network and a
formulation is never written twice. ``max_flow=True`` is OR-Tools' ``solve_max_flow_with_min_cost``
(most flow from the supply nodes to the demand nodes, then the lowest cost); otherwise the
supplies must balance, as in ``solve``.

The native engine (``flok.solvers._flowcore``, built from C by ``pip install``) runs successive
shortest paths on a pseudoflow with node potentials: Dijkstra on a bucket queue (Flok's costs are
small integers) then many augmentations per phase. Because it starts from any flow and any
potentials, it also re-solves from a previous optimum (`NativeStart`): arcs whose reduced cost has
the wrong sign are saturated or emptied, and only the resulting excesses are routed again.
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


@dataclass
class NativeSolution:
    flow: np.ndarray  # per arc of the network as given
    potential: np.ndarray  # per node, plus source and sink with max_flow (reuse in a NativeStart)


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
        pot[: p.size] = p
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
