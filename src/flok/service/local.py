"""Run Flok processes on this machine: a free port, a ``flok`` subprocess, waiting until healthy.

Shared by the load benchmark and the tests that start real servers and workers.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def flok_subprocess(*args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """``flok ARGS`` (serve, worker, …) with this Python, stopped (terminate, then kill) at the end."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "flok.cli.main", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,  # never a pipe: an unread pipe would block a chatty server
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_healthy(base_url: str, timeout: float = 60.0) -> None:
    """Poll ``GET /healthz`` until it answers 200; RuntimeError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the service at {base_url} did not become healthy within {timeout:g} s")
