"""Allocation options, including side constraints, parsed from JSON with precise errors."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from flok.errors import InputError

OBJECTIVES = ("sum", "lexicographic", "maximin")
GROUP_MODES = ("hard", "soft")


@dataclass(frozen=True)
class Quota:
    """Bounds on how many participants with ``attribute == value`` an opportunity takes.

    ``opportunity`` None means every opportunity. ``min`` applies only to opportunities that
    run (get anyone); ``max_share`` is a fraction of the opportunity's participants.
    """

    attribute: str
    value: str
    opportunity: str | None = None
    min: int | None = None
    max: int | None = None
    max_share: float | None = None

    def describe(self) -> str:
        where = f"opportunity {self.opportunity}" if self.opportunity else "every opportunity"
        parts = []
        if self.min is not None:
            parts.append(f"at least {self.min}")
        if self.max is not None:
            parts.append(f"at most {self.max}")
        if self.max_share is not None:
            parts.append(f"at most {self.max_share:.0%}")
        return f"{' and '.join(parts)} with {self.attribute}={self.value} in {where}"


@dataclass(frozen=True)
class Options:
    """How to allocate; every field has a sensible default (see README, "Options")."""

    fill_unlisted: bool = False
    allow_unassigned: bool = True
    min_score: float = 0.0
    seed: int | None = None
    objective: str = "sum"
    group_mode: str = "hard"
    group_penalty: float = 1.0
    time_limit: float = 60.0
    forbidden: tuple[tuple[str, str], ...] = ()
    forced: tuple[tuple[str, str], ...] = ()
    quotas: tuple[Quota, ...] = ()
    category_limit: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, source: str = "options") -> Options:
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise InputError("expected an object", source=source)
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key not in known:
                raise InputError(
                    f"unknown option (known: {', '.join(sorted(known))})", source=source, field=key
                )
            values[key] = _PARSERS[key](raw, source, key)
        return cls(**values)

    def with_(self, **changes: Any) -> Options:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["forbidden"] = [list(p) for p in self.forbidden]
        out["forced"] = [list(p) for p in self.forced]
        out["quotas"] = [{k: v for k, v in asdict(q).items() if v is not None} for q in self.quotas]
        out["category_limit"] = dict(self.category_limit)
        return out

    @property
    def has_side_constraints(self) -> bool:
        return bool(self.forced or self.quotas or self.category_limit)


def _bool(raw: Any, source: str, key: str) -> bool:
    if not isinstance(raw, bool):
        raise InputError(f"must be true or false, got {raw!r}", source=source, field=key)
    return raw


def _number(raw: Any, source: str, key: str, *, minimum: float | None = None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise InputError(f"must be a finite number, got {raw!r}", source=source, field=key)
    if minimum is not None and raw < minimum:
        raise InputError(f"must be ≥ {minimum}, got {raw!r}", source=source, field=key)
    return float(raw)


def _int(raw: Any, source: str, key: str, *, minimum: int = 0) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
        raise InputError(f"must be a whole number ≥ {minimum}, got {raw!r}", source=source, field=key)
    return raw


def _seed(raw: Any, source: str, key: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InputError(f"must be an integer, got {raw!r}", source=source, field=key)
    return raw


def _choice(allowed: tuple[str, ...]) -> Callable[[Any, str, str], str]:
    def parse(raw: Any, source: str, key: str) -> str:
        if raw not in allowed:
            raise InputError(f"must be one of {', '.join(allowed)}, got {raw!r}", source=source, field=key)
        return str(raw)

    return parse


def _pairs(raw: Any, source: str, key: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise InputError("must be a list of [participant_id, opportunity_id] pairs", source=source, field=key)
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, Mapping):
            item = [item.get("participant_id"), item.get("opportunity_id")]
        if (
            not isinstance(item, Sequence)
            or isinstance(item, str)
            or len(item) != 2
            or not all(isinstance(v, str | int) and str(v).strip() for v in item)
        ):
            raise InputError(
                f"item {i + 1} must be [participant_id, opportunity_id], got {item!r}",
                source=source,
                field=key,
            )
        out.append((str(item[0]).strip(), str(item[1]).strip()))
    return tuple(out)


def _quotas(raw: Any, source: str, key: str) -> tuple[Quota, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise InputError("must be a list of quota objects", source=source, field=key)
    out = []
    for i, item in enumerate(raw):
        where = f"{key}[{i + 1}]"
        if not isinstance(item, Mapping):
            raise InputError("must be an object", source=source, field=where)
        extra = set(item) - {"attribute", "value", "opportunity", "opportunity_id", "min", "max", "max_share"}
        if extra:
            raise InputError(f"unknown key '{sorted(extra)[0]}'", source=source, field=where)
        attribute, value = item.get("attribute"), item.get("value")
        if not isinstance(attribute, str) or not attribute.strip() or value is None:
            raise InputError("needs 'attribute' and 'value'", source=source, field=where)
        opp = item.get("opportunity", item.get("opportunity_id"))
        lo = None if item.get("min") is None else _int(item["min"], source, f"{where}.min")
        hi = None if item.get("max") is None else _int(item["max"], source, f"{where}.max")
        share = None
        if item.get("max_share") is not None:
            share = _number(item["max_share"], source, f"{where}.max_share", minimum=0.0)
            if share > 1:
                raise InputError(
                    "max_share is a fraction between 0 and 1", source=source, field=f"{where}.max_share"
                )
        if lo is None and hi is None and share is None:
            raise InputError("needs at least one of min, max, max_share", source=source, field=where)
        if lo is not None and hi is not None and lo > hi:
            raise InputError(f"min {lo} exceeds max {hi}", source=source, field=where)
        out.append(
            Quota(
                attribute=attribute.strip().lower(),
                value=str(value).strip(),
                opportunity=None if opp in (None, "", "*") else str(opp).strip(),
                min=lo,
                max=hi,
                max_share=share,
            )
        )
    return tuple(out)


def _category_limit(raw: Any, source: str, key: str) -> tuple[tuple[str, int], ...]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return (("*", _int(raw, source, key, minimum=1)),)
    if not isinstance(raw, Mapping):
        raise InputError(
            "must be a number (per category) or an object {category: max seats}", source=source, field=key
        )
    return tuple(sorted((str(c), _int(v, source, f"{key}.{c}", minimum=0)) for c, v in raw.items()))


_PARSERS: dict[str, Callable[[Any, str, str], Any]] = {
    "fill_unlisted": _bool,
    "allow_unassigned": _bool,
    "min_score": _number,
    "seed": _seed,
    "objective": _choice(OBJECTIVES),
    "group_mode": _choice(GROUP_MODES),
    "group_penalty": lambda r, s, k: _number(r, s, k, minimum=0.0),
    "time_limit": lambda r, s, k: _number(r, s, k, minimum=0.001),
    "forbidden": _pairs,
    "forced": _pairs,
    "quotas": _quotas,
    "category_limit": _category_limit,
}
