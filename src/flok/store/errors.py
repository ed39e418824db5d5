"""Errors the repositories raise: the shared ones from ``flok.errors``, under their store names."""

from __future__ import annotations

from flok.errors import ConflictError, NotFoundError, RefusedError

# The repositories' base: what a store refusal is (code, message, field, row).
StoreError = RefusedError
# Well-formed but clashing with the stored state (full, wrong phase, duplicate).
Conflict = ConflictError


class NotFound(NotFoundError):
    """``no <what> with id '<ident>'``: the message every lookup by external id gives."""

    def __init__(self, what: str, ident: object, *, field: str | None = None) -> None:
        super().__init__(f"no {what} with id '{ident}'", field=field)
