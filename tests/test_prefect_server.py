"""The temporary Prefect server of `vaerdistrom run` dies with the run, however it ends: a run SIGKILLed takes its
server with it (the kernel's parent-death signal), and a server left behind all the same is reaped by the next
start (its record under PREFECT_HOME)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.configs import csv_source, write_config

from flows.prefect_server import RECORDS, is_prefect_server, reap, started_at

APP = "prefect.server.api.server:create_app"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # a temporary server, not a real one
    return {**env, "VAERDISTROM_PSEUDONYM_KEY": "9a" * 32, "PREFECT_HOME": str(home), **extra}


def _municipality(folder: Path) -> None:
    folder.mkdir()
    (folder / "b.csv").write_text(
        "case,activity,timestamp\nB1,Modtaget,2025-01-06 10:00\nB1,Afgjort,2025-01-07 10:00\n", encoding="utf-8"
    )
    write_config(folder, csv_source("other", "b.csv"))


ORPHANING_CLI = str(Path(__file__).resolve().parent / "support" / "orphaning_cli.py")


def _run(folder: Path, env: dict[str, str], cli: list[str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *(cli or ["-m", "flows.cli"]), "run"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _server_of(cli: subprocess.Popen, wait_seconds: float = 180) -> tuple[int, int]:
    """The pid and start time of the run's Prefect server, once it runs (polled; the run must not end first)."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        assert cli.poll() is None, "the run ended before its server was seen"
        for pid in _children(cli.pid):
            if is_prefect_server(pid) and (started := started_at(pid)) is not None:
                return pid, started
        time.sleep(0.2)
    raise AssertionError("no Prefect server started under the run")


def _gone(pid: int, started: int, wait_seconds: float = 60) -> bool:
    """Whether the process is gone (or a zombie) within `wait_seconds` (polled)."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if started_at(pid) != started:
            return True
        time.sleep(0.2)
    return False


def _kill(cli: subprocess.Popen) -> None:
    cli.send_signal(signal.SIGKILL)
    cli.wait()


def _stray(server: tuple[int, int] | None) -> None:
    """Stop the server a failing test would leave running (that very process: same pid, same start)."""
    if server and started_at(server[0]) == server[1]:
        os.kill(server[0], signal.SIGKILL)


@pytest.mark.slow
def test_a_run_killed_with_sigkill_takes_its_prefect_server_with_it(tmp_path):
    _municipality(tmp_path / "m")
    cli, found = _run(tmp_path / "m", _env(tmp_path / "home")), None
    try:
        found = server, started = _server_of(cli)
        assert [p.name for p in (tmp_path / "home" / RECORDS).iterdir()] == [f"{server}.json"]
        _kill(cli)
        assert _gone(server, started), "the server outlived the run it belonged to"
    finally:
        if cli.poll() is None:
            _kill(cli)
        _stray(found)


@pytest.mark.slow
def test_a_server_left_by_a_killed_run_is_reaped_by_the_next_run(tmp_path):
    _municipality(tmp_path / "m")
    # a server the kernel was not asked to kill (as on another OS): the run's SIGKILL leaves it running
    cli, found = _run(tmp_path / "m", _env(tmp_path / "home"), [ORPHANING_CLI]), None
    try:
        found = server, started = _server_of(cli)
        _kill(cli)
        assert started_at(server) == started and is_prefect_server(server)  # an orphan, still serving
        again = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run"],
            cwd=tmp_path / "m",
            env=_env(tmp_path / "home"),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert again.returncode == 0, again.stderr
        assert started_at(server) != started  # reaped by the next start
        assert list((tmp_path / "home" / RECORDS).iterdir()) == []  # and the next run's own server stopped at exit
    finally:
        if cli.poll() is None:
            _kill(cli)
        _stray(found)


def _record(folder: Path, pid: int, parent: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{pid}.json"
    path.write_text(
        json.dumps(
            {"pid": pid, "started": started_at(pid), "parent": parent, "parent_started": started_at(parent) or 1}
        ),
        encoding="utf-8",
    )
    return path


def test_the_reaper_stops_only_a_prefect_server_whose_parent_is_gone(tmp_path):
    records = tmp_path / RECORDS
    like_a_server = [sys.executable, "-c", "import time; time.sleep(300)", "-m", "uvicorn", "--factory", APP]
    dead_parent = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_parent.wait()
    orphan = subprocess.Popen(like_a_server)
    adopted = subprocess.Popen(like_a_server)  # its parent (this test) runs
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])  # not a Prefect server
    try:
        _record(records, orphan.pid, dead_parent.pid)
        kept = _record(records, adopted.pid, os.getpid())
        _record(records, other.pid, dead_parent.pid)
        (records / "1234567.json").write_text('{"pid": 1234567, "started": 5, "parent": 1, "parent_started": 1}')
        (records / "garbled.json").write_text("{")
        assert reap(records) == [orphan.pid]
        assert orphan.wait(timeout=30) == -signal.SIGTERM
        assert adopted.poll() is None and other.poll() is None
        assert sorted(records.iterdir()) == [kept]  # the records of what is gone, or not ours, are forgotten
    finally:
        for p in (orphan, adopted, other):
            p.kill()
            p.wait()
