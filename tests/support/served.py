"""A `vaerdistrom dashboard` process in a test: a free port, and waiting until the server answers its health check."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    """Return once /_stcore/health answers "ok"; fail when the server dies or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                assert r.read() == b"ok"
                return
        except OSError:
            output = proc.stdout.read().decode() if proc.poll() is not None and proc.stdout else ""
            assert proc.poll() is None and time.monotonic() < deadline, (
                f"the dashboard did not answer in {seconds:g} s {output}"
            )
            time.sleep(0.5)
