"""The events of every case sorted once, each with the event that follows it (`marts.event_sequence`).

Every mart that walks a case (directly-follows graph, variants, rework, waiting) reads this
table instead of sorting the events again.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SQL = Path(__file__).with_name("sql")


def run_sql(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run one of mining/sql/*.sql."""
    con.execute((SQL / name).read_text(encoding="utf-8")).fetchall()


def build_event_sequence(con: duckdb.DuckDBPyConnection) -> int:
    """(Re)build marts.event_sequence from staging.events; returns its number of rows."""
    run_sql(con, "event_sequence.sql")
    return con.execute("select count(*) from marts.event_sequence").fetchall()[0][0]
