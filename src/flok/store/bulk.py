"""Bulk writes and lookups for uploads of any size, inside the caller's one transaction.

A statement may carry only so many bind parameters (PostgreSQL: 65,535; SQLite: 32,766), so
an ``IN (...)`` over every id of a 70,000-row upload failed, and a list of one dict per row
cost about a kilobyte of memory per row. Here lookups go in chunks of ``CHUNK`` ids, and rows
are streamed to the database as they are made, one chunk at a time: ``COPY … FROM STDIN`` on
PostgreSQL (psycopg 3), a lazily fed ``executemany`` on SQLite. Both run on the connection of
the caller's transaction, so an upload is still stored whole or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, String, Table, any_, bindparam, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

# Ids per lookup and rows per slice turned into Python objects at a time: memory stays small,
# and a million rows take a hundred round trips.
CHUNK = 10_000
INT32_MAX = 2**31 - 1  # an Integer column on PostgreSQL


def slices(n: int, size: int = CHUNK) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive slices covering ``range(n)``."""
    for start in range(0, n, size):
        yield start, min(n, start + size)


def one_of(conn: Connection, column: Any, ids: list[str]) -> ColumnElement[bool]:
    """``column`` is one of ``ids``, passed as ONE parameter: an array on PostgreSQL, JSON text
    read by ``json_each`` on SQLite. (An ``IN`` list of thousands of parameters hits the limit,
    and costs more to build and parse than to run.)"""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=postgresql.ARRAY(String)))
    listed = func.json_each(bindparam(None, json.dumps(ids), type_=String)).table_valued("value")
    return column.in_(select(listed.c.value))


def found_in(
    conn: Connection,
    column: Any,
    scope: ColumnElement[bool],
    ids: pa.Array,
) -> pa.Array:
    """Which of ``ids`` (distinct strings) are stored in ``column`` under ``scope``, asked in chunks."""
    hits: list[str] = []
    for start, stop in slices(len(ids)):
        chunk = ids.slice(start, stop - start).to_pylist()
        hits.extend(conn.execute(select(column).where(scope, one_of(conn, column, chunk))).scalars())
    return pa.array(hits, type=pa.string())


def rows_in(conn: Connection, query: Callable[[list[str]], Any], ids: pa.Array) -> Iterator[Sequence[Any]]:
    """The rows ``query(chunk)`` returns for each chunk of ``ids`` (``query`` uses ``one_of``)."""
    for start, stop in slices(len(ids)):
        yield from conn.execute(query(ids.slice(start, stop - start).to_pylist()))


def first_in(values: pa.Array, value_set: pa.Array) -> int | None:
    """Index of the first of ``values`` that is in ``value_set`` (None: none is)."""
    if len(value_set) == 0 or len(values) == 0:
        return None
    hit = pc.index(pc.is_in(values, value_set=value_set), True).as_py()
    return None if hit < 0 else int(hit)


# A column of rows to insert: the values of rows ``start:stop``, made only when asked for.
Column = Callable[[int, int], Sequence[Any]]


def of(values: pa.Array | np.ndarray) -> Column:
    """A column from an Arrow or NumPy array (Python values, one slice at a time)."""
    if isinstance(values, pa.Array):
        return lambda start, stop: values.slice(start, stop - start).to_pylist()
    return lambda start, stop: values[start:stop].tolist()


def const(value: Any) -> Column:
    """The same value on every row (the campaign's id, a status)."""
    return lambda start, stop: [value] * (stop - start)


def json_of(names: Sequence[str], arrays: Sequence[pa.Array]) -> Column:
    """Per row, ``{name: value}`` of the given columns as JSON text (a JSON column's value)."""

    def make(start: int, stop: int) -> list[str]:
        if not arrays:
            return ["{}"] * (stop - start)
        parts = [a.slice(start, stop - start).to_pylist() for a in arrays]
        return [json.dumps(dict(zip(names, values, strict=True))) for values in zip(*parts, strict=True)]

    return make


def rows(columns: Sequence[Column], n: int) -> Iterator[tuple[Any, ...]]:
    """``n`` row tuples of the columns, made a slice at a time (never all at once)."""
    for start, stop in slices(n):
        yield from zip(*(column(start, stop) for column in columns), strict=True)


def insert(conn: Connection, table: Table, columns: Mapping[str, Column], n: int) -> None:
    """Insert ``n`` rows given column by column, in the caller's transaction, streamed: ``COPY``
    on PostgreSQL, ``executemany`` on SQLite (JSON columns given as JSON text, see ``json_of``).

    Driver errors come back as SQLAlchemy's (``DataError`` for a value the column cannot hold,
    ``OperationalError`` for a lost connection or a full disk), as every other statement's do,
    so the service answers them the same way.
    """
    if n == 0:
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    prepare = conn.dialect.identifier_preparer
    names = ", ".join(prepare.quote(name) for name in columns)
    target = prepare.format_table(table)
    data = rows(list(columns.values()), n)
    if conn.dialect.name == "postgresql":
        statement = f"COPY {target} ({names}) FROM STDIN"
        try:
            with driver.cursor() as cur, cur.copy(statement) as copy:
                for row in data:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise sa_exc.DBAPIError.instance(statement, None, exc, psycopg.Error) from None
        return
    statement = f"INSERT INTO {target} ({names}) VALUES ({', '.join('?' * len(columns))})"
    cursor = driver.cursor()
    try:
        cursor.executemany(statement, data)
    except sqlite3.Error as exc:
        raise sa_exc.DBAPIError.instance(statement, None, exc, sqlite3.Error) from None
    finally:
        cursor.close()
