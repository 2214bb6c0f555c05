"""The events of every case sorted once, each with the event that follows it (`marts.event_sequence`).

Every mart that walks a case (directly-follows graph, variants, rework, waiting) reads this
table instead of sorting the events again.
"""

from __future__ import annotations

import duckdb

from mining.engine import run_sql


def build_event_sequence(con: duckdb.DuckDBPyConnection) -> int:
    """(Re)build marts.event_sequence from staging.events; returns its number of rows."""
    run_sql(con, "event_sequence")
    return con.execute("select count(*) from marts.event_sequence").fetchall()[0][0]
