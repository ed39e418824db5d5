"""explanations.csv: the compact form of a report's explanations, one row per better choice missed.

At 100k participants report.json's ``explanations`` mapping is ~40 MB of JSON, one object per
reason; the same reasons as a CSV table are written by pyarrow in a fraction of the time
(issue 19). ``flok allocate --explanations FILE`` writes it, report.json then names the file
(``explanations_file``) instead of holding the mapping, and ``flok explain`` reads either.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flok.allocation import Allocation
from flok.explain import (
    CODES,
    EXPLANATION_COLUMNS,
    MAX_EXPLAINED,
    Explained,
    explanation_rows,
    explanations,
    explanations_table,
    id_strings,
)
from flok.io.csv_reader import read_csv
from flok.io.writers import BIG_REPORT, csv_safe, csv_safe_text, json_text, write_json, write_table_csv


def write_explanations(allocation: Allocation, stream: IO[bytes]) -> int:
    """Write explanations.csv; returns how many participants it explains."""
    table = explanations_table(allocation, cell=csv_safe)
    write_table_csv(table, stream)
    people = table.column("participant_id").combine_chunks()  # dictionary-encoded: count its codes
    return int(pc.count_distinct(people.indices).as_py())


def explanations_reference(explanations: str | Path, report: str | Path, participants: int) -> dict[str, Any]:
    """What report.json says instead of the mapping: the file (relative to the report, so the
    two can move together) and how many people it explains."""
    target = Path(explanations)
    if str(report) != "-":
        try:
            target = Path(os.path.relpath(target.resolve(), Path(report).resolve().parent))
        except ValueError:  # no relative path between them (another drive): keep it absolute
            target = target.resolve()
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


_PLAIN = r"^[\x20\x21\x23-\x5b\x5d-\x7e]*$"
"""Text json.dumps writes as is between quotes (printable ASCII without '"' and '\\')."""


def json_strings(values: pa.Array) -> pa.Array:
    """Each string as ``json.dumps`` writes it; only the few needing escapes go through Python."""
    values = pc.cast(values, pa.string())
    quoted = pc.binary_join_element_wise('"', values, '"', "")
    plain = pc.match_substring_regex(values, _PLAIN)
    odd = np.flatnonzero(~np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool))
    if not odd.size:
        return quoted
    escaped = pa.array([json.dumps(v) for v in values.take(pa.array(odd)).to_pylist()], type=pa.string())
    slot = np.full(len(values), -1, dtype=np.int64)
    slot[odd] = np.arange(odd.size)
    return pc.if_else(plain, quoted, escaped.take(pa.array(np.maximum(slot, 0))))


def write_report(allocation: Allocation, stream: IO[bytes]) -> None:
    """report.json (``allocation.report()``), the same bytes :func:`write_json` writes.

    A large report's explanations (above ``BIG_REPORT`` people, written compact) are rendered
    by :func:`explanations_json` and put in the place of a placeholder, instead of building
    and encoding some 250k small objects one by one (issue 19).
    """
    problem = allocation.problem
    if allocation.explainer is not explanations or problem.n_participants > MAX_EXPLAINED:
        write_json(allocation.report(), stream)  # another explainer, or none to list
        return
    rows = explanation_rows(allocation)
    if rows.people()[0].size <= BIG_REPORT:
        write_json(allocation.report(), stream)
        return
    placeholder = f"flok-explanations-{secrets.token_hex(16)}"
    text = json_text(allocation.report(explainer=lambda _: placeholder), compact=True)
    head, _, tail = text.partition(json.dumps(placeholder))
    stream.write(head.encode("utf-8"))
    for part in _json_parts(rows):
        stream.write(part)
    stream.write(tail.encode("utf-8") + b"\n")


def explanations_json(rows: Explained) -> str:
    """``json.dumps(explain(allocation), separators=(",", ":"))`` for ``explanation_rows(allocation)``."""
    return b"".join(bytes(part) for part in _json_parts(rows)).decode("utf-8")


JSON_CHUNK = 8192
"""People per piece of a large report's explanations text: each piece's memory is reused for the
next. One 43 MB text cost 0.3–0.7 s of system time in a fresh process on this 2-core machine
(the kernel handing out fresh pages), more than building the text."""


def _json_parts(rows: Explained) -> Iterator[bytes | memoryview]:
    """The explanations' JSON text in pieces, each assembled by one Arrow ``take``.

    A reason's JSON is fixed by its (code, opportunity) but for its rank, so each distinct pair
    gets two strings (the part before the rank, with or without the comma that separates it from
    the reason before, and the part after it); each person gets one (id and seats) and a closing
    one. The text is then a sequence of indices into those few strings, and ``take``
    concatenates them in one pass: its result's data buffer is the text, written without a copy.
    (Joining eight columns per reason with ``binary_join_element_wise`` cost more, measured.)
    """
    allocation = rows.allocation
    if not rows.size:
        yield b"{}"
        return
    problem = allocation.problem
    oid_json = json_strings(id_strings(problem.opportunity_ids))
    combos, inverse, texts = rows.text_table()
    width = max(problem.n_opportunities, 1)
    code_json = json_strings(pa.array(CODES, type=pa.string())).take(pa.array(combos // width))
    text_json = json_strings(pa.array(texts, type=pa.string()))
    before = pc.binary_join_element_wise(
        '{"opportunity_id":', oid_json.take(pa.array(combos % width)), ',"rank":', ""
    )
    ranks, rank_of = np.unique(rows.rank, return_inverse=True)
    rank_of = rank_of.reshape(-1)
    shared = [
        before,
        pc.binary_join_element_wise(",", before, ""),
        pc.cast(pa.array(ranks, type=pa.int64()), pa.string()),
        pc.binary_join_element_wise(',"code":', code_json, ',"text":', text_json, "}", ""),
        pa.array(["]},", "]}"], type=pa.string()),
    ]
    shared = [pc.cast(piece, pa.large_string()) for piece in shared]
    who, starts = rows.people()
    ends = np.append(starts[1:], rows.size)
    seats = rows.seats(oid_json)
    names = json_strings(id_strings(problem.participant_ids[who]))
    yield b"{"
    for lo in range(0, who.size, JSON_CHUNK):
        hi = min(lo + JSON_CHUNK, who.size)
        heads = pc.binary_join_element_wise(
            names[lo:hi],
            ':{"seat":[',
            pc.binary_join(seats.take(pa.array(who[lo:hi])), ","),
            '],"reasons":[',
            "",
        )
        pieces = [pc.cast(heads, pa.large_string()), *shared]
        base = np.cumsum([0] + [len(piece) for piece in pieces])
        first, last = int(starts[lo]), int(ends[hi - 1])
        order = _chunk_order(
            starts[lo:hi] - first, ends[lo:hi] - starts[lo:hi], base, inverse[first:last], rank_of[first:last]
        )
        if hi == who.size:
            order[-1] += 1  # no comma after the last person
        yield _text_bytes(pa.concat_arrays(pieces).take(pa.array(order)))
    yield b"}"


def _chunk_order(
    begin: np.ndarray, count: np.ndarray, base: np.ndarray, combo: np.ndarray, rank_of: np.ndarray
) -> np.ndarray:
    """Indices into the pieces (heads, reason openings without and with a comma, ranks, reason
    endings, closes: ``base`` is where each kind starts) that spell a chunk of people, whose
    reasons start at ``begin`` and number ``count``: per person its head, three pieces per reason
    and its close (with a comma; the caller drops the last one's)."""
    k, r = begin.size, combo.size
    # person j's head comes after the 2·j pieces of the people before it and the three of each
    # of their reasons
    head_at = 2 * np.arange(k, dtype=np.int64) + 3 * begin
    person = np.repeat(np.arange(k, dtype=np.int64), count)
    opening = np.zeros(r, dtype=bool)
    opening[begin] = True
    at = 2 * person + 3 * np.arange(r, dtype=np.int64) + 1
    order = np.empty(2 * k + 3 * r, dtype=np.int64)
    order[head_at] = base[0] + np.arange(k)
    order[at] = np.where(opening, base[1], base[2]) + combo
    order[at + 1] = base[3] + rank_of
    order[at + 2] = base[4] + combo
    order[head_at[1:] - 1] = base[5]
    order[-1] = base[5]
    return order


def _text_bytes(values: pa.Array) -> memoryview:
    """The concatenated UTF-8 of a string array, read from its data buffer without a copy."""
    wide = pa.types.is_large_string(values.type)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64 if wide else np.int32)
    start, end = int(offsets[values.offset]), int(offsets[values.offset + len(values)])
    data = values.buffers()[2]
    return memoryview(data)[start:end] if data is not None else memoryview(b"")
