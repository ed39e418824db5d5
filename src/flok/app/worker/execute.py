"""Execute one run: claim it, compute outside any transaction, then store the result atomically.

A failure (bad options, infeasible, cancelled, crash) only marks the run; the campaign's last
good allocation is replaced in the same transaction that marks a run done, never before.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from flok.engine import allocate
from flok.errors import FlokError, InfeasibleError, InputError
from flok.solvers.base import Progress
from flok.store import campaigns as campaigns_repo
from flok.store import runs as runs_repo
from flok.store.db import Database
from flok.store.errors import StoreError
from flok.store.rows import RunRow

log = logging.getLogger("flok.runs")


class Cancelled(Exception):
    """Raised from the progress callback when a cancel was requested."""


ProgressFn = Callable[[float | None, str], None]
# A handler computes outside transactions and marks its run done in the same transaction
# that stores its result (``runs_repo.finish``), so a result and its run never disagree.
Handler = Callable[[Database, RunRow, ProgressFn], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return register


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


def execute_run(db: Database, run_id: int, *, worker: str, delay: float = 0.0) -> str:
    """Run ``run_id`` unless another worker already claimed it; returns its final status."""
    with db.write() as conn:
        if not runs_repo.claim(conn, run_id, worker):
            return "skipped"
        run = runs_repo.load(conn, run_id)
    assert run is not None
    last = [0.0]

    def progress(fraction: float | None, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2 and fraction not in (0.0, 1.0):
            return  # keep progress writes off the solver's hot path
        last[0] = now
        with db.write() as conn:
            if runs_repo.report_progress(conn, run_id, fraction, message):
                raise Cancelled

    beating = _Heartbeat(db, run_id)
    beating.start()
    try:
        end = time.monotonic() + delay
        while time.monotonic() < end:
            progress(0.0, "waiting (run_delay_seconds)")
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))
        HANDLERS[run.kind](db, run, progress)
    except Cancelled:
        _finish(db, run_id, "cancelled", message="cancelled on request")
        return "cancelled"
    except (InputError, InfeasibleError, StoreError, FlokError) as exc:
        _finish(db, run_id, "failed", error=_error(exc), message=_error(exc)["message"])
        return "failed"
    except Exception as exc:
        log.exception("run %s failed", run_id)
        _finish(db, run_id, "failed", error={"code": "INTERNAL", "message": repr(exc), "field": None})
        return "failed"
    finally:
        beating.stop()
    return "done"


HEARTBEAT_SECONDS = 15.0


class _Heartbeat(threading.Thread):
    """Touches the run every few seconds, even inside a long solve, so a dead worker is detectable."""

    def __init__(self, db: Database, run_id: int) -> None:
        super().__init__(daemon=True, name=f"flok-heartbeat-{run_id}")
        self.db, self.run_id = db, run_id
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(HEARTBEAT_SECONDS):
            try:
                with self.db.write() as conn:
                    runs_repo.heartbeat(conn, self.run_id)
            except Exception:  # pragma: no cover - a missed beat is retried next time
                log.warning("heartbeat of run %s failed", self.run_id, exc_info=True)

    def stop(self) -> None:
        self._stop_event.set()


def _finish(db: Database, run_id: int, status: str, **kw: Any) -> None:
    with db.write() as conn:
        runs_repo.finish(conn, run_id, status, **kw)


def _error(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, InputError):
        return {"code": "INVALID_INPUT", "message": exc.one_line(), "field": exc.field}
    if isinstance(exc, InfeasibleError):
        return {"code": "INFEASIBLE", "message": exc.one_line(), "field": None, "hints": exc.hints}
    if isinstance(exc, StoreError):
        return {"code": exc.code, "message": exc.message, "field": exc.field}
    return {"code": "FAILED", "message": str(exc), "field": None}


@handler("allocate")
def _allocate(db: Database, run: RunRow, progress: ProgressFn) -> None:
    campaign_id = run.campaign_id
    assert campaign_id is not None  # an allocation run always belongs to a campaign
    strategy, options = campaigns_repo.split_options(run.options)
    progress(0.0, "loading the campaign")
    with db.read() as conn:
        problem = campaigns_repo.build_problem(conn, campaign_id, options)

    def on_progress(p: Progress) -> None:
        # CP-SAT and MIP report their best objective and bound; the message carries them to the UI.
        if p.objective is not None and p.bound is not None:
            progress(p.fraction, f"{p.message} (best {p.objective:g}, bound {p.bound:g})")
        else:
            progress(p.fraction, p.message)

    progress(0.05, "solving")
    result = allocate(problem, strategy, progress=on_progress)
    progress(0.95, "storing the allocation")
    with db.write() as conn:
        # The run must still be active: a cancel that landed after the solve wins.
        row = runs_repo.load(conn, run.id)
        if row is None or row.cancel_requested:
            raise Cancelled
        campaigns_repo.save_allocation(conn, campaign_id, run.id, result.assignments())
        message = f"assigned {result.stats.assigned} of {problem.n_participants}"
        runs_repo.finish(conn, run.id, "done", report=stored_report(result.report()), message=message)


from flok.app.worker import rebalance as _rebalance  # noqa: E402, F401  (registers "rebalance")
