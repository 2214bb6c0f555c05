"""The directly-follows graph per process: how often each activity follows another, and how long it waits.

`build_dfg` materialises `marts.dfg` (one row per process x transition: transitions, distinct
cases, mean / median / p90 / total / min / max waiting seconds) and `marts.dfg_endpoints`
(start and end activities with their case counts) from `marts.event_sequence`. Counts equal
`pm4py.discover_dfg` and the waiting statistics `pm4py.discover_performance_dfg` on the same log.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from mining.engine import query, run_sql
from mining.filters import Filters


def build_dfg(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build marts.dfg and marts.dfg_endpoints (and the variants they count cases with); needs
    marts.event_sequence."""
    for name in ("case_variants", "variants", "dfg"):
        run_sql(con, name)
    run_sql(con, "dfg_endpoints")


def dfg(con: duckdb.DuckDBPyConnection, *, process: str, filters: Filters | None = None) -> pa.Table:
    """The transitions of one process, most frequent first (over the cases `filters` keeps)."""
    return query(con, "dfg", Filters.of(process, filters)).drop_columns(["process"])


def endpoints(con: duckdb.DuckDBPyConnection, *, process: str, endpoint: str,
              filters: Filters | None = None) -> dict[str, int]:
    """Start (`endpoint='start'`) or end activities of one process: activity -> number of cases."""
    rows = query(con, "dfg_endpoints", Filters.of(process, filters)).to_pylist()
    return {r["activity"]: r["n_cases"] for r in rows if r["endpoint"] == endpoint}

