"""Prefect's temporary server, tied to the process that starts it: it dies with that process, or the next start
reaps it.

With no PREFECT_API_URL, Prefect 3 starts a temporary server the first time a flow needs
an API (`SubprocessASGIServer`: uvicorn in a child process, about 20 s and 230 MB) and
stops it at exit. A run that is killed (SIGKILL, the OOM killer) never reaches its exit,
and the server ran on, an orphan, for good. Here the server is started before the flow, by
`start_server` from the main thread, through a launcher that asks the kernel to SIGKILL it
when its parent dies (Linux's PR_SET_PDEATHSIG, which fires when the *thread* that forked
it ends: hence the main thread, which lives as long as the process). Each server is also
recorded in PREFECT_HOME/vaerdistrom-servers/<pid>.json, so that the next start reaps one
whose parent is gone (where the kernel could not be asked: another OS, another thread).
Prefect's own code finds the server as the one it would have started (its instance for no
port) and uses it.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

RECORDS = "vaerdistrom-servers"  # the folder under PREFECT_HOME with one record per running server
# a first start migrates a fresh database: on a busy machine that takes longer than Prefect's 20 s, and a night
# had better wait for its server than fail
STARTUP_SECONDS = 120
APP = "prefect.server.api.server:create_app"

# Runs in the server's process before it becomes uvicorn: the kernel kills it when its parent (argv[1]; 0: not
# asked) dies, and a parent already gone by then (it died between the fork and here) ends it at once.
LAUNCHER = """\
import ctypes, os, signal, sys
parent = int(sys.argv[1])
if parent and sys.platform.startswith("linux"):
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        sys.exit(0)
os.execv(sys.argv[2], sys.argv[2:])
"""


def started_at(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot, from /proc), or None when there is no such process (or
    it is a zombie): with its pid, what tells a process from a later one given the same pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state is field 3, starttime field 22
    return None if fields[0] in ("Z", "X") else int(fields[19])


def is_prefect_server(pid: int) -> bool:
    """True when process `pid` runs Prefect's server under uvicorn (by its command line)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"uvicorn" in args and APP.encode() in args


def _alive(pid: int, started: int | None) -> bool:
    return started is not None and started_at(pid) == started


def _stop(pid: int, started: int, wait_seconds: float = 10.0) -> None:
    """SIGTERM, then SIGKILL when it is still there after `wait_seconds`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if not _alive(pid, started):
                return
            time.sleep(0.1)


def reap(folder: Path) -> list[int]:
    """Stop every server recorded in `folder` whose parent is gone (an orphan of a killed run), after checking by
    its start time and command line that it is that server; forget the records of servers that are gone. Returns
    the pids stopped. A server whose parent still runs (another run's) is left alone."""
    stopped = []
    for record in sorted(folder.glob("*.json")):
        try:
            r = json.loads(record.read_text(encoding="utf-8"))
            pid, started, parent, parent_started = r["pid"], r["started"], r["parent"], r["parent_started"]
        except (OSError, ValueError, KeyError, TypeError):
            record.unlink(missing_ok=True)
            continue
        if _alive(pid, started) and is_prefect_server(pid):
            if _alive(parent, parent_started):
                continue
            _stop(pid, started)
            stopped.append(pid)
        record.unlink(missing_ok=True)
    return stopped


def death_parent() -> int:
    """The process whose death the server is tied to: this one, when it starts the server from its main thread (the
    kernel's death signal follows the thread that asked for it); 0, none, from any other thread."""
    return os.getpid() if threading.current_thread() is threading.main_thread() else 0


@functools.cache
def _server_class():
    """A subclass of Prefect's `SubprocessASGIServer` (made when first needed: Prefect is imported late) that starts
    uvicorn through the launcher, records it and forgets it when it stops."""
    import prefect
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    class TiedServer(SubprocessASGIServer):
        records: Path
        output: IO | None = None

        def _run_uvicorn_command(self) -> subprocess.Popen:
            # Prefect's own command (prefect/server/api/server.py, 3.8), behind the launcher
            parent = death_parent()
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(prefect.__module_path__.parent),
                "--factory",
                APP,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ]
            env = {
                **os.environ,
                "PREFECT_UI_ENABLED": "0",
                "PREFECT__SERVER_EPHEMERAL": "1",
                "PREFECT__SERVER_FINAL": "1",
                **get_current_settings().to_environment_variables(exclude_unset=True),
            }
            process = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, str(parent), *command],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self.output,
                stderr=self.output,
            )
            self._forget()
            self.records.mkdir(parents=True, exist_ok=True)
            self.record = self.records / f"{process.pid}.json"
            self.record.write_text(
                json.dumps(
                    {
                        "pid": process.pid,
                        "started": started_at(process.pid),
                        "parent": os.getpid(),
                        "parent_started": started_at(os.getpid()),
                        "url": self.api_url,
                    }
                ),
                encoding="utf-8",
            )
            return process

        def _forget(self) -> None:
            record = getattr(self, "record", None)
            if record is not None:
                record.unlink(missing_ok=True)
                self.record = None

        def stop(self) -> None:
            super().stop()
            self._forget()

    return TiedServer


def start_server(output: IO | None = None) -> str | None:
    """Start Prefect's temporary server for this process now, tied to it, after reaping the orphans of killed runs;
    its output (errors only) goes to `output` (default: this process's). Returns its API URL; None, starting
    nothing, when PREFECT_API_URL names a server."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    if PREFECT_API_URL.value():
        return None
    records = Path(PREFECT_HOME.value()).expanduser() / RECORDS
    reap(records)
    server = SubprocessASGIServer._instances.get(None)
    if server is None or not server.running:
        SubprocessASGIServer._instances.pop(None, None)
        server = _server_class()()  # Prefect's code asks for the instance of no port: this one
        server.records, server.output = records, output
        server.start(timeout=max(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(), STARTUP_SECONDS))
    return server.api_url
