"""Writers for Flok's outputs: all-or-nothing file writes and CSV safe from formula injection."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from flok.allocation import Allocation, seat_ranks
from flok.errors import InputError

_FORMULA = r"^[=+\-@\t\r]"


def csv_safe(values: pa.Array) -> pa.Array:
    """Prefix text a spreadsheet would run as a formula with an apostrophe (OWASP advice)."""
    arr = pc.cast(values, pa.string())
    risky = pc.fill_null(pc.match_substring_regex(arr, _FORMULA), False)
    return pc.if_else(risky, pc.binary_join_element_wise("'", arr, ""), arr)


def csv_safe_text(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class Outputs:
    """Collects output files and publishes them together, so an error writes nothing.

    Each file is first written to a temporary sibling; :meth:`commit` moves them into place
    and, if one move fails, puts back what the earlier moves replaced. Every failure is an
    ``InputError`` naming the path (the user chose it), and leaves no temporary file behind.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []
        self._stdout: list[bytes] = []
        self._made_dirs: list[Path] = []

    def open(self, target: str | Path) -> IO[bytes]:
        if str(target) == "-":
            return _Capture(self._stdout)
        dest = Path(target)
        check_targets({"output": dest})
        try:
            self._make_parents(dest.parent)
            fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
        except OSError as exc:
            raise _cannot_write(dest, exc) from None
        self._pending.append((Path(tmp), dest))
        return _Staged(fd, dest)

    def _make_parents(self, folder: Path) -> None:
        missing: list[Path] = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            made.mkdir()
            self._made_dirs.append(made)

    def commit(self) -> None:
        done: list[tuple[Path, Path | None]] = []  # (dest, backup of what it replaced)
        current = Path()
        try:
            for tmp, dest in self._pending:
                current, backup = dest, None
                if dest.exists():
                    backup = dest.with_name(tmp.name + ".old")
                    os.replace(dest, backup)
                done.append((dest, backup))
                os.replace(tmp, dest)
        except OSError as exc:
            for dest, backup in reversed(done):
                with contextlib.suppress(OSError):
                    if backup is not None:
                        os.replace(backup, dest)
                    else:
                        dest.unlink(missing_ok=True)
            self.abort()
            raise _cannot_write(current, exc) from None
        for _, backup in done:
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink()
        self._pending.clear()
        self._made_dirs.clear()
        for chunk in self._stdout:
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()

    def abort(self) -> None:
        for tmp, _ in self._pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._pending.clear()
        for folder in reversed(self._made_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()
        self._made_dirs.clear()
        self._stdout.clear()


def check_targets(targets: Mapping[str, str | Path | None]) -> None:
    """Refuse, before any work, output paths that cannot be written: a directory, a path under
    a file, a folder without write permission, or one file named twice. ``targets`` maps the
    flag (or label) naming each output to its path; None and "-" (stdout) are skipped.

    Run before solving, so a long solve never ends in "cannot write"; ``Outputs`` checks again
    at the moment of writing (the file system may change meanwhile).
    """
    seen: dict[Path, str] = {}
    for label, target in targets.items():
        if target is None or str(target) == "-":
            continue
        dest = Path(target)
        key = dest.resolve()
        if key in seen:
            raise InputError(f"{label} names the same file as {seen[key]}", source=str(dest))
        seen[key] = label
        if dest.is_dir():
            raise InputError("is a directory; give a file path to write", source=str(dest))
        if dest.exists() and not os.access(dest, os.W_OK):
            raise InputError("cannot write: permission denied", source=str(dest))
        folder = dest.parent
        while not folder.exists():
            folder = folder.parent
        if not folder.is_dir():
            raise InputError(f"cannot write: '{folder}' is a file, not a directory", source=str(dest))
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InputError(f"cannot write: permission denied in '{folder}'", source=str(dest))


def _cannot_write(dest: Path, exc: OSError) -> InputError:
    return InputError(f"cannot write: {exc.strerror or exc}", source=str(dest))


class _Staged(io.BufferedWriter):
    """A temporary output file; a failing write names the file the user asked for."""

    def __init__(self, fd: int, dest: Path) -> None:
        super().__init__(io.FileIO(fd, "wb"))
        self._dest = dest

    def write(self, data: Any) -> int:
        try:
            return super().write(data)
        except OSError as exc:
            raise _cannot_write(self._dest, exc) from None

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            raise _cannot_write(self._dest, exc) from None


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
    """Files opened on the yielded ``Outputs`` appear together when the block ends, or not at all."""
    out = Outputs()
    try:
        yield out
    except OSError as exc:  # a write outside the staged files' own checks: still the user's path
        out.abort()
        raise InputError(f"cannot write: {exc.strerror or exc}", source=exc.filename) from None
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
            pc.any(pc.match_substring_regex(values, r'[,"\r\n]')).as_py() for values in _texts(table)
        )
        style = "needed" if special else "none"
        pacsv.write_csv(
            table, stream, write_options=pacsv.WriteOptions(include_header=False, quoting_style=style)
        )


BIG_REPORT = 5000
"""Explained participants above which report.json is written compact (no indentation)."""


def _texts(table: pa.Table) -> Iterator[pa.Array]:
    """The string values of each text column: a dictionary-encoded column's distinct values."""
    for col in table.columns:
        kind = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            continue
        for chunk in col.chunks:
            yield chunk.dictionary if pa.types.is_dictionary(col.type) else chunk


def write_json(obj: Any, stream: IO[bytes]) -> None:
    """Indented JSON for people; large reports (many explanations) stay compact to stay fast."""
    big = isinstance(obj, dict) and len(obj.get("explanations") or ()) > BIG_REPORT
    stream.write(json_text(obj, compact=big).encode("utf-8") + b"\n")


def json_text(obj: Any, *, compact: bool) -> str:
    return json.dumps(
        obj, indent=None if compact else 2, separators=(",", ":") if compact else None, default=_json_default
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")
