"""Refusals several use cases share: a run of the campaign active, an upload over the row limit,
a NUL character in an upload."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from flok.app.state import State
from flok.errors import ConflictError, TooLargeError
from flok.store import runs as runs_repo
from flok.store.db import Transaction
from flok.table import Table


def refuse_while_active(conn: Transaction, campaign_id: int, message: str) -> None:
    """The one rule "no second run, and no deleting, while a run of the campaign is active"."""
    if runs_repo.has_active(conn, campaign_id):
        raise ConflictError(message, code="RUN_ACTIVE")


def refuse_too_many_rows(state: State, rows: int, source: str) -> None:
    """Refuse (413 ``TOO_MANY_ROWS``) an upload of more rows than ``FLOK_MAX_UPLOAD_ROWS``,
    naming the limit. Entry points call it as soon as they know the count (a JSON list before
    it becomes a table); ``upload_table`` calls it again for every way in."""
    limit = state.settings.max_upload_rows
    if rows > limit:
        raise TooLargeError(
            f"{source}: {rows:,} rows, over the limit of {limit:,} rows per upload; split the file",
            code="TOO_MANY_ROWS",
        )


def no_nul(table: Table) -> Table:
    """Refuse NUL characters (PostgreSQL cannot store them) the same way on every database."""
    for name, col in table.columns.items():
        hits = pc.fill_null(pc.match_substring(col, "\x00"), False)
        found = np.flatnonzero(np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool))
        if found.size:
            raise table.error(int(found[0]), name, "contains a NUL character")
    return table
