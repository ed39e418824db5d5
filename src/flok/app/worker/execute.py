"""Execute one run: claim it, compute outside any transaction, then store the result atomically.

A failure (bad options, infeasible, cancelled, crash) only marks the run; the campaign's last
good allocation is replaced in the same transaction that marks a run done, never before.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flok.app.worker.allocate import run_allocation
from flok.app.worker.jobs import Cancelled, Handler, Superseded
from flok.app.worker.rebalance import run_rebalance
from flok.app.worker.resolve import run_resolve
from flok.errors import FlokError, InfeasibleError, InputError
from flok.store import faults
from flok.store import runs as runs_repo
from flok.store.db import Database
from flok.store.errors import StoreError

log = logging.getLogger("flok.runs")


HANDLERS: dict[str, Handler] = {
    "allocate": run_allocation,
    "rebalance": run_rebalance,
    "resolve": run_resolve,
}


def execute_run(db: Database, run_id: int, *, worker: str, delay: float = 0.0, claimed: bool = False) -> str:
    """Run ``run_id`` unless another worker already claimed it; returns its final status.

    ``claimed``: the caller claimed the run for ``worker`` already (the fair scheduler claims in
    the transaction that chose the run, so no other slot sees it as still waiting)."""
    with db.write() as conn:
        if not claimed and not runs_repo.claim(conn, run_id, worker):
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
            verdict = runs_repo.report_progress(conn, run_id, fraction, message)
        if verdict == "cancel":
            raise Cancelled
        if verdict == "lost":
            raise Superseded(f"run {run_id} is no longer running")

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
    except Superseded as exc:
        # A late writer (paused past the stale-run sweep): its result is dropped, the run keeps
        # the outcome the sweep gave it, and the campaign keeps whatever is newer.
        log.warning("run %s: result discarded, this worker no longer owns the run (%s)", run_id, exc)
        return "discarded"
    except (InputError, InfeasibleError, StoreError, FlokError) as exc:
        _finish(db, run_id, "failed", error=_error(exc), message=_error(exc)["message"])
        return "failed"
    except faults.DISCONNECTS as exc:
        if not faults.is_disconnect(exc):
            _defect(db, run_id, exc)
            return "failed"
        # The database failed under the run. Record why (the pool reconnects if the server is
        # back); if even that fails, the error propagates: the PostgreSQL queue retries the
        # job (which finds the run no longer queued) and the stale-run sweep fails it later.
        refusal = faults.unavailable(exc)
        faults.faults.error(refusal, exc)
        error = {"code": refusal.code, "message": refusal.message, "field": None}
        _finish(db, run_id, "failed", error=error, message=refusal.message)
        return "failed"
    except Exception as exc:
        _defect(db, run_id, exc)
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


# What a run that failed on a defect says (stored and shown); the exception goes to the log.
INTERNAL_FAILURE = "the run failed on an internal error; the server's log has the details"


def _defect(db: Database, run_id: int, exc: Exception) -> None:
    """A bug, not bad input: logged with its traceback, the run failed with code INTERNAL and a
    generic message — the exception's text can hold SQL, parameters or the database's own
    words, which belong in the log, not in the stored run that every API client can read."""
    log.exception("run %s failed", run_id, exc_info=exc)
    error = {"code": "INTERNAL", "message": INTERNAL_FAILURE, "field": None}
    _finish(db, run_id, "failed", error=error, message=INTERNAL_FAILURE)


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
