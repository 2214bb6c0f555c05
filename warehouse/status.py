"""What the warehouse holds: per source, per process, per contact channel (for `vaerdistrom status`)."""

from __future__ import annotations

from pathlib import Path

import duckdb

SQL = Path(__file__).with_name("sql")


def _rows(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    rel = con.sql((SQL / name).read_text(encoding="utf-8"))
    cols = rel.columns
    out = []
    for row in rel.fetchall():
        out.append({c: (v.isoformat() if hasattr(v, "isoformat") else v) for c, v in zip(cols, row, strict=True)})
    return out


def status(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Sources (batches, rows read/loaded/quarantined, last load), processes (cases, events, activities), contacts."""
    return {
        "sources": _rows(con, "status_sources.sql"),
        "processes": _rows(con, "status_processes.sql"),
        "contacts": _rows(con, "status_contacts.sql"),
    }


def read(path: Path) -> dict[str, list[dict]]:
    """`status` of the warehouse file at `path`, opened for it and closed again."""
    from warehouse.migrations import connect

    con = connect(path)
    try:
        return status(con)
    finally:
        con.close()
