"""The difference between two allocations of one campaign, person by person, with totals.

One function serves every diff the service shows: a draft against the version it was computed
from, and any two versions. A change is ``moved`` (other seats), ``seated`` (none before) or
``unseated`` (none now); people whose seats are the same are counted, not listed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Change = Literal["moved", "seated", "unseated"]
CHANGES: tuple[Change, ...] = ("moved", "seated", "unseated")


@dataclass(frozen=True)
class PersonDiff:
    """One participant whose seats differ; ``value_*`` is the rank (or score) of their seat, the
    sum over their seats when they hold several, None when a seat is unlisted or there is none."""

    participant_id: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    change: Change
    value_before: float | None
    value_after: float | None
    why: str = ""

    @property
    def value_change(self) -> float | None:
        if self.value_before is None or self.value_after is None:
            return None
        return self.value_after - self.value_before


@dataclass(frozen=True)
class Totals:
    """An allocation in numbers: people seated, seats, total and worst rank (score: total, lowest)."""

    seated: int
    seats: int
    total: float
    unlisted: int
    worst: float | None
    first_choice: int  # rank mode: seats at rank 1 (score mode: at each person's top score is not known here)


@dataclass(frozen=True)
class SeatDiff:
    mode: str
    people: list[PersonDiff]
    before: Totals
    after: Totals
    unchanged: int
    counts: dict[str, int] = field(default_factory=dict)


def _by_person(seats: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = defaultdict(list)
    for pid, oid in seats:
        out[pid].append(oid)
    return {p: tuple(sorted(o)) for p, o in out.items()}


def _value(pid: str, oids: tuple[str, ...], values: Mapping[tuple[str, str], float]) -> float | None:
    got = [values.get((pid, o)) for o in oids]
    if not got or any(v is None for v in got):
        return None
    return float(sum(v for v in got if v is not None))


def _totals(people: dict[str, tuple[str, ...]], values: Mapping[tuple[str, str], float], mode: str) -> Totals:
    listed = [values[(p, o)] for p, oids in people.items() for o in oids if (p, o) in values]
    seats = sum(len(o) for o in people.values())
    worst = (max(listed) if mode == "rank" else min(listed)) if listed else None
    return Totals(
        seated=len(people),
        seats=seats,
        total=float(sum(listed)),
        unlisted=seats - len(listed),
        worst=worst,
        first_choice=sum(1 for v in listed if v == 1) if mode == "rank" else 0,
    )


def diff(
    before: Iterable[tuple[str, str]],
    after: Iterable[tuple[str, str]],
    values: Mapping[tuple[str, str], float],
    *,
    mode: str = "rank",
    why: Mapping[str, str] | None = None,
) -> SeatDiff:
    """``before`` → ``after`` (participant, opportunity pairs); ``values`` the rank or score of
    each registered pair; ``why`` an explanation per participant, when the caller has one."""
    old, new = _by_person(before), _by_person(after)
    people: list[PersonDiff] = []
    unchanged = 0
    for pid in sorted(set(old) | set(new)):
        b, a = old.get(pid, ()), new.get(pid, ())
        if a == b:
            unchanged += 1
            continue
        change: Change = "seated" if not b else "unseated" if not a else "moved"
        people.append(
            PersonDiff(
                pid, b, a, change, _value(pid, b, values), _value(pid, a, values), (why or {}).get(pid, "")
            )
        )
    counts: dict[str, int] = dict.fromkeys(CHANGES, 0)
    for p in people:
        counts[p.change] += 1
    return SeatDiff(mode, people, _totals(old, values, mode), _totals(new, values, mode), unchanged, counts)
