"""`flok serve` checks its port before anything else: a taken port is said plainly, first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from flok.cli.app import EXIT_UNAVAILABLE
from flok.service.local import flok_subprocess, free_port, wait_healthy
from tests.service.conftest import Api, _admin_connect
from tests.service.helpers import LIMIT, OPPS, REGS, campaign, wait_for


def flok(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`flok ...` in its own process, so a service that starts anyway cannot hang the test run."""
    return subprocess.run(
        [sys.executable, "-m", "flok.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process listens on (as a running `flok serve` would)."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def test_a_taken_port_is_reported_before_the_service_address(taken_port: int, tmp_path: Path) -> None:
    db = tmp_path / "flok.db"
    url = f"sqlite:///{db}"
    answer = flok("serve", "--port", str(taken_port), "--database-url", url, "--demo-org", "demo")
    assert answer.returncode == 2, answer.stderr
    assert f"port {taken_port} on 127.0.0.1 is already in use" in answer.stderr
    assert "--port" in answer.stderr
    assert "Flok service on" not in answer.stdout and "API key" not in answer.stdout
    assert not db.exists()  # nothing created for a service that cannot start


def test_flok_port_variable_is_honoured(taken_port: int, tmp_path: Path) -> None:
    answer = flok("serve", "--database-url", f"sqlite:///{tmp_path / 'flok.db'}", FLOK_PORT=str(taken_port))
    assert answer.returncode == 2 and f"port {taken_port} on 127.0.0.1" in answer.stderr


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_second_serve_on_one_sqlite_file_refuses_and_leaves_the_first_ones_run_alone(
    tmp_path: Path,
) -> None:
    db = tmp_path / "flok.db"
    url = f"sqlite:///{db}"
    made = flok("keys", "create", "--org", "acme", "--database-url", url)
    assert made.returncode == 0, made.stderr
    port = free_port()
    with flok_subprocess(
        "serve", "--port", str(port), "--database-url", url, env={"FLOK_RUN_DELAY_SECONDS": "600"}
    ):
        wait_healthy(f"http://127.0.0.1:{port}", LIMIT)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=LIMIT) as client:
            api = Api(client, made.stdout.strip(), None)  # type: ignore[arg-type]
            cid = campaign(api, OPPS, REGS)
            run_id = api.post(f"/campaigns/{cid}/allocate").json()["run_id"]
            status = lambda: api.get(f"/runs/{run_id}").json()["status"]  # noqa: E731
            wait_for(lambda: status() == "running", "the first server to start its run")

            err = tmp_path / "second.err"
            with err.open("w") as sink:
                second = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "flok.cli.main",
                        "serve",
                        "--port",
                        str(free_port()),
                        "--database-url",
                        url,
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=sink,
                )
                try:
                    # Before the lock, the second server started and failed the first one's run.
                    wait_for(lambda: second.poll() is not None or status() != "running", "the second server")
                finally:
                    if second.poll() is None:
                        second.kill()
                    second.wait(LIMIT)
            assert status() == "running"
            assert second.returncode == 2
            line = _one_line(err.read_text())
            assert line.startswith("flok: error: another flok serve (pid ") and str(db) in line, line
            assert api.get("/healthz").status_code == 200  # the first one serves on


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_command_whose_database_is_down_exits_6_with_one_line_naming_it(command: str) -> None:
    closed = free_port()  # nothing listens there: the database server is down
    url = f"postgresql://flok:s3cret@127.0.0.1:{closed}/flok"
    port = ["--port", str(free_port())] if command == "serve" else []
    answer = flok(command, *port, "--database-url", url)
    assert answer.returncode == EXIT_UNAVAILABLE, answer.stderr
    line = _one_line(answer.stderr)
    assert line.startswith(
        "flok: database unavailable: cannot use the database postgresql://flok:***@127.0.0.1:"
    )
    assert f":{closed}/flok" in line and "unreachable" in line and "s3cret" not in line, line
    assert "Flok service on" not in answer.stdout


@pytest.mark.postgres
def test_serve_exits_6_when_its_postgresql_database_refuses_connections(pg_url: str) -> None:
    admin, user = _admin_connect()
    name = f"flok_down_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')  # as while it restarts
        try:
            url = str(make_url(pg_url).set(database=name))
            answer = flok("serve", "--port", str(free_port()), "--database-url", url)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert answer.returncode == EXIT_UNAVAILABLE, answer.stderr
    line = _one_line(answer.stderr)
    assert f"cannot use the database postgresql://{user}@" in line and name in line, line


def test_serve_on_a_sqlite_folder_it_cannot_write_exits_6_with_one_line() -> None:
    """/proc refuses new folders even to root (chmod would not stop root)."""
    url = "sqlite:////proc/flok-cannot-write/flok.db"
    answer = flok("serve", "--port", str(free_port()), "--database-url", url)
    assert answer.returncode == EXIT_UNAVAILABLE, answer.stderr
    line = _one_line(answer.stderr)
    assert "cannot use the database /proc/flok-cannot-write/flok.db" in line and "lock file" in line, line
