"""Errors the repositories raise; the service maps them to HTTP statuses."""

from __future__ import annotations


class StoreError(Exception):
    """Base: a stable ``code``, a human ``message`` and the offending ``field``."""

    code = "CONFLICT"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotFound(StoreError):
    code = "NOT_FOUND"

    def __init__(self, what: str, ident: object, *, field: str | None = None) -> None:
        super().__init__(f"no {what} with id '{ident}'", field=field)


class Conflict(StoreError):
    """The request is well-formed but clashes with the stored state (full, wrong phase, duplicate)."""
