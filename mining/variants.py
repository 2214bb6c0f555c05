"""Variants per process: the distinct sequences of activities, how many cases follow each, and how long they take.

`build_variants` materialises `marts.case_variants` (one row per process x case) and
`marts.variants` (one row per process x variant: cases, share, median lead time) from
`marts.event_sequence`. The counts equal `pm4py.get_variants` on the same log.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from mining.sequence import SQL


def build_variants(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build marts.case_variants and marts.variants; needs marts.event_sequence."""
    for statement in (SQL / "variants.sql").read_text(encoding="utf-8").split(";"):
        if statement.strip():
            con.execute(statement).fetchall()


def variants(con: duckdb.DuckDBPyConnection, *, process: str) -> pa.Table:
    """The variants of one process, most frequent first."""
    return con.sql("select * exclude (process) from marts.variants where process = $process",
                   params={"process": process}).to_arrow_table()
