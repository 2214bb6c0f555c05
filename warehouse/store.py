"""A staged batch stored in the warehouse, in the batch's one transaction; or a failed batch's record.

Inside the transaction (`load` opens it): the batch's row in `meta.batches`, its rows that
are not stored yet, with their stable ids, its cases, its quarantine, and the batch's counts.
Every event's id comes from the source's own key or, without one, from the row's content and
its occurrence number, so a re-export stores only its new rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from warehouse.batch import BatchReport, LoadError, file_label
from warehouse.stage import STAGING, Stager, small_table

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
    occurrence = occurrences(con, schema.names)
    new = con.execute(insert_new_sql(table, schema.names, keyed, occurrence)).fetchall()[0][0]
    con.execute("drop table if exists temp._occ")
    stored = con.execute(f"select count(*) from {table} where batch_id = ?", [batch_id]).fetchall()[0][0]
    if stored != new:
        raise LoadError(f"inserted {new:,} new rows but {stored:,} are stored; nothing kept")
    if src.kind != "ocel":
        report.rows_new = new
    if table == "staging.events":
        con.execute((SQL / "load_cases.sql").read_text(encoding="utf-8"), {"source": stage.name}).fetchall()
    con.execute("insert into raw.quarantine select * from _quarantine").fetchall()
    watermark = con.execute("select max(ts) from _batch").fetchall()[0][0]
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


def insert_new_sql(table: str, columns: list[str], keyed: bool, occurrence: str | None = None) -> str:
    """INSERT of the staged batch's rows that are not stored yet, with their stable ids.

    The id is an MD5, stored as a UUID, of the source and the source's own key or,
    without one, of the row's content (every column) and its occurrence number among
    identical rows of the file, so identical rows stay distinct and a re-export gives every
    old row its old id. Rows already stored are left out by an anti-join on the id; a keyed
    source can repeat a key within a file, and only its first row is kept.

    `occurrence`, how a key-less row's occurrence number is had: "0", no row repeats another; "_occ", from the
    table `occurrences` made (joined by source_seq); None, numbered here by a window over the whole batch (which
    sorts every row with all its columns: the slow way, kept for a batch whose rows `occurrences` cannot tell apart).
    """
    id_column = columns[0]
    if occurrence is None:
        content = f"case when _key is null then {content_sql(columns)} end"
        number = f"(row_number() over (partition by hash({content}) order by source_seq) - 1)::varchar"
    elif occurrence == "0":
        number = "'0'"
    else:
        number = "coalesce(_occ.n, 0)::varchar"
    # one concat() of every part, not a chain of ||, which copies the growing text at every step (the same text:
    # every part is non-null)
    digest = (
        "md5(case when _key is not null then source || chr(31) || 'key' || chr(31) || _key "
        f"else concat(source, chr(31), 'row', chr(31), {', '.join(content_parts(columns))}, chr(31), {number}) "
        "end)::uuid"
    )
    join = " left join temp._occ as _occ using (source_seq)" if occurrence == "_occ" else ""
    staged_rows = (
        "select " + ", ".join(f"{digest} as {c}" if c == id_column else c for c in columns) + f" from _batch{join}"
    )
    once = f" qualify row_number() over (partition by {id_column} order by source_seq) = 1" if keyed else ""
    return (
        f"insert into {table} select * from ({staged_rows}) as n where not exists "
        f"(select 1 from {table} as t where t.{id_column} = n.{id_column}){once}"
    )


def content_parts(columns: list[str]) -> list[str]:
    """The parts of a staged row's content as its id hashes them: every column but the id and where the row came
    from, each as text (chr(30) for null), chr(31) between them; an interval row's start last, where it has one
    (so that older rows keep their ids)."""
    parts: list[str] = []
    for c in columns:
        if c not in (columns[0], "source", "source_seq", "batch_id", "start_ts"):
            parts += [
                *(["chr(31)"] if parts else []),
                f"coalesce({'epoch_us(ts)' if c == 'ts' else c}::varchar, chr(30))",
            ]
    if "start_ts" in columns:
        parts.append("coalesce(chr(31) || 'start' || epoch_us(start_ts)::varchar, '')")
    return parts


def content_sql(columns: list[str]) -> str:
    """A key-less staged row's content, as text (see `content_parts`)."""
    return f"concat({', '.join(content_parts(columns))})"


def occurrences(con: duckdb.DuckDBPyConnection, columns: list[str]) -> str | None:
    """The batch's key-less rows' occurrence numbers above 0, in `temp._occ` (source_seq, n); how
    `insert_new_sql` is then to have them ("0" when no row repeats another), or None when it must number them itself.

    The numbers are those of a window over the batch: rows numbered by source_seq within each partition of
    `hash(content)` (keyed rows, with a null content, in one partition of their own), as ids have always been
    made. Here only the key-less rows' (source_seq, hash) pairs are read, their hashes sorted to find the
    partitions of more than one row (a file seldom has any), and only those numbered; sorting or grouping the
    whole batch in DuckDB costs several times as much. None when a numbered row could not be joined back to its
    row alone by its source_seq (shared, or null), or when a key-less row's content hashes as a keyed row's null
    content does: the window numbers them.
    """
    pairs = con.sql(f"select source_seq, hash({content_sql(columns)}) as h from _batch where _key is null").pl()
    hashes = pairs["h"].sort()
    repeated = hashes.filter(hashes == hashes.shift(1)).unique()
    null_content = con.execute("select hash(null::varchar)").fetchall()[0][0]
    if (hashes == null_content).any() and con.execute("select count(_key) from _batch").fetchall()[0][0]:
        return None
    if repeated.is_empty():
        return "0"
    numbered = (
        pairs.filter(pl.col("h").is_in(repeated.implode()))
        .sort("h", "source_seq")
        .select("source_seq", n=pl.int_range(pl.len(), dtype=pl.Int64).over("h"))
        .filter(pl.col("n") > 0)
    )
    seqs = numbered["source_seq"]
    alone = pairs.filter(pl.col("source_seq").is_in(seqs.implode())).height == seqs.n_unique() == seqs.len()
    if seqs.null_count() or not alone:
        return None
    small_table(con, "temp._occ", numbered.to_arrow())
    return "_occ"


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
