"""How a user's table maps to Flok's: column and value mappings, shapes, and named presets.

An :class:`ImportSpec` says, for one file, which of the user's headers is which Flok field
(``participant_id="Student ID"``), how their words map to Flok's values (``yes`` -> ``true``),
and what shape the file has: ``long`` (one row per preference), ``choices`` (one row per
participant, columns ``Choice 1..N``) or ``columns`` (one column per opportunity holding a rank
or score, as in a survey). A preset is a named spec saved as a small TOML file: Flok ships some
(``flok/io/presets/``) and a user can write their own and pass its path.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from flok.errors import InputError

Shape = Literal["auto", "long", "choices", "columns"]
SHAPES = ("auto", "long", "choices", "columns")


@dataclass(frozen=True)
class ImportSpec:
    """How to read one user file as one of Flok's tables (every part optional)."""

    columns: Mapping[str, str] = field(default_factory=dict)
    """Flok field -> the user's header (``participant_id`` -> ``Student ID``)."""
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Flok field -> {the user's word -> Flok's value}, matched ignoring case and spaces around."""
    shape: Shape = "auto"
    value: Literal["rank", "score"] = "rank"
    """What the cells of a ``columns``-shaped file hold."""
    opportunity_columns: tuple[str, ...] = ()
    """``columns`` shape: the user's headers that are opportunities (default: every unmapped one)."""
    ignore: tuple[str, ...] = ()
    """Headers to leave out (neither a field nor an opportunity)."""
    column_opportunities: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """``columns`` shape: the opportunity (or several) each header stands for, when the header is not
    the opportunity's id (a survey's ``7 _12`` rates course ``DEPT 187``, sections 01 and 02).
    Given, it also says which headers are opportunities (unless ``opportunity_columns`` does)."""
    compose: Mapping[str, str] = field(default_factory=dict)
    """Flok field -> a template over the user's headers, ``"{Subject} {Catalog}-{Section}"``;
    ``{A|B}`` takes the first non-empty of A and B. A row whose template names an empty cell
    gets an empty value, never a half-made one."""
    kind: str | None = None
    """The kind of table a preset is for (``preferences``, ``circle-participants``, …); reading
    another kind with it is refused, so a preset cannot half-apply to the wrong file."""
    sheet: str | None = None
    encoding: str | None = None
    preset: str | None = None
    description: str = ""

    def merged_over(self, base: ImportSpec) -> ImportSpec:
        """This spec's choices on top of ``base`` (a preset): mappings merge, set values win."""
        return replace(
            base,
            columns={**base.columns, **self.columns},
            values={**base.values, **self.values},
            shape=self.shape if self.shape != "auto" else base.shape,
            value=self.value if self.value != "rank" else base.value,
            opportunity_columns=self.opportunity_columns or base.opportunity_columns,
            column_opportunities={**base.column_opportunities, **self.column_opportunities},
            compose={**base.compose, **self.compose},
            kind=self.kind or base.kind,
            ignore=(*base.ignore, *self.ignore),
            sheet=self.sheet or base.sheet,
            encoding=self.encoding or base.encoding,
            preset=self.preset or base.preset,
        )


def parse_map(items: Sequence[str], option: str = "--map") -> dict[str, str]:
    """``FIELD=HEADER`` items (the header may hold spaces and ``=``; quotes around it are dropped)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, header = item.partition("=")
        name, header = name.strip().lower(), header.strip().strip("\"'")
        if not sep or not name or not header:
            raise InputError(f"{option} takes FIELD=HEADER, e.g. participant_id=\"Student ID\"; got '{item}'")
        if name in out:
            raise InputError(f"{option} maps field '{name}' twice ('{out[name]}' and '{header}')")
        out[name] = header
    return out


def parse_values(items: Sequence[str], option: str = "--values") -> dict[str, dict[str, str]]:
    """``FIELD:WORD=VALUE`` items (``host:Always Host=always``) as a value mapping per field."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        name, colon, rest = item.partition(":")
        word, sep, value = rest.partition("=")
        name, word, value = name.strip().lower(), word.strip().strip("\"'"), value.strip().strip("\"'")
        if not colon or not sep or not name or not word:
            raise InputError(
                f"{option} takes FIELD:WORD=VALUE, e.g. host:\"Always Host\"=always; got '{item}'"
            )
        out.setdefault(name, {})[word] = value
    return out


def spec_from_request(data: Mapping[str, Any], source: str) -> ImportSpec:
    """The import part of an API JSON body: ``map`` ({field: header} or ["FIELD=HEADER"]),
    ``values`` ({field: {word: value}}), ``shape``, ``value``; a preset by name only (checked by
    the caller), so a request cannot name a file on the server."""
    raw_map = data.get("map", {})
    if isinstance(raw_map, list) and all(isinstance(m, str) for m in raw_map):
        try:
            columns: Mapping[str, str] = parse_map(raw_map, option="map")
        except InputError as exc:
            raise InputError(exc.message, source=source, field="map") from None
    elif isinstance(raw_map, Mapping):
        columns = raw_map
    else:
        raise InputError(
            "map is an object {field: header} or a list of 'FIELD=HEADER'", source=source, field="map"
        )
    body = {k: v for k, v in data.items() if k in ("values", "shape", "value")}
    spec = spec_from_mapping({**body, "columns": dict(columns)}, source)
    preset = data.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise InputError("preset is a preset's name", source=source, field="preset")
    return replace(spec, preset=preset or None)


def preset_names() -> list[str]:
    """The presets Flok ships (``flok/io/presets/*.toml``)."""
    folder = resources.files("flok.io") / "presets"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_preset(name: str) -> ImportSpec:
    """A shipped preset by name, or a user's preset file by path."""
    path = Path(name)
    if name.endswith(".toml") or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read preset: {exc.strerror}", source=name) from None
        source = name
    else:
        shipped = resources.files("flok.io") / "presets" / f"{name}.toml"
        if not shipped.is_file():
            raise InputError(
                f"unknown preset '{name}' (presets: {', '.join(preset_names())}; or give a .toml file)"
            )
        text = shipped.read_text(encoding="utf-8")
        source = f"preset {name}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=source) from None
    return spec_from_mapping(data, source, preset=name)


def spec_from_mapping(data: Mapping[str, Any], source: str, *, preset: str | None = None) -> ImportSpec:
    """An ImportSpec from a preset's TOML (or the API's JSON) form; unknown keys are refused."""
    known = {
        "description",
        "kind",
        "shape",
        "value",
        "columns",
        "values",
        "opportunity_columns",
        "column_opportunities",
        "compose",
        "ignore",
        "sheet",
        "encoding",
    }
    extra = sorted(set(data) - known)
    if extra:
        raise InputError(f"unknown key (known: {', '.join(sorted(known))})", source=source, field=extra[0])
    shape = str(data.get("shape", "auto"))
    if shape not in SHAPES:
        raise InputError(f"shape must be one of {', '.join(SHAPES)}", source=source, field="shape")
    value = str(data.get("value", "rank"))
    if value not in ("rank", "score"):
        raise InputError("value must be 'rank' or 'score'", source=source, field="value")
    columns = data.get("columns", {})
    values = data.get("values", {})
    if not isinstance(columns, Mapping) or not all(isinstance(v, str) for v in columns.values()):
        raise InputError("columns maps each field to one header", source=source, field="columns")
    if not isinstance(values, Mapping) or not all(isinstance(v, Mapping) for v in values.values()):
        raise InputError("values maps each field to a table of words", source=source, field="values")
    compose = data.get("compose", {})
    if not isinstance(compose, Mapping) or not all(isinstance(v, str) for v in compose.values()):
        raise InputError("compose maps each field to one template", source=source, field="compose")
    by_column = data.get("column_opportunities", {})
    if not isinstance(by_column, Mapping):
        raise InputError(
            "column_opportunities maps each header to an opportunity id or a list of them",
            source=source,
            field="column_opportunities",
        )
    column_opportunities: dict[str, tuple[str, ...]] = {}
    for header, ids in by_column.items():
        listed = (ids,) if isinstance(ids, str) else tuple(ids) if isinstance(ids, list) else ()
        if not listed or not all(isinstance(i, str) and i.strip() for i in listed):
            raise InputError(
                f"column_opportunities: '{header}' must name an opportunity id or a list of them",
                source=source,
                field="column_opportunities",
            )
        column_opportunities[str(header)] = tuple(i.strip() for i in listed)
    kind = data.get("kind")
    if kind is not None and not isinstance(kind, str):
        raise InputError("kind must be a word such as 'preferences'", source=source, field="kind")
    return ImportSpec(
        column_opportunities=column_opportunities,
        compose={str(k).lower(): str(v) for k, v in compose.items()},
        kind=kind,
        columns={str(k).lower(): str(v) for k, v in columns.items()},
        values={str(f).lower(): {str(a): str(b) for a, b in m.items()} for f, m in values.items()},
        shape=shape,  # type: ignore[arg-type]
        value=value,  # type: ignore[arg-type]
        opportunity_columns=tuple(str(c) for c in data.get("opportunity_columns", ())),
        ignore=tuple(str(c) for c in data.get("ignore", ())),
        sheet=data.get("sheet"),
        encoding=data.get("encoding"),
        preset=preset,
        description=str(data.get("description", "")),
    )


def resolve(spec: ImportSpec | None) -> ImportSpec:
    """The spec with its preset (if any) underneath it."""
    spec = spec or ImportSpec()
    if spec.preset is None:
        return spec
    return spec.merged_over(load_preset(spec.preset))
