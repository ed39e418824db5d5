"""Errors Flok raises: one base class, so callers can catch everything Flok-specific at once."""

from __future__ import annotations


class FlokError(Exception):
    """Base class of every error Flok raises on purpose."""


class InputError(FlokError, ValueError):
    """Bad input, located precisely enough for a person to fix the file.

    ``row`` is the line number for CSV files (header = 1) and the 1-based item number for
    JSON lists; ``field`` is the column or key.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        field: str | None = None,
        header: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.row = row
        self.field = field
        self.header = header if header and field and header.strip().lower() != field.lower() else None
        """The user's own column name, when it is not Flok's field name (a mapped or wide file)."""
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field and self.header:
            where.append(f"column '{self.header}' (field '{self.field}')")
        elif self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class InfeasibleError(FlokError):
    """No allocation satisfies the hard requirements; ``reasons`` say why in plain words."""

    def __init__(
        self,
        summary: str,
        *,
        reasons: list[str] | None = None,
        hints: list[str] | None = None,
        unseated: int = 0,
        bottleneck: list[str] | None = None,
    ) -> None:
        self.summary = summary
        self.reasons = list(reasons or [])
        self.hints = list(hints or [])
        self.unseated = unseated
        self.bottleneck = list(bottleneck or [])
        super().__init__(self.one_line())

    def one_line(self) -> str:
        parts = [self.summary, *self.reasons]
        return " ".join(p if p.endswith(".") else p + "." for p in parts)


class SolverError(FlokError):
    """A solver failed for a reason other than infeasibility (bug, limit, bad status)."""


class RefusedError(FlokError):
    """A well-formed request the stored state refuses: a stable ``code``, a ``message``, and the
    offending ``field`` (and ``row`` of a batch) when one is to blame.

    The base of ``NotFoundError`` and ``ConflictError``; every entry layer renders the three
    fields (API as JSON, dashboard in its message box).
    """

    code = "REFUSED"

    def __init__(
        self, message: str, *, field: str | None = None, row: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row
        if code:
            self.code = code


class NotFoundError(RefusedError):
    """No such thing in the caller's organization (another organization's things count as absent)."""

    code = "NOT_FOUND"


class ConflictError(RefusedError):
    """The request clashes with the stored state: full, wrong phase, duplicate, a run still active."""

    code = "CONFLICT"


class UnauthorizedError(RefusedError):
    """No valid credentials: a missing, unknown or revoked API key."""

    code = "UNAUTHORIZED"


class TooLargeError(RefusedError):
    """More than the service takes in one request (rows in an upload): HTTP 413. The limit is
    named in the message, so the sender knows how to split the request."""

    code = "TOO_LARGE"
    status = 413


class UnavailableError(RefusedError):
    """The database cannot serve the request right now (connection lost, server down, storage
    read-only or full): nothing was stored, and the same request may succeed later (HTTP 503)."""

    code = "DATABASE_UNAVAILABLE"
    status = 503
