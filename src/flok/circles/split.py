"""Split one slot's group into its circles: hosts first (so every circle has a valid host set),
then co-leaders, then everyone else placed to add the most new attribute values.

With ``n`` circles, ``min·n ≤ m ≤ max·n`` and ``2·always + sometimes ≥ 2·n``: give ``min(always, n)``
circles one "always" host each and every other circle two "sometimes" hosts (there are enough
because ``sometimes ≥ 2·(n − always)``). A host set has at most 2 ≤ min members, and sizes as even
as possible (``⌊m/n⌋`` or ``⌈m/n⌉``) lie within ``[min, max]``, so the split always succeeds.
"""

from __future__ import annotations

from flok.circles.roster import ALWAYS, SOMETIMES, Participant
from flok.errors import SolverError


def wants_to_lead(p: Participant) -> bool:
    """Current co-leaders who did not decline, and volunteers."""
    return p.co_lead is True or (p.current_co_leader and p.co_lead is not False)


def split_group(members: list[Participant], n: int, min_size: int, max_size: int) -> list[list[Participant]]:
    """Deterministic split of ``members`` into ``n`` circles satisfying size and host rules."""
    m = len(members)
    always = [p for p in members if p.host == ALWAYS]
    sometimes = [p for p in members if p.host == SOMETIMES]
    if not (n >= 1 and min_size * n <= m <= max_size * n and 2 * len(always) + len(sometimes) >= 2 * n):
        raise SolverError(f"cannot split {m} members into {n} circles (sizes {min_size}-{max_size})")
    target = [m // n + (1 if i < m % n else 0) for i in range(n)]
    circles: list[list[Participant]] = [[] for _ in range(n)]
    placed: set[int] = set()

    def put(i: int, p: Participant) -> None:
        circles[i].append(p)
        placed.add(p.index)

    for i, p in zip(range(n), always, strict=False):
        put(i, p)
    pairs = iter(sometimes)
    for i in range(len(always), n):
        put(i, next(pairs))
        put(i, next(pairs))
    rest = [p for p in members if p.index not in placed]
    leaders = [p for p in rest if wants_to_lead(p)]
    for p in leaders:
        room = [i for i in range(n) if len(circles[i]) < target[i]]
        i = min(room, key=lambda j: (sum(wants_to_lead(q) for q in circles[j]), len(circles[j]), j))
        put(i, p)
    others = [p for p in rest if p.index not in placed]
    for p in _rarest_first(others):
        room = [i for i in range(n) if len(circles[i]) < target[i]]
        i = max(room, key=lambda j: (_new_values(circles[j], p), -len(circles[j]), -j))
        put(i, p)
    return circles


def _new_values(circle: list[Participant], p: Participant) -> int:
    return sum(1 for k, v in enumerate(p.attributes) if v and all(q.attributes[k] != v for q in circle))


def _rarest_first(people: list[Participant]) -> list[Participant]:
    """Place people with rare attribute values first, while every circle still has room for them."""
    counts: dict[tuple[int, str], int] = {}
    for p in people:
        for k, v in enumerate(p.attributes):
            counts[(k, v)] = counts.get((k, v), 0) + 1
    return sorted(
        people, key=lambda p: (min((counts[(k, v)] for k, v in enumerate(p.attributes)), default=0), p.index)
    )
