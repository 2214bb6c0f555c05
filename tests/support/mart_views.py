"""Marts of one process as tables, built and read through `mining.engine`: the event sequence, the directly-follows
graph with its start and end activities, variants and rework, for the tests that check them on hand-written and
real logs (they equal `pm4py.discover_dfg`, `pm4py.discover_performance_dfg`, `pm4py.get_variants` and
`pm4py.get_rework_cases_per_activity` on the same log)."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from mining.engine import query, run_sql
from mining.filters import Filters


def build_event_sequence(con: duckdb.DuckDBPyConnection) -> int:
    """(Re)build marts.event_sequence from staging.events; returns its number of rows."""
    run_sql(con, "event_sequence")
    return con.execute("select count(*) from marts.event_sequence").fetchall()[0][0]


def build_dfg(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build marts.dfg and marts.dfg_endpoints (and the variants they count cases with); needs
    marts.event_sequence."""
    for name in ("variants", "case_variants", "dfg"):
        run_sql(con, name)
    run_sql(con, "dfg_endpoints")


def dfg(con: duckdb.DuckDBPyConnection, *, process: str, filters: Filters | None = None) -> pa.Table:
    """The transitions of one process, most frequent first (over the cases `filters` keeps)."""
    return query(con, "dfg", Filters.of(process, filters)).drop_columns(["process"])


def endpoints(
    con: duckdb.DuckDBPyConnection, *, process: str, endpoint: str, filters: Filters | None = None
) -> dict[str, int]:
    """Start (`endpoint='start'`) or end activities of one process: activity -> number of cases."""
    rows = query(con, "dfg_endpoints", Filters.of(process, filters)).to_pylist()
    return {r["activity"]: r["n_cases"] for r in rows if r["endpoint"] == endpoint}


def build_variants(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build marts.variants and marts.case_variants; needs marts.event_sequence."""
    run_sql(con, "variants")
    run_sql(con, "case_variants")


def variants(con: duckdb.DuckDBPyConnection, *, process: str, filters: Filters | None = None) -> pa.Table:
    """The variants of one process, most frequent first (over the cases `filters` keeps)."""
    return query(con, "variants", Filters.of(process, filters)).drop_columns(["process"])


def build_rework(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build marts.activity_instances and marts.rework; needs marts.event_sequence."""
    run_sql(con, "activity_instances")
    run_sql(con, "rework")


def rework(con: duckdb.DuckDBPyConnection, *, process: str, filters: Filters | None = None) -> pa.Table:
    """Rework per activity of one process, most reworked first (over the cases `filters` keeps)."""
    return query(con, "rework", Filters.of(process, filters)).drop_columns(["process"])
