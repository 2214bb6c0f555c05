"""Variants per process: the distinct sequences of activities, how many cases follow each, and how long they take.

`build_variants` materialises `marts.case_variants` (one row per process x case) and
`marts.variants` (one row per process x variant: cases, share, median lead time) from
`marts.event_sequence`. The counts equal `pm4py.get_variants` on the same log.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from mining.engine import query, run_sql
from mining.filters import Filters


def build_variants(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build marts.case_variants and marts.variants; needs marts.event_sequence."""
    run_sql(con, "case_variants")
    run_sql(con, "variants")


def variants(con: duckdb.DuckDBPyConnection, *, process: str, filters: Filters | None = None) -> pa.Table:
    """The variants of one process, most frequent first (over the cases `filters` keeps)."""
    return query(con, "variants", Filters.of(process, filters)).drop_columns(["process"])
