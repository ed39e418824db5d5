"""explanations.csv: the compact form of a report's explanations, one row per better choice missed.

At 100k participants report.json's ``explanations`` mapping is ~40 MB of JSON, one object per
reason; the same reasons as a CSV table are written by pyarrow in a fraction of the time
(issue 19). ``flok allocate --explanations FILE`` writes it, report.json then names the file
(``explanations_file``) instead of holding the mapping, and ``flok explain`` reads either.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc

from flok.allocation import Allocation
from flok.explain import EXPLANATION_COLUMNS, explanations_table
from flok.io.csv_reader import read_csv
from flok.io.writers import csv_safe, csv_safe_text, write_table_csv

_TEXT_COLUMNS = ("participant_id", "seat", "opportunity_id", "text")
"""Columns holding the user's ids (or sentences starting with them): made formula-safe."""


def write_explanations(allocation: Allocation, stream: IO[bytes]) -> int:
    """Write explanations.csv; returns how many participants it explains."""
    table = explanations_table(allocation)
    for name in _TEXT_COLUMNS:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, csv_safe(table.column(name).combine_chunks()))
    write_table_csv(table, stream)
    return len(pc.unique(table.column("participant_id"))) if table.num_rows else 0


def explanations_reference(
    allocation: Allocation, explanations: str | Path, report: str | Path, participants: int
) -> dict[str, Any]:
    """What report.json says instead of the mapping: the file (relative to the report) and counts."""
    target = Path(explanations)
    if str(report) != "-":
        target = Path(os.path.relpath(target.resolve(), Path(report).resolve().parent))
    return {"explanations_file": str(target), "explained_participants": participants}


def read_explanation(path: Path, participant: str) -> dict[str, Any] | None:
    """One participant's entry as report.json's mapping holds it (None: nothing to explain)."""
    table = read_csv(path)
    table.require(*EXPLANATION_COLUMNS)
    mine = pc.equal(table.text("participant_id"), csv_safe_text(participant))
    rows = pa.table({c: table.text(c) for c in EXPLANATION_COLUMNS}).filter(mine).to_pylist()
    if not rows:
        return None
    seat = _unguarded(rows[0]["seat"])
    return {
        "seat": seat.split(";") if seat else [],
        "reasons": [
            {
                "opportunity_id": _unguarded(r["opportunity_id"]),
                "rank": int(r["rank"]),
                "code": r["code"],
                "text": _unguarded(r["text"]),
            }
            for r in rows
        ],
    }


def _unguarded(value: str) -> str:
    """The value before :func:`csv_safe` guarded it: "'=x" was written for "=x"."""
    return value[1:] if value[:1] == "'" and csv_safe_text(value[1:]) != value[1:] else value
