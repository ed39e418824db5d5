"""`flok keys create | list | revoke`: keys shown once, listed by prefix only, revoked for good."""

from __future__ import annotations

from typer.testing import CliRunner

from flok.cli.main import app
from tests.service.conftest import Api, in_process

runner = CliRunner()


def test_create_list_and_revoke_a_key(sqlite_url: str) -> None:
    made = runner.invoke(app, ["keys", "create", "--org", "acme", "--database-url", sqlite_url])
    assert made.exit_code == 0, made.output
    key = made.output.strip()
    prefix = key.split("_")[1]
    other = runner.invoke(app, ["keys", "create", "--org", "zenith", "--database-url", sqlite_url])
    assert other.exit_code == 0, other.output

    listed = runner.invoke(app, ["keys", "list", "--org", "acme", "--database-url", sqlite_url])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
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
    assert listed.output.strip().splitlines()[1].endswith("revoked")
    unknown = runner.invoke(app, ["keys", "revoke", "nope", "--database-url", sqlite_url])
    assert unknown.exit_code == 2 and "no key with prefix 'nope'" in unknown.output
