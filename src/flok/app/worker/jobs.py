"""What every kind of run shares: the progress callback, cancellation, and JSON-safe reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from flok.store.db import Database
from flok.store.rows import RunRow


class Cancelled(Exception):
    """Raised from the progress callback when a cancel was requested."""


ProgressFn = Callable[[float | None, str], None]
# A handler computes outside transactions and marks its run done in the same transaction
# that stores its result (``runs_repo.finish``), so a result and its run never disagree.
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
