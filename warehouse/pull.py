"""A pull from a live system (a database or a JSON API) opened from its stored watermark; one pull, one batch.

The pull asks for what came since the source's stored watermark (`meta.watermarks`), less
its lookback; `load.load_pull` sends its rows through the same load path as a file's (mapping,
quarantine, pseudonymisation, stable ids, one transaction), and the new watermark is stored in
that same transaction. A pull that breaks off (a dropped connection, an API that keeps failing)
keeps nothing and leaves the watermark where it was, so the next run reads it all again.
Rows read twice (the lookback) are left out by their ids: rows read = rows loaded +
rows quarantined per batch, and `rows_already_loaded` says how many were there before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from connectors.base import ReadError
from connectors.watermark import Puller, Watermark
from warehouse.batch import BatchReport, LoadError
from warehouse.config import Source


def stored_watermark(con: duckdb.DuckDBPyConnection, name: str) -> Watermark | None:
    """The watermark of the source's last stored pull, if any."""
    row = con.execute("select watermark_kind, watermark from meta.watermarks where source = ?", [name]).fetchall()
    return Watermark(*row[0]) if row else None


def _store_watermark(con: duckdb.DuckDBPyConnection, name: str, mark: Watermark, batch_id: int) -> None:
    con.execute(
        "insert or replace into meta.watermarks values (?, ?, ?, ?, ?)",
        [name, mark.kind, mark.value, batch_id, dt.datetime.now(dt.UTC)],
    )


def check(src: Source, name: str) -> None:
    """Can the source be reached with its credentials? A clear error now (the nightly extract step, retried)."""
    where = f"sources.{name}"
    try:
        if src.kind == "sql":
            from connectors.sql import dsn_from_env, probe

            probe(dsn_from_env(src.required_database.dsn_env, f"{where}.database.dsn_env"), where)
        elif src.kind == "rest" and src.required_api.oauth2:
            from connectors.rest import RestPull

            RestPull(src.required_api, since=None, where=where).token()
    except ReadError as e:
        raise LoadError(str(e)) from None


def _sql_pull(src: Source, name: str, since: Watermark | None, first: bool) -> tuple[Puller, str]:
    from connectors.sql import SqlPull, dialect_of, dsn_from_env, pull_query, redact

    db, where = src.required_database, f"sources.{name}"
    dsn = dsn_from_env(db.dsn_env, f"{where}.database.dsn_env")
    frm = since if first else since and since.back(seconds=db.lookback_seconds, ids=db.lookback_ids)
    order = tuple(c for c in (src.required_mapping.source_key,) if c)
    sql = pull_query(dialect_of(dsn), table=db.table, query=db.query, watermark=db.watermark, since=frm, order=order)
    label = f"{redact(dsn)} {db.table or 'query'}" + (f" where {db.watermark} >= {frm.value}" if frm else "")
    return SqlPull(dsn, sql, watermark=db.watermark, since=since, batch_rows=db.batch_rows, where=where), label


def _rest_pull(src: Source, name: str, since: Watermark | None, first: bool) -> tuple[Puller, str]:
    from connectors.rest import RestPull

    api = src.required_api
    ask = since if first else since and since.back(seconds=api.lookback_seconds)  # a start is asked as it is
    pull = RestPull(api, since=since, ask_from=ask, where=f"sources.{name}")
    label = api.url + (f" modified since {ask.value}" if ask and pull.api.modified_since_param else "")
    return pull, label


@dataclass
class Pull:
    """One pull, opened: its chunks, its label in the warehouse's records, and the watermark it started from."""

    name: str
    chunks: Puller
    label: str
    stored: Watermark | None

    def on_store(self, con: duckdb.DuckDBPyConnection, report: BatchReport) -> None:
        """The pull's new watermark stored, inside the batch's transaction (when it moved)."""
        if self.chunks.high is not None and self.chunks.high != self.stored:
            assert report.batch_id is not None  # a batch being stored has its id (`load._load_batch` draws it first)
            _store_watermark(con, self.name, self.chunks.high, report.batch_id)


def open_pull(con: duckdb.DuckDBPyConnection, src: Source, name: str) -> Pull:
    """The pull of a database or API source from its stored watermark (or its configured start)."""
    stored = stored_watermark(con, name)
    start = src.required_database.start if src.kind == "sql" else src.required_api.start
    try:
        since = stored or (Watermark.parse(start) if start else None)
        make = _sql_pull if src.kind == "sql" else _rest_pull
        pull, label = make(src, name, since, stored is None)
    except ReadError as e:
        raise LoadError(str(e)) from None
    return Pull(name, pull, f"sources.{name}: {label}", stored)
