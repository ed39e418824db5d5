"""`flok serve` checks its port before anything else: a taken port is said plainly, first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


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
