"""The directly-follows graph per process: how often each activity follows another, and how long it waits.

`build_dfg` materialises `marts.dfg` (one row per process x transition: transitions, distinct
cases, mean / median / p90 / total / min / max waiting seconds) and `marts.dfg_endpoints`
(start and end activities with their case counts) from `marts.event_sequence`. Counts equal
`pm4py.discover_dfg` and the waiting statistics `pm4py.discover_performance_dfg` on the same log.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from mining.sequence import run_sql


def build_dfg(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build marts.dfg and marts.dfg_endpoints; needs marts.event_sequence."""
    run_sql(con, "dfg.sql")
    run_sql(con, "dfg_endpoints.sql")


def dfg(con: duckdb.DuckDBPyConnection, *, process: str) -> pa.Table:
    """The transitions of one process, most frequent first."""
    return con.sql("select * exclude (process) from marts.dfg where process = $process",
                   params={"process": process}).to_arrow_table()


def endpoints(con: duckdb.DuckDBPyConnection, *, process: str, endpoint: str) -> dict[str, int]:
    """Start (`endpoint='start'`) or end activities of one process: activity -> number of cases."""
    rows = con.execute("select activity, n_cases from marts.dfg_endpoints where process = ? and endpoint = ?",
                       [process, endpoint]).fetchall()
    return dict(rows)
