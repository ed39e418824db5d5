"""Dashboard sessions signed by one server process are valid in every other one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from flok.app.settings import Settings
from flok.server import create_app
from flok.store import keys
from flok.store.db import Database
from flok.store.secrets import shared_secret
from tests.service.conftest import db_url, pg_url  # noqa: F401  (fixtures)
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


def _signed_in_client(url: str) -> tuple[TestClient, Web]:
    db = Database(url)
    db.migrate()
    with db.write() as conn:
        key = keys.create_key(conn, keys.ensure_org(conn, "sign-out"))
    client = TestClient(create_app(Settings(database_url=url)))
    return client, Web(client, key, db)


def test_a_cookie_copied_before_sign_out_stops_working(db_url: str) -> None:  # noqa: F811
    client, web = _signed_in_client(db_url)
    with client, TestClient(client.app) as thief, TestClient(client.app) as other_browser:
        token = web.sign_in()
        Web(other_browser, web.key, web.db).sign_in()  # a second sign-in with the same key
        thief.cookies.update(client.cookies)
        assert thief.get("/ui/campaigns", follow_redirects=False).status_code == 200
        out = client.post("/ui/logout", data={"csrf_token": token}, follow_redirects=False)
        assert out.status_code == 303
        again = thief.get("/ui/campaigns", follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == "/ui/login"
        htmx = thief.get("/ui/runs/1", headers={"hx-request": "true"}, follow_redirects=False)
        assert htmx.status_code == 401
        posted = thief.post("/ui/campaigns", data={"name": "x", "csrf_token": token}, follow_redirects=False)
        assert posted.status_code == 303 and posted.headers["location"] == "/ui/login"
        # Only the session that signed out ends: the other browser stays signed in.
        assert other_browser.get("/ui/campaigns", follow_redirects=False).status_code == 200
    web.db.dispose()


def test_revoking_the_key_ends_its_sessions_at_once(db_url: str) -> None:  # noqa: F811
    from flok.app import keys as key_use_cases

    client, web = _signed_in_client(db_url)
    with client:
        web.sign_in()
        assert client.get("/ui/campaigns", follow_redirects=False).status_code == 200
        key_use_cases.revoke_key(web.db, web.key.split("_")[1])  # what `flok keys revoke` does
        answer = client.get("/ui/campaigns", follow_redirects=False)  # no waiting for a key cache
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/login"
    web.db.dispose()
