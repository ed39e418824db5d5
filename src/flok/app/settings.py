"""Service settings, read from ``FLOK_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLOK_", extra="ignore")

    database_url: str = "sqlite:///var/flok.db"
    max_body_bytes: int = 10 * 1024 * 1024
    # "auto": in-process threads on SQLite, procrastinate (flok worker) on PostgreSQL.
    queue: Literal["auto", "thread", "procrastinate"] = "auto"
    run_threads: int = 2
    key_cache_seconds: float = 30.0
    # Pause before a run starts working; lets tests and demos cancel or kill a run mid-flight.
    run_delay_seconds: float = 0.0
    # Workers (at start, then every sweep_seconds) fail runs whose heartbeat (every 15 s)
    # has been silent this long.
    stale_run_seconds: float = 120.0
    # How often (seconds, 1–59) a free worker sweeps for runs of dead workers.
    sweep_seconds: int = 30
    migrate: bool = True
    # Longest solver time limit (seconds) a campaign's options may ask for: a run holds a
    # worker slot that long, so an unbounded one (1e308 was accepted) starves everyone else.
    max_time_limit: Annotated[float, Field(gt=0)] = 600.0
    # How far ahead of the server's clock a feedback event's ``at`` may be (seconds):
    # room for clients' clock skew, while an event stamped in the far future is refused.
    feedback_clock_skew_seconds: Annotated[float, Field(ge=0)] = 300.0
    # Sign-up closes this many hours before an opportunity starts: feeds, rebalance and
    # trending offer only opportunities starting later (flok.pulse.joinable).
    signup_lead_hours: Annotated[float, Field(ge=0, le=24 * 365)] = 1.0
    # The service is reached over HTTPS (e.g. behind a TLS-terminating proxy): cookies are
    # Secure and every answer carries Strict-Transport-Security.
    https: bool = False

    @classmethod
    def load(cls, database_url: str | None = None) -> Settings:
        """Settings from the environment, with a command-line database URL taking precedence."""
        settings = cls()
        return settings.model_copy(update={"database_url": database_url}) if database_url else settings

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def queue_kind(self) -> Literal["thread", "procrastinate"]:
        if self.queue != "auto":
            return self.queue
        return "thread" if self.is_sqlite else "procrastinate"
