"""`make run` installs only what the service needs; `make test` the development tools too; the
port comes from PORT or FLOK_PORT. Checked with `make -n` (prints the commands, runs nothing)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(target: str, tmp_path: Path, **env: str) -> str:
    """The commands `make TARGET` would run with a venv that does not exist yet (a fresh clone)."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "FLOK_PORT", "MAKEFLAGS")}
    done = subprocess.run(
        ["make", "-n", target, f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_make_run_installs_only_the_runtime(tmp_path: Path) -> None:
    commands = dry_run("run", tmp_path)
    installs = [line for line in commands.splitlines() if "pip install" in line]
    assert installs and all("[dev" not in line and "bench" not in line for line in installs), installs
    assert "flok serve --host 127.0.0.1 --port 8000" in commands


def test_make_test_installs_the_development_tools(tmp_path: Path) -> None:
    commands = dry_run("test", tmp_path)
    assert any("pip install" in line and ".[dev,bench]" in line for line in commands.splitlines())


def test_make_run_takes_port_or_flok_port(tmp_path: Path) -> None:
    assert "--port 8123" in dry_run("run", tmp_path, PORT="8123")
    assert "--port 8124" in dry_run("run", tmp_path, FLOK_PORT="8124")
