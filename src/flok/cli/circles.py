"""``flok circles``: participants.csv (and circles.csv) in; assignments, circles, unmatched, report out."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flok.cli.app import OneLineUsage, app, guarded
from flok.errors import InputError

if TYPE_CHECKING:  # the circles package brings its solvers: loaded when the command runs
    from flok.circles import Weights


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"expected NAME=VALUE, got '{item}'", field=flag)
        out[key.strip()] = value.strip()
    return out


def _weights(values: list[str]) -> Weights:
    """``--weight match=1000 --weight location=30,20,10``."""
    from flok.circles import Weights

    known = {f.name for f in fields(Weights)}
    changes: dict[str, object] = {}
    for name, raw in _pairs(values, "--weight").items():
        if name not in known:
            raise InputError(
                f"unknown weight '{name}'; choose from {', '.join(sorted(known))}", field="--weight"
            )
        try:
            nums = tuple(int(v) for v in raw.split(","))
        except ValueError:
            raise InputError(f"weight '{name}' needs integers, got '{raw}'", field="--weight") from None
        if name in ("location", "time"):
            if len(nums) != 3:
                raise InputError(f"weight '{name}' needs three values (1st,2nd,3rd)", field="--weight")
            changes[name] = nums
        else:
            changes[name] = nums[0]
    return replace(Weights(), **changes)  # type: ignore[arg-type]


@app.command("circles", cls=OneLineUsage)
@guarded
def circles_cmd(
    participants: Annotated[Path, typer.Option(help="participants.csv, or a survey export (CSV or xlsx).")],
    out_dir: Annotated[
        Path, typer.Option(help="Directory for assignments.csv, circles.csv, unmatched.csv, report.json.")
    ],
    circles: Annotated[
        Path | None, typer.Option(help="circles.csv with existing circles (optional).")
    ] = None,
    mode: Annotated[str, typer.Option(help="preserve, optimize or dissolve.")] = "optimize",
    min_size: Annotated[int, typer.Option(help="Smallest new circle.")] = 5,
    max_size: Annotated[int, typer.Option(help="Largest new circle.")] = 10,
    attribute: Annotated[
        list[str] | None, typer.Option(help="Attribute column for diversity (repeat or comma-separate).")
    ] = None,
    map_column: Annotated[
        list[str] | None,
        typer.Option("--map", help="Participants file: FIELD=HEADER, e.g. participant_id='Encoded ID'."),
    ] = None,
    circles_map: Annotated[
        list[str] | None,
        typer.Option(help="circles.csv: FIELD=HEADER, repeatable (never the participants')."),
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help="Participants file: a named import preset or a .toml file.")
    ] = None,
    weight: Annotated[
        list[str] | None, typer.Option(help="Objective weight, e.g. match=1000 or time=30,20,10.")
    ] = None,
    backend: Annotated[str, typer.Option(help="auto, highs or cpsat.")] = "auto",
    time_limit: Annotated[float, typer.Option(help="Seconds per region and solve.")] = 60.0,
    workers: Annotated[int, typer.Option(help="Regions solved in parallel.")] = 1,
    lenient_times: Annotated[
        bool, typer.Option("--lenient-times", help="List unreadable times in report.json instead of failing.")
    ] = False,
    region_code: Annotated[
        list[str] | None,
        typer.Option(help="Code in new circle ids: NAME=CODE, e.g. 'San Francisco=SFO' (repeatable)."),
    ] = None,
    region_codes: Annotated[
        Path | None, typer.Option(help="File of region (or virtual location) names and codes: name,code.")
    ] = None,
    diversity_in_model: Annotated[
        bool,
        typer.Option(
            "--diversity-in-model", help="Let diversity decide who is chosen among tied people (slower)."
        ),
    ] = False,
    keep: Annotated[
        list[str] | None,
        typer.Option(help="Participants' column copied to assignments.csv and roster.csv, e.g. Email."),
    ] = None,
) -> None:
    """Form and fill circles from location and time wishes; the number matched is maximal."""
    attributes = tuple(a.strip() for item in attribute or [] for a in item.split(",") if a.strip())
    kept = tuple(a.strip() for item in keep or [] for a in item.split(",") if a.strip())
    from flok.circles import CircleOptions, form
    from flok.io.circles import OUTPUT_FILES, read_region_codes, read_tables, write_result
    from flok.io.mapping import ImportSpec, parse_map

    codes = read_region_codes(region_codes) if region_codes is not None else {}
    codes |= _pairs(region_code or [], "--region-code")
    options = CircleOptions(
        mode=mode,  # type: ignore[arg-type]
        min_size=min_size,
        max_size=max_size,
        weights=_weights(weight or []),
        attributes=attributes,
        backend=backend,
        time_limit=time_limit,
        workers=workers,
        lenient_times=lenient_times,
        region_codes=codes,
        keep=kept,
        diversity_in_model=diversity_in_model,
    )
    people, existing = read_tables(
        participants,
        circles,
        participants_spec=ImportSpec(columns=parse_map(map_column or []), preset=preset),
        circles_spec=ImportSpec(columns=parse_map(circles_map or [], "--circles-map")),
    )
    result = form(people, existing, options)
    write_result(result, out_dir)
    typer.echo(result.summary())
    typer.echo(f"Wrote {out_dir}/{', '.join(OUTPUT_FILES)}")
