"""Fixtures for the dashboard tests: the app on a fresh SQLite file with the demo organization."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from flok.app.settings import Settings
from flok.server import create_app, seed_demo
from flok.store.db import Database

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "flok" / "app" / "sample"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seeded(tmp_path: Path) -> tuple[str, str]:
    """(database URL, demo key) of a fresh SQLite file, as ``make run`` prepares it."""
    url = f"sqlite:///{tmp_path / 'flok.db'}"
    db = Database(url)
    db.migrate()
    key = seed_demo(db, "demo")
    db.dispose()
    assert key is not None
    return url, key


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


@dataclass
class Web:
    client: TestClient
    key: str
    db: Database

    def sign_in(self, key: str | None = None) -> str:
        """Sign in; returns the session's CSRF token."""
        token = csrf_of(self.client.get("/ui/login").text)
        answer = self.client.post(
            "/ui/login", data={"api_key": key or self.key, "csrf_token": token}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        return csrf_of(self.client.get("/ui/campaigns").text)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    url, key = seeded(tmp_path)
    app = create_app(Settings(database_url=url))
    with TestClient(app) as client:
        yield Web(client, key, app.state.flok.db)
    app.state.flok.db.dispose()
