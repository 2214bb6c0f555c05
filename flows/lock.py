"""One run at a time per warehouse: an exclusive lock on `<warehouse>.lock`, released by the kernel when the
process ends, however it ends (a killed run never leaves a stale lock behind)."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vaerdistrom.errors import VaerdistromError


class RunLocked(VaerdistromError, RuntimeError):
    """Another run holds the warehouse."""


@contextmanager
def run_lock(warehouse: Path) -> Iterator[Path]:
    """Hold the warehouse's run lock for the block; RunLocked, naming the holder, when another run has it."""
    path = warehouse.with_name(warehouse.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
            raise RunLocked(
                f"another vaerdistrom run holds {warehouse} ({holder}); wait for it to finish, or stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {dt.datetime.now().astimezone():%Y-%m-%d %H:%M:%S %Z}".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
