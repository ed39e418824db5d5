"""``flok explain``: why a participant got the seat they got, read from report.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flok.cli.app import OneLineUsage, app, guarded
from flok.errors import InputError


@app.command("explain", cls=OneLineUsage)
@guarded
def explain_cmd(
    report: Annotated[
        Path, typer.Option(help="report.json written by flok allocate --report (and --explanations).")
    ],
    participant: Annotated[str, typer.Option(help="The participant to explain.")],
) -> None:
    """Say why a participant did not get a better-ranked opportunity."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", source=str(report)) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("not a JSON report", source=report.name) from None
    explanations = data.get("explanations") if isinstance(data, dict) else None
    table = data.get("explanations_file") if isinstance(data, dict) else None
    if explanations is None and not isinstance(table, str):
        raise InputError(
            "this report has no explanations (too many participants, or an old report)",
            source=report.name,
            field="explanations",
        )
    if explanations is not None:
        entry = explanations.get(participant)
    else:  # the compact report: reasons in explanations.csv, named relative to the report
        from flok.io.explanations import read_explanation

        entry = read_explanation(report.parent / str(table), participant)
    if entry is None:
        typer.echo(
            f"{participant}: nothing to explain — they got their first choice, or are not in this run."
        )
        return
    seat = ", ".join(entry["seat"]) or "no seat"
    typer.echo(f"{participant}: {seat}")
    for reason in entry["reasons"]:
        typer.echo(
            f"  choice {reason['rank']} {reason['opportunity_id']}: {reason['text']} [{reason['code']}]"
        )
