"""``flok import preview FILE``: what Flok understands of a file, and every problem in it.

Nothing is written: the point is to see the columns -> fields decision, the first records as
Flok will read them and each problem (row and the user's own header) before a real run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flok.cli.app import OneLineUsage, app, guarded

import_app = typer.Typer(help="Read files as Flok would, before using them.", no_args_is_help=True)
app.add_typer(import_app, name="import")

KINDS = ("preferences", "opportunities", "participants", "circle-participants", "circles")


@import_app.command("preview", cls=OneLineUsage)
@guarded
def preview_cmd(
    file: Annotated[Path, typer.Argument(help="A CSV (any dialect or encoding) or xlsx file.")],
    kind: Annotated[
        str | None,
        typer.Option(
            help=(
                "preferences, opportunities, participants, circle-participants or circles "
                "(the preset's kind, or guessed)."
            )
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help='FIELD=HEADER, repeatable (e.g. participant_id="Student ID").'),
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help="A named import preset (e.g. lms-wide) or a .toml file.")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="xlsx: the sheet to read (default: the first).")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="CSV encoding when not UTF-8 (detected if not given).")
    ] = None,
    rows: Annotated[int, typer.Option(help="How many records to show.", min=0, max=100)] = 5,
) -> None:
    """Show what Flok reads from FILE: columns -> fields, first records, counts, problems. Writes nothing."""
    from flok.errors import InputError
    from flok.io.mapping import ImportSpec, parse_map
    from flok.io.preview import guess_kind, preview

    spec = ImportSpec(columns=parse_map(map_ or []), preset=preset, sheet=sheet, encoding=encoding)
    if kind is not None and kind not in KINDS:
        raise InputError(f"must be one of {', '.join(KINDS)}, got '{kind}'", source="--kind")
    chosen = kind or guess_kind(file, spec)
    from flok.io.mapping import resolve

    how = (
        ""
        if kind is not None
        else " (the preset's kind)"
        if resolve(spec).kind
        else " (guessed; say --kind to choose)"
    )
    seen = preview(file, chosen, spec, rows=rows)  # type: ignore[arg-type]
    report = seen.report
    lines = [f"{report.source}: read as {chosen}{how}"]
    if report.preset:
        lines.append(f"  preset: {report.preset}")
    lines.append(f"  shape: {report.shape}")
    for fld, header in report.fields.items():
        lines.append(f"  {fld:<15} <- {header}")
    if report.ignored:
        lines.append(f"  ignored: {', '.join(repr(h) for h in report.ignored)}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    if seen.head:
        lines.append("First records as Flok reads them:")
        widths = [max(len(c), *(len(r[k]) for r in seen.head)) for k, c in enumerate(seen.columns)]
        lines.append(
            "  " + "row".ljust(6) + "  ".join(c.ljust(w) for c, w in zip(seen.columns, widths, strict=True))
        )
        for row, cells in zip(seen.head_rows, seen.head, strict=True):
            lines.append(
                "  " + str(row).ljust(6) + "  ".join(v.ljust(w) for v, w in zip(cells, widths, strict=True))
            )
    counts = seen.counts
    parts = [f"{counts['rows']:,} rows", f"{counts['records']:,} records"]
    words = {"participant_id": "participants", "opportunity_id": "opportunities"}
    parts += [f"{counts[k]:,} {word}" for k, word in words.items() if k in counts]
    lines.append("Counts: " + ", ".join(parts))
    if seen.issues:
        total = len(seen.issues) + seen.more_issues
        lines.append(f"Problems ({total}):")
        lines += [f"  {issue.one_line()}" for issue in seen.issues]
        if seen.more_issues:
            lines.append(f"  … and {seen.more_issues} more")
    else:
        lines.append("No problems found.")
    typer.echo("\n".join(lines))
