"""One handle on the database: engine, read and write transactions, and migrations.

SQLite serialises writers itself, but a deferred transaction that reads then writes can fail
with "database is locked"; writes therefore take an in-process lock and ``BEGIN IMMEDIATE``,
so a read-modify-write (demand, seats) is atomic. PostgreSQL uses row locks (``FOR UPDATE``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import Engine, make_url

MIGRATIONS = Path(__file__).parent / "migrations"
# What ``Database.read()`` and ``write()`` yield: the handle use cases pass to the repositories
# (so the layers above the store name it without importing SQLAlchemy).
Transaction = Connection


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs; create SQLite's folder."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path | None:
    """The SQLite file a URL names, made absolute (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def describe_url(url: str) -> str:
    """A URL as an operator should see it: the SQLite file's absolute path, no password."""
    found = sqlite_path(url)
    return str(found) if found is not None else make_url(url).render_as_string(hide_password=True)


class Database:
    """Engine plus transaction helpers; ``write()`` is the only way to change data."""

    def __init__(
        self, url: str, *, pool_size: int = 10, max_overflow: int = 5, pool_timeout: float = 10.0
    ) -> None:
        """``pool_size`` connections are kept open, up to ``max_overflow`` more are opened under
        load, and a request that finds all of them busy waits ``pool_timeout`` seconds, then
        fails with SQLAlchemy's ``TimeoutError`` (``faults``: 503 DATABASE_BUSY). Every process
        has its own pool, so the sum over a deployment's processes must stay below the server's
        ``max_connections`` (docs/service.md, Operations)."""
        self.url = normalize_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = threading.Lock()
        pool: dict[str, Any] = {
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            "pool_timeout": pool_timeout,
        }
        if self.is_sqlite:
            in_memory = make_url(self.url).database in (None, "", ":memory:")
            self.engine: Engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 30},
                **({} if in_memory else pool),  # an in-memory database has one shared connection
            )
            _sqlite_setup(self.engine)
        else:
            # Pre-ping: a pooled connection the server dropped (restart, pg_terminate_backend, an
            # idle timeout) is replaced on checkout instead of failing the request that drew it;
            # one cheap round trip per checkout buys that.
            self.engine = create_engine(self.url, pool_recycle=1800, pool_pre_ping=True, **pool)

    @property
    def conninfo(self) -> str:
        """libpq connection string (no SQLAlchemy driver suffix), for psycopg used directly."""
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite database file (None for PostgreSQL or an in-memory database)."""
        database = make_url(self.url).database
        return Path(database) if self.is_sqlite and database not in (None, "", ":memory:") else None

    @property
    def dialect(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any exception."""
        if not self.is_sqlite:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.connect() as raw:
            conn = raw.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def migrate(self) -> None:
        """``alembic upgrade head``, serialised across processes on PostgreSQL."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as conn:
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(7318201)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_setup(engine: Engine) -> None:
    """WAL for concurrent readers, a busy timeout for other processes, and explicit BEGINs."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def ping(conn: Connection) -> None:
    """A round trip to the database (readiness checks)."""
    conn.execute(text("SELECT 1"))


def install_schema_once(db: Database, marker_table: str, schema_sql: str) -> None:
    """Run a third party's schema script (PostgreSQL) unless ``marker_table`` exists already;
    serialised across processes by an advisory lock."""
    with db.engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(7318202)"))
        exists = conn.execute(text("SELECT to_regclass(:name)"), {"name": marker_table}).scalar()
        if exists is None:
            # Straight to psycopg: with no parameters it does not parse the '%' in the schema text.
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute(schema_sql)
