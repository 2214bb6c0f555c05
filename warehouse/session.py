"""Opening the warehouse's DuckDB files to read them: the warehouse itself, or the snapshot readers use.

Every session works in UTC (`SESSION`), whatever the machine's zone. DuckDB lets one process
write a file at a time: a file another process holds is one clear error naming who holds it
(`WarehouseBusy`), for readers here and for the writer's `migrations.connect` alike. Dashboards
and reports open the published snapshot only (`open_snapshot`), never the live warehouse.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from vaerdistrom.errors import VaerdistromError

SNAPSHOT = "vaerdistrom.duckdb"
# Every connection works in UTC, whatever the machine's zone: the SQL converts to a process's local time where a day
# or month is meant (`timezone(...)`), and DuckDB hands UTC timestamps to Python without loading pytz's zone list.
# (set once connected: ICU, which the setting needs, is linked in but loads on first use)
SESSION = "set TimeZone = 'UTC'"


class WarehouseBusy(VaerdistromError, RuntimeError):
    """Another process has the warehouse open for writing (DuckDB allows one writer)."""


def busy_message(path: Path) -> str:
    """Who holds the warehouse, in one line: the nightly run (its lock file says since when, and its pid) or
    another process."""
    lock = path.with_name(path.name + ".lock")
    holder = lock.read_text(errors="replace").strip() if lock.exists() else ""
    who = f"a vaerdistrom run holds {path} ({holder})" if holder else f"another process holds {path}"
    return f"{who}: wait for it to finish, or stop it first"


def read_only(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse or a snapshot at `path`, in UTC like the warehouse's."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as e:
        if "lock" not in str(e).lower():
            raise
        raise WarehouseBusy(busy_message(Path(path))) from None
    con.execute(SESSION)
    return con


def snapshot_path(published: Path) -> Path:
    """The file readers open in the folder `published`."""
    return published / SNAPSHOT


def open_snapshot(published: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot (a new one per reader: it sees the file current now)."""
    path = snapshot_path(published)
    if not path.exists():
        raise FileNotFoundError(f"nothing published at {path} yet: run `vaerdistrom run`")
    return read_only(path)
