"""Writers for Flok's outputs: all-or-nothing file writes and CSV safe from formula injection."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from flok.allocation import Allocation, seat_ranks

_FORMULA = r"^[=+\-@\t\r]"


def csv_safe(values: pa.Array) -> pa.Array:
    """Prefix text a spreadsheet would run as a formula with an apostrophe (OWASP advice)."""
    arr = pc.cast(values, pa.string())
    risky = pc.fill_null(pc.match_substring_regex(arr, _FORMULA), False)
    return pc.if_else(risky, pc.binary_join_element_wise("'", arr, ""), arr)


def csv_safe_text(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class Outputs:
    """Collects output files and publishes them together, so an error writes nothing."""

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []
        self._stdout: list[bytes] = []

    def open(self, target: str | Path) -> IO[bytes]:
        if str(target) == "-":
            return _Capture(self._stdout)
        dest = Path(target)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
        self._pending.append((Path(tmp), dest))
        return os.fdopen(fd, "wb")

    def commit(self) -> None:
        for tmp, dest in self._pending:
            os.replace(tmp, dest)
        self._pending.clear()
        for chunk in self._stdout:
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()

    def abort(self) -> None:
        for tmp, _ in self._pending:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._pending.clear()


class _Capture(io.BytesIO):
    """Buffers stdout output until commit; keeps its bytes when closed."""

    def __init__(self, sink: list[bytes]) -> None:
        super().__init__()
        self._sink = sink

    def close(self) -> None:
        if not self.closed:
            self._sink.append(self.getvalue())
        super().close()


@contextlib.contextmanager
def outputs() -> Iterator[Outputs]:
    out = Outputs()
    try:
        yield out
    except BaseException:
        out.abort()
        raise
    out.commit()


def assignments_table(allocation: Allocation) -> pa.Table:
    """One row per seat, then one row per unassigned participant (empty opportunity_id)."""
    p = allocation.problem
    part, opp = allocation.participant, allocation.opportunity
    seated = np.zeros(p.n_participants, dtype=bool)
    seated[part] = True
    idle = np.flatnonzero(~seated)
    pids = np.concatenate([p.participant_ids[part], p.participant_ids[idle]]).astype(str)
    oids = np.concatenate([p.opportunity_ids[opp].astype(str), np.full(idle.size, "", dtype=object)])
    cols: dict[str, pa.Array] = {
        "participant_id": csv_safe(pa.array(pids)),
        "opportunity_id": csv_safe(pa.array(oids.astype(str))),
    }
    if p.rank is not None:
        ranks = seat_ranks(p, part, opp)
        cols["rank"] = pa.array(
            np.concatenate([ranks, np.zeros(idle.size, dtype=np.int64)]),
            mask=np.concatenate([ranks == 0, np.ones(idle.size, dtype=bool)]),
        )
    else:
        assert p.score is not None
        rows = p.locate(part, opp)
        scores = np.zeros(part.size)
        scores[rows >= 0] = p.score[rows[rows >= 0]]
        cols["score"] = pa.array(
            np.concatenate([scores, np.zeros(idle.size)]),
            mask=np.concatenate([rows < 0, np.ones(idle.size, dtype=bool)]),  # unlisted or unassigned
        )
    return pa.table(cols)


def write_table_csv(table: pa.Table, stream: IO[bytes]) -> None:
    """CSV with a plain header line (pyarrow would quote every header name)."""
    names = [f'"{n}"' if any(c in n for c in ',"\n') else n for n in table.column_names]
    stream.write((",".join(names) + "\n").encode("utf-8"))
    if table.num_rows:
        # pyarrow's "needed" quotes every string; quote only when some value requires it.
        special = any(
            pc.any(pc.match_substring_regex(col, r'[,"\r\n]')).as_py()
            for col in table.columns
            if pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
        )
        style = "needed" if special else "none"
        pacsv.write_csv(
            table, stream, write_options=pacsv.WriteOptions(include_header=False, quoting_style=style)
        )


def write_json(obj: Any, stream: IO[bytes]) -> None:
    """Indented JSON for people; large reports (many explanations) stay compact to stay fast."""
    big = isinstance(obj, dict) and len(obj.get("explanations") or ()) > 5000
    text = json.dumps(
        obj, indent=None if big else 2, separators=(",", ":") if big else None, default=_json_default
    )
    stream.write(text.encode("utf-8") + b"\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")
