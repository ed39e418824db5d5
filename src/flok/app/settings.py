"""Service settings, read from ``FLOK_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLOK_", extra="ignore")

    database_url: str = "sqlite:///var/flok.db"
    max_body_bytes: int = 10 * 1024 * 1024
    # Rows one upload may hold (413 TOO_MANY_ROWS above it): what an upload costs in memory and
    # in one transaction follows its rows, and a 10 MB body can hold a million short ones.
    max_upload_rows: Annotated[int, Field(gt=0)] = 1_000_000
    # "auto": in-process threads on SQLite, procrastinate (flok worker) on PostgreSQL.
    queue: Literal["auto", "thread", "procrastinate"] = "auto"
    run_threads: int = 2
    # Runs one organization may have running at once (both queues). Unset: every run slot but
    # one (at least one), so another organization's run never waits behind one tenant's long
    # runs; a slot freed goes to the organization with the fewest runs running (docs/service.md).
    max_runs_per_org: Annotated[int | None, Field(ge=1)] = None
    key_cache_seconds: float = 30.0
    # Pause before a run starts working; lets tests and demos cancel or kill a run mid-flight.
    run_delay_seconds: float = 0.0
    # Workers (at start, then every sweep_seconds) fail runs whose heartbeat (every 15 s)
    # has been silent this long.
    stale_run_seconds: float = 120.0
    # How often (seconds, 1–59) a free worker sweeps for runs of dead workers.
    sweep_seconds: int = 30
    migrate: bool = True
    # Database connections of each process (every `flok serve` process, every `flok worker`):
    # this many kept open, up to db_max_overflow more under load; a request that finds them
    # all busy waits db_pool_timeout seconds, then answers 503 DATABASE_BUSY (Retry-After).
    # The sum over all processes must stay below PostgreSQL's max_connections (docs/service.md).
    db_pool_size: Annotated[int, Field(ge=1)] = 10
    db_max_overflow: Annotated[int, Field(ge=0)] = 5
    db_pool_timeout: Annotated[float, Field(gt=0)] = 10.0
    # Longest solver time limit (seconds) a campaign's options may ask for: a run holds a
    # worker slot that long, so an unbounded one (1e308 was accepted) starves everyone else.
    max_time_limit: Annotated[float, Field(gt=0)] = 600.0
    # How far ahead of the server's clock a feedback event's ``at`` may be (seconds):
    # room for clients' clock skew, while an event stamped in the far future is refused.
    feedback_clock_skew_seconds: Annotated[float, Field(ge=0)] = 300.0
    # Sign-up closes this many hours before an opportunity starts: feeds, rebalance and
    # trending offer only opportunities starting later (flok.pulse.joinable).
    signup_lead_hours: Annotated[float, Field(ge=0, le=24 * 365)] = 1.0
    # Periodic rebalance (docs/service.md "Periodic rebalance"): each organization turns its
    # schedule on with an interval (this one unless it names another); every process that
    # executes runs looks for due schedules every schedule_tick_seconds (a thread next to the
    # in-process queue; a periodic task, whole seconds 1-59, in each `flok worker`).
    rebalance_interval_minutes: Annotated[int, Field(ge=1, le=30 * 24 * 60)] = 60
    schedule_tick_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    # The service is reached over HTTPS (e.g. behind a TLS-terminating proxy): cookies are
    # Secure and every answer carries Strict-Transport-Security.
    https: bool = False

    @classmethod
    def load(cls, database_url: str | None = None) -> Settings:
        """Settings from the environment, with a command-line database URL taking precedence."""
        settings = cls()
        return settings.model_copy(update={"database_url": database_url}) if database_url else settings

    def pool_options(self) -> dict[str, Any]:
        """The keyword arguments ``flok.store.db.Database`` takes for its connection pool."""
        return {
            "pool_size": self.db_pool_size,
            "max_overflow": self.db_max_overflow,
            "pool_timeout": self.db_pool_timeout,
        }

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def queue_kind(self) -> Literal["thread", "procrastinate"]:
        if self.queue != "auto":
            return self.queue
        return "thread" if self.is_sqlite else "procrastinate"
