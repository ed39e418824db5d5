"""Dashboard sessions signed by one server process are valid in every other one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from flok.app.settings import Settings
from flok.server import create_app
from flok.store import keys
from flok.store.db import Database
from flok.store.secrets import shared_secret
from tests.service.conftest import pg_url  # noqa: F401  (fixture)
from tests.web.conftest import Web


def test_a_session_from_one_process_works_in_another_on_postgres(
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FLOK_SESSION_SECRET", raising=False)
    db = Database(pg_url)
    db.migrate()
    with db.write() as conn:
        key = keys.create_key(conn, keys.ensure_org(conn, "sessions"))
    first, second = (create_app(Settings(database_url=pg_url)) for _ in range(2))
    with TestClient(first) as a, TestClient(second) as b:
        Web(a, key, db).sign_in()
        b.cookies.update(a.cookies)
        page = b.get("/ui/campaigns", follow_redirects=False)
        assert page.status_code == 200 and "Sign in" not in page.text  # not sent back to the login
        fresh = TestClient(second).get("/ui/campaigns", follow_redirects=False)
        assert fresh.status_code == 303  # without the cookie: the login page
    db.dispose()


def test_the_shared_secret_is_created_once(pg_url: str) -> None:  # noqa: F811
    db = Database(pg_url)
    db.migrate()
    with db.write() as conn:
        one = shared_secret(conn, "test-secret")
    with db.write() as conn:
        assert shared_secret(conn, "test-secret") == one and len(one) >= 48
        assert shared_secret(conn, "another") != one
    db.dispose()
