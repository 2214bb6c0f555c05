"""A staged batch stored in the warehouse, in the batch's one transaction; or a failed batch's record.

Inside the transaction (`load` opens it): the batch's row in `meta.batches`, its rows that
are not stored yet, with their stable ids (`ids`), its cases, its quarantine, and the batch's
counts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import duckdb

from warehouse.batch import BatchReport, LoadError, file_label
from warehouse.ids import insert_new
from warehouse.stage import STAGING, Stager

SQL = Path(__file__).with_name("sql")


def store(con: duckdb.DuckDBPyConnection, stage: Stager, digest: str | None, started: dt.datetime) -> None:
    """Everything the batch brings, from the stage tables into the warehouse (inside its transaction)."""
    src, report, batch_id = stage.src, stage.report, stage.batch_id
    table, schema = STAGING[src.records]
    con.execute(
        "insert into meta.batches (batch_id, source, file, sha256, started_at) values (?, ?, ?, ?, ?)",
        [batch_id, stage.name, file_label(stage.path), digest, started],
    ).fetchall()
    if src.kind == "ocel":
        store_ocel(stage)
    elif src.required_mapping.source_key:
        _quarantine_repeated_keys(stage)
    keyed = src.kind == "ocel" or bool(src.required_mapping.source_key)
    new = insert_new(con, table, schema.names, source=stage.name, batch_id=batch_id, keyed=keyed)
    stored = con.execute(f"select count(*) from {table} where batch_id = ?", [batch_id]).fetchall()[0][0]
    if stored != new:
        raise LoadError(f"inserted {new:,} new rows but {stored:,} are stored; nothing kept")
    if src.kind != "ocel":
        report.rows_new = new
    # the batch's rows, read from its stored rows when they are all of it (every row new, none dropped for a repeated
    # key): a few columns of them are read faster than the stage, which may be a Parquet file mapped in SQL
    whole = not keyed and new == report.rows_loaded
    rows = f"(select * from {table} where batch_id = {int(batch_id)}) as b" if whole else "_batch"
    if table == "staging.events":
        cases = (SQL / "load_cases.sql").read_text(encoding="utf-8").replace("from _batch", f"from {rows}")
        con.execute(cases, {"source": stage.name}).fetchall()
    con.execute("insert into raw.quarantine select * from _quarantine").fetchall()
    watermark = con.execute(f"select max(ts) from {rows}").fetchall()[0][0]
    con.execute(
        "update meta.batches set rows_read = ?, rows_loaded = ?, rows_quarantined = ?, "
        "rows_already_loaded = ?, dst_ambiguous = ?, dst_nonexistent = ?, finished_at = now(), "
        "watermark = ?, status = 'done' where batch_id = ?",
        [
            report.rows_read,
            report.rows_loaded,
            report.rows_quarantined,
            report.rows_loaded - report.rows_new,
            report.dst_ambiguous,
            report.dst_nonexistent,
            watermark.isoformat() if watermark else None,
            batch_id,
        ],
    ).fetchall()


def _quarantine_repeated_keys(stage: Stager) -> None:
    """A source's key given to more than one row of a file: the first row is the record, every later one goes to
    quarantine (counted there, not as loaded), so no row is dropped unseen."""
    con, report = stage.con, stage.report
    before = con.execute("select count(*) from _quarantine").fetchall()[0][0]
    con.execute(
        "insert into _quarantine select ?, ?, ?, source_seq, ?, 'duplicate key ' || _key || ': row ' || "
        "first_seq || ' has it (the first row with a key is kept)', to_json(b), 'row' from "
        "(select *, min(source_seq) over (partition by _key) as first_seq from _batch) as b "
        "where _key is not null and source_seq > first_seq",
        [stage.batch_id, stage.name, file_label(stage.path), stage.pseudo.scrub(stage.src.required_mapping.source_key)],
    ).fetchall()
    repeated = con.execute("select count(*) from _quarantine").fetchall()[0][0] - before
    report.rows_loaded -= repeated
    report.rows_quarantined += repeated


def store_ocel(stage: Stager) -> None:
    """An OCEL batch's staged parts into staging, and its events flattened into the batch's events."""
    con = stage.con
    params = {
        "source": stage.name,
        "batch_id": stage.batch_id,
        "object_type": stage.src.object_type,
        "file": file_label(stage.path),
    }
    before = _quarantined(con)
    _run_sql(con, "ocel_quarantine.sql", params)
    after = _quarantined(con)
    events = after.get("row", 0) - before.get("row", 0)
    stage.report.rows_loaded -= events
    stage.report.rows_quarantined += events
    stage.report.records_quarantined += sum(after.values()) - sum(before.values()) - events
    _run_sql(con, "ocel_store.sql", params)
    stage.report.rows_new = con.execute(
        "select count(*) from staging.ocel_events where batch_id = ?", [stage.batch_id]
    ).fetchall()[0][0]


def _quarantined(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The batch's quarantined records so far, by kind."""
    return dict(con.execute("select record, count(*) from _quarantine group by record").fetchall())


def _run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> None:
    """The statements of one .sql file of warehouse/sql, each with the parameters it names."""
    for statement in (SQL / name).read_text(encoding="utf-8").split(";"):
        body = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--")).strip()
        if body:
            con.execute(body, {k: v for k, v in params.items() if f"${k}" in body}).fetchall()


def record_failure(
    con: duckdb.DuckDBPyConnection, report: BatchReport, digest: str | None, started: dt.datetime, error: str
) -> None:
    """A failed load's row in meta.batches (status 'failed', its error), in a transaction of its own: the file and
    what went wrong are on record, and none of its rows. Best effort: a warehouse that cannot take even this row (a
    full disk) leaves the error to the caller."""
    with contextlib.suppress(duckdb.Error):
        con.execute(
            "insert into meta.batches (batch_id, source, file, sha256, rows_read, started_at, finished_at, "
            "status, error) values (?, ?, ?, ?, ?, ?, now(), 'failed', ?)",
            [report.batch_id, report.source, file_label(report.file), digest, report.rows_read, started, error],
        ).fetchall()
