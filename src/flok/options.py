"""Allocation options, including side constraints, parsed from JSON with precise errors.

``Options`` is the typed carrier of every option. The core keys are parsed here; each side
rule parses its own keys (``flok/solvers/rules/``, registered with :func:`register_parser`).
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from typing import Any

from flok.errors import InputError

Parser = Callable[[Any, str, str], Any]
"""(raw JSON value, source, key) -> the field's value, or InputError(source=source, field=key)."""

OBJECTIVES = ("sum", "lexicographic", "maximin")


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
            # The exact share written (0.6666 -> "66.66%"), never rounded to a whole percent.
            percent = (Decimal(repr(float(self.max_share))) * 100).normalize()
            parts.append(f"at most {percent:f}%")
        return f"{' and '.join(parts)} with {self.attribute}={self.value} in {where}"


@dataclass(frozen=True)
class CapacityGroup:
    """A capacity shared by several opportunities: at most ``capacity`` seats in all of them.

    A supervisor offering several projects, a room used by two sessions, a lecturer across
    sections. Each opportunity keeps its own capacity too; a seat counts once per member it is in.
    """

    group_id: str
    capacity: int
    opportunities: tuple[str, ...]

    def describe(self) -> str:
        return f"shared capacity {self.group_id}: at most {self.capacity} in {', '.join(self.opportunities)}"


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
    capacity_groups: tuple[CapacityGroup, ...] = ()
    keep: tuple[tuple[str, str], ...] = ()  # seats to keep first (a re-solve, flok.resolve)

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
            if key not in _PARSERS:
                load_rule_registry()
            parser = _PARSERS.get(key)
            if parser is None:  # only if flok.solvers.rules was never imported (see register_parser)
                raise InputError("no parser is registered for this option", source=source, field=key)
            values[key] = parser(raw, source, key)
        _check_forced_forbidden(values, source)
        return cls(**values)

    @classmethod
    def parse_flag(cls, key: str, raw: Any, flag: str) -> Any:
        """One option given as a command-line flag, checked by the same parser as its JSON key.

        The error names the flag (``--min-score: must be a finite number, got nan``), so flags,
        JSON and the API share one validation path and one set of messages.
        """
        try:
            return getattr(cls.from_mapping({key: raw}, flag), key)
        except InputError as exc:
            field = None if exc.field == key else exc.field
            raise InputError(exc.message, source=flag, row=exc.row, field=field) from None

    def with_(self, **changes: Any) -> Options:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The JSON ``options`` object (report.json); a rule's key is written back its own way."""
        out = asdict(self)
        load_rule_registry()
        for key, to_json in _TO_JSON.items():
            out[key] = to_json(getattr(self, key))
        return out


def _check_forced_forbidden(values: Mapping[str, Any], source: str) -> None:
    """A pair both forced and forbidden, named by its item in ``forced`` (1-based, as ``row``)."""
    forbidden = set(values.get("forbidden", ()))
    for i, pair in enumerate(values.get("forced", ())):
        if pair in forbidden:
            raise InputError(
                f"pair ({pair[0]}, {pair[1]}) is both forced and forbidden",
                source=source,
                row=i + 1,
                field="forced",
            )


def parse_bool(raw: Any, source: str, key: str) -> bool:
    if not isinstance(raw, bool):
        raise InputError(f"must be true or false, got {raw!r}", source=source, field=key)
    return raw


def parse_number(raw: Any, source: str, key: str, *, minimum: float | None = None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise InputError(f"must be a finite number, got {raw!r}", source=source, field=key)
    if minimum is not None and raw < minimum:
        raise InputError(f"must be ≥ {minimum}, got {raw!r}", source=source, field=key)
    return float(raw)


def parse_int(raw: Any, source: str, key: str, *, minimum: int = 0) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
        raise InputError(f"must be a whole number ≥ {minimum}, got {raw!r}", source=source, field=key)
    return raw


def _seed(raw: Any, source: str, key: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InputError(f"must be an integer, got {raw!r}", source=source, field=key)
    return raw


def choice(allowed: tuple[str, ...]) -> Callable[[Any, str, str], str]:
    def parse(raw: Any, source: str, key: str) -> str:
        if raw not in allowed:
            raise InputError(f"must be one of {', '.join(allowed)}, got {raw!r}", source=source, field=key)
        return str(raw)

    return parse


_PARSERS: dict[str, Parser] = {
    "fill_unlisted": parse_bool,
    "allow_unassigned": parse_bool,
    "min_score": parse_number,
    "seed": _seed,
    "objective": choice(OBJECTIVES),
    "time_limit": lambda r, s, k: parse_number(r, s, k, minimum=0.001),
}
"""Parsers of the core keys. Side rules add theirs with :func:`register_parser` (their module in
``flok.solvers.rules`` owns the key); :func:`load_rule_registry` loads them before any parsing."""


_TO_JSON: dict[str, Callable[[Any], Any]] = {}

RULE_REGISTRY = "flok.solvers.rules"
"""The side-rule registry, loaded by name the first time options or checks need it. ``import
flok`` stays light (no solvers, issue 19), and the core still never imports the rules
statically: they build on it, so a static import would be a cycle across layers."""


def load_rule_registry() -> None:
    """Make sure every side rule has registered its option parser, writer and checks."""
    if RULE_REGISTRY not in sys.modules:
        importlib.import_module(RULE_REGISTRY)


def register_parser(key: str, parser: Parser, to_json: Callable[[Any], Any] | None = None) -> None:
    """Let a side rule parse its own ``options`` key (and write it back as JSON, ``to_json``).

    The key must be an ``Options`` field.
    """
    if key not in {f.name for f in fields(Options)}:
        raise ValueError(f"'{key}' is not a field of Options")
    if _PARSERS.get(key, parser) is not parser:
        raise ValueError(f"option '{key}' already has a parser")
    _PARSERS[key] = parser
    if to_json is not None:
        _TO_JSON[key] = to_json


OPTION_CHECKS: list[Callable[[Any], None]] = []
"""Side rules' checks of their options against a problem (``Problem._check_options`` runs them).

Kept here, beside the parsers, rather than in ``flok.model``: the rules register them when their
package loads, and that package must load without NumPy for ``flok --help`` (issue 19)."""


def register_option_check(check: Callable[[Any], None]) -> None:
    """Let a side rule check its options against a problem (ids exist, attributes exist).

    ``flok.solvers.rules`` registers every rule's check when it loads (:func:`load_rule_registry`);
    the core cannot import the rules (they build on it). The argument is a ``flok.model.Problem``.
    """
    if check not in OPTION_CHECKS:
        OPTION_CHECKS.append(check)
