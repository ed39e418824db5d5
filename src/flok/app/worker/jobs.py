"""What every kind of run shares: the progress callback, cancellation, and JSON-safe reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from flok.store import runs as runs_repo
from flok.store.db import Database, Transaction
from flok.store.rows import RunRow


class Cancelled(Exception):
    """Raised from the progress callback when a cancel was requested."""


class Superseded(Exception):
    """The run is no longer this worker's (the stale-run sweep failed it while the worker was
    paused, or it was deleted): its result must be discarded, and nothing about it written."""


def store_or_discard(conn: Transaction, run: RunRow, report: dict[str, Any], message: str) -> None:
    """Mark ``run`` done, first thing in the transaction that stores its result; raise
    ``Cancelled`` or ``Superseded`` (rolling the transaction back) when it may not store it."""
    if not runs_repo.complete(conn, run.id, run.worker, report=report, message=message):
        current = runs_repo.load(conn, run.id)
        if current is not None and current.status == "running" and current.cancel_requested:
            raise Cancelled
        raise Superseded(f"run {run.id} is {current.status if current else 'deleted'}")


ProgressFn = Callable[[float | None, str], None]
# A handler computes outside transactions and marks its run done in the same transaction
# that stores its result (``store_or_discard``), so a result and its run never disagree.
Handler = Callable[[Database, RunRow, ProgressFn], None]


def plain_json(obj: Any) -> Any:
    """Numpy values in a report become plain JSON numbers (compact, so large reports stay cheap)."""
    return json.loads(json.dumps(obj, default=_numpy_value))


MAX_REPORT_PART = 256 * 1024


def stored_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report as stored on the run: bulky parts (per-participant explanations) are left out
    and named under ``omitted``, so ``GET /runs/{id}`` stays small."""
    out: dict[str, Any] = {}
    omitted = []
    for key, value in report.items():
        text = json.dumps(value, default=_numpy_value)
        if len(text) > MAX_REPORT_PART:
            omitted.append(key)
        else:
            out[key] = json.loads(text)
    if omitted:
        out["omitted"] = omitted
    return out


def _numpy_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")
