"""Persistence: SQLAlchemy 2 Core tables, small repositories and Alembic migrations."""

from flok.store.db import Database

__all__ = ["Database"]
