"""Rework per process and activity: done again in the same case, by the same resource (repeat) or another (redo).

`build_rework` materialises `marts.rework` (one row per process x activity) from
`marts.activity_instances`: cases with the activity, cases and events with rework, repeats,
redos, self-loops and loops back. Rework counts activity instances (a start and its complete are
one instance). In a log of one event per instance (complete events only) the cases with rework equal
`pm4py.get_rework_cases_per_activity`, which counts events by activity name; in a log with start and
complete events pm4py counts every started-and-completed activity as done twice, and the two differ.
The time and cost rework adds come with the value stream (process times and rates).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from mining.engine import query, run_sql
from mining.filters import Filters


def build_rework(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build marts.activity_instances and marts.rework; needs marts.event_sequence."""
    run_sql(con, "activity_instances")
    run_sql(con, "rework")


def rework(con: duckdb.DuckDBPyConnection, *, process: str, filters: Filters | None = None) -> pa.Table:
    """Rework per activity of one process, most reworked first (over the cases `filters` keeps)."""
    return query(con, "rework", Filters.of(process, filters)).drop_columns(["process"])
