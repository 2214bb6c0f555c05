"""Publishing: what dashboards and reports read, as a separate read-only DuckDB file swapped in by one rename.

The snapshot holds every mart, the KPI history, the runs and the batches. It is written
whole under a temporary name next to the published file, checkpointed and synced, then
`os.replace`d over it: a reader opens either last night's file or tonight's, never a half
one, and a run that dies before the rename leaves last night's in place. Readers never
open the live warehouse, so a nightly run never waits for them nor they for it.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

SNAPSHOT = "vaerdistrom.duckdb"
TABLES = ("meta.kpi_history", "meta.runs", "meta.batches", "meta.deadline_breaches")


def snapshot_path(published: Path) -> Path:
    """The file readers open in the folder `published`."""
    return published / SNAPSHOT


def publish(con: duckdb.DuckDBPyConnection, published: Path, kill_point=lambda name: None) -> Path:
    """Write the warehouse's marts and history to a new snapshot and swap it in; returns the snapshot's path.

    `kill_point` is called between writing and swapping (the crash tests stop the process there).
    """
    published.mkdir(parents=True, exist_ok=True)
    target = snapshot_path(published)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in published.glob(f".{target.name}.*.tmp*"):  # from a run that died while writing
        leftover.unlink()
    marts = [t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'marts' "
                                       "and table_catalog = current_database() order by table_name").fetchall()]
    con.execute(f"attach '{tmp}' as snapshot")
    try:
        con.execute("create schema snapshot.marts")
        con.execute("create schema snapshot.meta")
        for table in [f"marts.{m}" for m in marts] + list(TABLES):
            con.execute(f"create table snapshot.{table} as select * from {table}")
        con.execute("checkpoint snapshot")
    finally:
        con.execute("detach snapshot")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    kill_point("publish:written")
    os.replace(tmp, target)
    directory = os.open(published, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)
    return target


def open_snapshot(published: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot (a new one per reader: it sees the file current now)."""
    path = snapshot_path(published)
    if not path.exists():
        raise FileNotFoundError(f"nothing published at {path} yet: run `vaerdistrom run`")
    return duckdb.connect(str(path), read_only=True)
