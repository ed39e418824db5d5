"""`flok keys create | list | revoke`: keys shown once, listed by prefix only, revoked for good."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flok.app.keys import open_database
from flok.cli.main import app
from flok.store import keys as store_keys
from flok.store.db import Database
from tests.service.conftest import Api, in_process

runner = CliRunner()


def test_create_list_and_revoke_a_key(sqlite_url: str) -> None:
    made = runner.invoke(app, ["keys", "create", "--org", "acme", "--database-url", sqlite_url])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    prefix = key.split("_")[1]
    other = runner.invoke(app, ["keys", "create", "--org", "zenith", "--database-url", sqlite_url])
    assert other.exit_code == 0, other.output

    listed = runner.invoke(app, ["keys", "list", "--org", "acme", "--database-url", sqlite_url])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[1].split()[:2] == [prefix, "acme"] and lines[1].endswith("active")
    assert key.split("_", 2)[2] not in listed.output  # the secret (which may hold "_") is never shown again
    everyone = runner.invoke(app, ["keys", "list", "--database-url", sqlite_url]).output
    assert "zenith" in everyone and "acme" in everyone

    with in_process(sqlite_url, key_cache_seconds=0) as api:
        acme = Api(api.client, key, api.db)
        assert acme.get("/campaigns").status_code == 200
        revoked = runner.invoke(app, ["keys", "revoke", prefix, "--database-url", sqlite_url])
        assert revoked.exit_code == 0, revoked.output
        refused = acme.get("/campaigns")
        assert refused.status_code == 401 and refused.json()["code"] == "UNAUTHORIZED"
        assert api.get("/campaigns").status_code == 200  # other keys keep working

    listed = runner.invoke(app, ["keys", "list", "--org", "acme", "--database-url", sqlite_url])
    assert listed.stdout.strip().splitlines()[1].endswith("revoked")
    unknown = runner.invoke(app, ["keys", "revoke", "nope", "--database-url", sqlite_url])
    assert unknown.exit_code == 2 and "no key with prefix 'nope'" in unknown.output


def test_keys_outside_the_project_refuse_to_make_a_second_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default database is var/flok.db in the current folder: run elsewhere, `flok keys`
    says which file it looked for instead of creating an empty one the service never reads."""
    monkeypatch.delenv("FLOK_DATABASE_URL", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for args in (["keys", "create", "--org", "acme"], ["keys", "list"], ["keys", "revoke", "abc"]):
        refused = runner.invoke(app, args)
        assert refused.exit_code == 2, refused.output
        assert f"no Flok database at {elsewhere / 'var' / 'flok.db'}" in refused.stderr
        assert "--database-url" in refused.stderr
    assert list(elsewhere.iterdir()) == []  # no var/ folder, no empty database


def test_keys_use_the_database_flok_serve_made_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOK_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    served = open_database("sqlite:///var/flok.db")  # what `flok serve` (make run) does at start
    served.dispose()
    made = runner.invoke(app, ["keys", "create", "--org", "acme"])
    assert made.exit_code == 0, made.output
    assert f"database: {tmp_path / 'var' / 'flok.db'}" in made.stderr
    db = Database(f"sqlite:///{tmp_path / 'var' / 'flok.db'}")
    with db.read() as conn:
        assert store_keys.org_for_key(conn, made.stdout.strip()) is not None
    db.dispose()
    # Named on purpose (flag or FLOK_DATABASE_URL), a new database is created as asked.
    monkeypatch.setenv("FLOK_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    assert runner.invoke(app, ["keys", "create", "--org", "acme"]).exit_code == 0
    assert (tmp_path / "other.db").exists()


def test_flok_version() -> None:
    import flok

    answer = runner.invoke(app, ["--version"])
    assert answer.exit_code == 0 and answer.stdout.strip() == f"flok {flok.__version__}"
