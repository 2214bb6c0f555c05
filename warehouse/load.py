"""Load a configured source into the warehouse: nothing lost, nothing doubled, no CPR stored.

One file is one batch. It is read in chunks and staged on disk (`mapping.to_canonical` per
chunk; `parquet_sql` maps Parquet in DuckDB; `ocel_load` adds an OCEL log's objects and
relations), then stored in one transaction: a crash leaves no half batch, and
`meta.batches` records rows read, loaded (new or already there) and quarantined, so that
rows read = rows loaded + rows quarantined for every batch. Reloading the same file adds
nothing (its sha256 is known); a re-export with more rows adds only the new ones, since
every event's id comes from the source's own key or, without one, from the row's content
and its occurrence number.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from connectors.files import READERS, RawChunk, ReadError
from warehouse import parquet_sql
from warehouse.ahead import ahead
from warehouse.config import PULLED, Source
from warehouse.mapping import LoadError, to_canonical
from warehouse.migrations import rollback
from warehouse.ocel_load import OCEL_STAGE_TABLES, stage_ocel, store_ocel
from warehouse.pseudonym import Pseudonymiser, redact
from vaerdistrom.schema import CONTACTS, EVENTS

__all__ = ["BatchReport", "LoadError", "Progress", "load_all", "load_file", "load_source", "to_canonical"]


@dataclass
class BatchReport:
    source: str
    file: str
    batch_id: int | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_new: int = 0
    rows_quarantined: int = 0
    dst_ambiguous: int = 0
    dst_nonexistent: int = 0
    skipped: bool = False  # the same file (same sha256) was loaded before
    records_quarantined: int = 0  # OCEL: records other than events quarantined (relations, objects, changes)
    columns_pseudonymised: set[str] = field(default_factory=set)  # not declared personal, but mostly CPR numbers


def file_label(path: Path | str) -> str:
    """A file's path (or a pull's label) as the warehouse records it: a CPR number in it replaced by a mark (an
    export named after a citizen, say)."""
    return redact(str(path)) or ""


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _insert_new_sql(table: str, columns: list[str], keyed: bool) -> str:
    """INSERT of the staged batch's rows that are not stored yet, with their stable ids.

    The id is an MD5, stored as a UUID, of the source and the source's own key or,
    without one, of the row's content (every column) and its occurrence number among
    identical rows of the file, so identical rows stay distinct and a re-export gives every
    old row its old id. Rows already stored are left out by an anti-join on the id; a keyed
    source can repeat a key within a file, and only its first row is kept.
    """
    id_column = columns[0]
    content = " || chr(31) || ".join(
        f"coalesce({'epoch_us(ts)' if c == 'ts' else c}::varchar, chr(30))" for c in columns
        if c not in (id_column, "source", "source_seq", "batch_id", "start_ts"))
    if "start_ts" in columns:  # an interval row's start, only where it has one: older rows keep their ids
        content += " || coalesce(chr(31) || 'start' || epoch_us(start_ts)::varchar, '')"
    digest = ("md5(case when _key is not null then source || chr(31) || 'key' || chr(31) || _key "
              "else source || chr(31) || 'row' || chr(31) || _content || chr(31) || "
              "(row_number() over (partition by hash(_content) order by source_seq) - 1)::varchar end)::uuid")
    staged_rows = ("select " + ", ".join(f"{digest} as {c}" if c == id_column else c for c in columns)
                   + f" from (select *, case when _key is null then {content} end as _content from _batch)")
    once = f" qualify row_number() over (partition by {id_column} order by source_seq) = 1" if keyed else ""
    return (f"insert into {table} select * from ({staged_rows}) as n where not exists "
            f"(select 1 from {table} as t where t.{id_column} = n.{id_column}){once}")


def load_file(con: duckdb.DuckDBPyConnection, src: Source, name: str, path: Path, pseudo: Pseudonymiser,
              *, chunk_rows: int | None = None, on_rows: Callable[[int], None] | None = None) -> BatchReport:
    """Load one file of a source as one batch: staged, then stored in one transaction.

    `on_rows(n)` is called as rows are read (for progress bars). A file that changes between its hash and the end
    of its read (its size, modification time or hash taken again after the read; an export still being written,
    or rewritten in place with its old time) is refused whole, never loaded half: nothing is kept, and the next
    run reads it again.
    """
    try:
        before = path.stat()
        digest = sha256_of(path)
    except OSError as e:  # gone between the listing and the read (moved or deleted by the export), or unreadable
        error = LoadError(redact(f"{path}: cannot be read ({e.strerror or type(e).__name__}); nothing kept, it is "
                                 "tried again on the next run"))
        batch_id = con.execute("select nextval('meta.batch_ids')").fetchall()[0][0]
        _record_failure(con, BatchReport(name, str(path), batch_id), None, con.execute("select now()").fetchall()[0][0],
                        str(error))
        raise error from None

    def unchanged(_con: duckdb.DuckDBPyConnection, _report: BatchReport) -> None:  # last, inside the transaction
        now = path.stat()
        if (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or sha256_of(path) != digest:
            raise LoadError("the file changed while it was read (an export still being written?): nothing kept; "
                            "it is read again on the next run")

    done = con.execute("select batch_id from meta.batches where source = ? and file = ? and sha256 = ? "
                       "and status = 'done'", [name, file_label(path), digest]).fetchall()
    if done:
        return BatchReport(name, str(path), done[0][0], skipped=True)
    opts = {"encoding": src.encoding, "delimiter": src.delimiter, "max_field_bytes": src.max_field_bytes,
            "unterminated_last_line": src.unterminated_last_line} if src.kind == "csv" else {}
    if src.kind == "excel":
        opts["sheets"] = src.sheets
    if chunk_rows:
        opts["chunk_rows"] = chunk_rows
    if src.kind == "ocel":
        return _load_batch(con, src, name, path, pseudo, digest=digest, on_rows=on_rows,
                           stage_with=lambda stage: stage_ocel(stage, opts), on_store=unchanged)
    if src.kind == "parquet" and parquet_sql.eligible(src, path):  # parquet_sql makes `_batch` a view over the file
        def in_sql(stage: _Stager) -> None:
            r = stage.report
            r.rows_read, r.rows_quarantined = parquet_sql.stage(con, src, name, path, stage.batch_id, pseudo)
            r.rows_loaded = r.rows_read - r.rows_quarantined
            if on_rows:
                on_rows(r.rows_read)

        return _load_batch(con, src, name, path, pseudo, digest=digest, on_rows=on_rows, stage_with=in_sql,
                           batch_table=False, on_store=unchanged)
    return load_chunks(con, src, name, path, READERS[src.kind](path, **opts), pseudo, digest=digest,
                       on_rows=on_rows, on_store=unchanged)


def load_chunks(con: duckdb.DuckDBPyConnection, src: Source, name: str, label: Path | str,
                chunks: Iterable[RawChunk], pseudo: Pseudonymiser, *, digest: str | None = None,
                on_rows: Callable[[int], None] | None = None,
                on_store: Callable[[duckdb.DuckDBPyConnection, BatchReport], None] | None = None) -> BatchReport:
    """Load rows read as `RawChunk`s (a file's at `label`, or a connector's pull named `label`) as one batch.

    The chunks are mapped and staged as they come; the batch is stored in one transaction, in
    which `on_store(con, report)` runs last (a pull records its new watermark there), so a read
    that breaks off keeps nothing and moves nothing on.
    """
    def staged(stage: _Stager) -> None:
        for mapped in ahead(chunks, stage.map):
            stage.put(mapped, "_batch")
        stage.done()
        staged_rows = con.execute("select count(*), count(source) from _batch").fetchall()[0]
        if staged_rows != (stage.report.rows_loaded, stage.report.rows_loaded):
            raise LoadError(f"staged {staged_rows[1]:,} of {stage.report.rows_loaded:,} rows: the database lost "
                            "rows while staging; nothing kept")

    return _load_batch(con, src, name, label, pseudo, digest=digest, on_rows=on_rows,
                       stage_with=staged, on_store=on_store)


def _load_batch(con: duckdb.DuckDBPyConnection, src: Source, name: str, path: Path | str, pseudo: Pseudonymiser,
                *, digest: str | None, on_rows: Callable[[int], None] | None, stage_with: Callable[["_Stager"], None],
                batch_table: bool = True,
                on_store: Callable[[duckdb.DuckDBPyConnection, BatchReport], None] | None = None) -> BatchReport:
    """One batch: staged by `stage_with` outside the batch's transaction, then stored in one transaction."""
    table = "staging.contacts" if src.records == "contacts" else "staging.events"
    schema = CONTACTS if src.records == "contacts" else EVENTS
    batch_id = con.execute("select nextval('meta.batch_ids')").fetchall()[0][0]
    started = con.execute("select now()").fetchall()[0][0]
    report = BatchReport(name, str(path), batch_id)
    stage = _Stager(con, src, name, path, batch_id, pseudo, report, on_rows)
    try:
        # Stage outside the batch's transaction (see COMMIT_ROWS); the batch's transaction
        # then moves it into the warehouse with one INSERT ... SELECT, which DuckDB writes out as it goes.
        _create_stage(con, table, ocel=src.kind == "ocel", batch_table=batch_table)
        stage_with(stage)
        stage.done()
        con.execute("begin transaction")
        try:
            _store(con, stage, table, schema, digest, started)
            if on_store:
                on_store(con, report)
            con.execute("commit")
        except BaseException:
            rollback(con)
            raise
        return report
    except BaseException as e:  # PanicException (a Rust library's panic) is a BaseException too
        if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        if isinstance(e, LoadError):
            error = LoadError(redact(f"{path}: {e}"))
        elif isinstance(e, ReadError):
            error = LoadError(redact(f"{pseudo.scrub(str(e))} (load failed, nothing kept)"))
        else:
            error = LoadError(redact(f"{path}: load failed, nothing kept: {type(e).__name__}: "
                                     f"{one_line(pseudo.scrub(str(e)) or '')}"))
        stage.abandon()
        _record_failure(con, report, digest, started, str(error))
        raise error from (None if isinstance(e, (LoadError, ReadError)) else e)
    finally:
        stage.abandon()
        _drop_stage(con)


def one_line(text: str, limit: int = 400) -> str:
    """A message as one line: its white space runs (line breaks too) as single spaces, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _record_failure(con: duckdb.DuckDBPyConnection, report: BatchReport, digest: str | None, started: dt.datetime,
                    error: str) -> None:
    """A failed load's row in meta.batches (status 'failed', its error), in a transaction of its own: the file and
    what went wrong are on record, and none of its rows. Best effort: a warehouse that cannot take even this row (a
    full disk) leaves the error to the caller."""
    try:
        con.execute("insert into meta.batches (batch_id, source, file, sha256, rows_read, started_at, finished_at, "
                    "status, error) values (?, ?, ?, ?, ?, ?, now(), 'failed', ?)",
                    [report.batch_id, report.source, file_label(report.file), digest, report.rows_read, started,
                     error]).fetchall()
    except duckdb.Error:
        pass


def _create_stage(con: duckdb.DuckDBPyConnection, table: str, *, ocel: bool, batch_table: bool = True) -> None:
    """The stage tables of one load (in `main`, committed as they fill; dropped when the load ends)."""
    _drop_stage(con)
    if batch_table:
        con.execute(f"create table main._batch as select *, null::varchar as _key from {table} limit 0")
    con.execute("create table main._quarantine as select * from raw.quarantine limit 0")
    if ocel:
        con.execute("create table main._ocel_events as select * from _batch limit 0")
        for name, columns in OCEL_STAGE_TABLES.items():
            con.execute(f"create table main.{name} ({columns})")


def _drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Every stage table and view of a load (their names start with '_'), also those a crashed load left."""
    for name, kind in con.execute("select table_name, table_type from information_schema.tables "
                                  "where table_schema = 'main' and starts_with(table_name, '_')").fetchall():
        con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} if exists main.{parquet_sql.q(name)}")


def _store(con: duckdb.DuckDBPyConnection, stage: "_Stager", table: str, schema: pa.Schema, digest: str | None,
           started: dt.datetime) -> None:
    """Everything the batch brings, from the stage tables into the warehouse (inside its transaction)."""
    src, report, batch_id = stage.src, stage.report, stage.batch_id
    con.execute("insert into meta.batches (batch_id, source, file, sha256, started_at) values (?, ?, ?, ?, ?)",
                [batch_id, stage.name, file_label(stage.path), digest, started]).fetchall()
    if src.kind == "ocel":
        store_ocel(stage)
    elif src.mapping.source_key:
        _quarantine_repeated_keys(stage)
    keyed = src.kind == "ocel" or bool(src.mapping.source_key)
    new = con.execute(_insert_new_sql(table, schema.names, keyed)).fetchall()[0][0]
    stored = con.execute(f"select count(*) from {table} where batch_id = ?", [batch_id]).fetchall()[0][0]
    if stored != new:
        raise LoadError(f"inserted {new:,} new rows but {stored:,} are stored; nothing kept")
    if src.kind != "ocel":
        report.rows_new = new
    if table == "staging.events":
        con.execute(_sql("load_cases.sql"), {"source": stage.name}).fetchall()
    con.execute("insert into raw.quarantine select * from _quarantine").fetchall()
    watermark = con.execute("select max(ts) from _batch").fetchall()[0][0]
    con.execute("update meta.batches set rows_read = ?, rows_loaded = ?, rows_quarantined = ?, "
                "rows_already_loaded = ?, dst_ambiguous = ?, dst_nonexistent = ?, finished_at = now(), "
                "watermark = ?, status = 'done' where batch_id = ?",
                [report.rows_read, report.rows_loaded, report.rows_quarantined,
                 report.rows_loaded - report.rows_new, report.dst_ambiguous, report.dst_nonexistent,
                 watermark.isoformat() if watermark else None, batch_id]).fetchall()


def _quarantine_repeated_keys(stage: "_Stager") -> None:
    """A source's key given to more than one row of a file: the first row is the record, every later one goes to
    quarantine (counted there, not as loaded), so no row is dropped unseen."""
    con, report = stage.con, stage.report
    before = con.execute("select count(*) from _quarantine").fetchall()[0][0]
    con.execute("insert into _quarantine select ?, ?, ?, source_seq, ?, 'duplicate key ' || _key || ': row ' || "
                "first_seq || ' has it (the first row with a key is kept)', to_json(b), 'row' from "
                "(select *, min(source_seq) over (partition by _key) as first_seq from _batch) as b "
                "where _key is not null and source_seq > first_seq",
                [stage.batch_id, stage.name, file_label(stage.path), stage.pseudo.scrub(stage.src.mapping.source_key)]
                ).fetchall()
    repeated = con.execute("select count(*) from _quarantine").fetchall()[0][0] - before
    report.rows_loaded -= repeated
    report.rows_quarantined += repeated


def _sql(name: str) -> str:
    return (Path(__file__).with_name("sql") / name).read_text(encoding="utf-8")


# DuckDB 2.0 (as installed here) lost a temporary table's rows after one append larger than a
# row group (122,880 rows) inside a transaction: the table then read as empty. Appends stay well
# below that, and load_file counts what it staged before it stores anything.
APPEND_ROWS = 50_000
# Stage appends are committed in groups: each commit costs a write to DuckDB's log, and one
# transaction over the whole file would hold all of it in memory (DuckDB keeps a transaction's
# appends in memory until it commits: about 5 GB for 10M rows).
COMMIT_ROWS = 500_000
QUARANTINE = pa.schema([("batch_id", pa.int64()), ("source", pa.string()), ("file", pa.string()),
                        ("row_number", pa.int64()), ("field", pa.string()), ("reason", pa.string()),
                        ("row_data", pa.string()), ("record", pa.string())])


@dataclass
class _Mapped:
    """One chunk after `to_canonical`: rows read, canonical rows, quarantine rows, DST counts."""

    read: int
    rows: pa.Table
    quarantine: list[tuple]
    ambiguous: int
    nonexistent: int


@dataclass
class _Stager:
    """Puts one file's chunks into the batch's temporary tables, counting and quarantining."""

    con: duckdb.DuckDBPyConnection
    src: Source
    name: str
    path: Path | str  # a file, or the label of a connector's pull
    batch_id: int
    pseudo: Pseudonymiser
    report: BatchReport
    on_rows: Callable[[int], None] | None = None
    open: bool = False  # a stage transaction is open
    pending: int = 0  # rows appended in it

    def chunk(self, chunk: RawChunk, target: str, src: Source | None = None) -> None:
        self.put(self.map(chunk, src), target)

    def map(self, chunk: RawChunk, src: Source | None = None) -> "_Mapped":
        """A chunk mapped to the canonical schema (no database work: `ahead` runs it in a thread)."""
        return _Mapped(chunk.frame.height + len(chunk.unreadable),
                       *to_canonical(chunk, src or self.src, self.name, self.batch_id, self.pseudo,
                                     self.report.columns_pseudonymised))

    def put(self, mapped: "_Mapped", target: str) -> None:
        """A mapped chunk counted, and staged: its rows into `target`, its rejects into `_quarantine`."""
        read, rows, quarantine, ambiguous, nonexistent = (mapped.read, mapped.rows, mapped.quarantine,
                                                          mapped.ambiguous, mapped.nonexistent)
        r = self.report
        r.rows_read += read
        r.rows_quarantined += len(quarantine)
        r.rows_loaded += rows.num_rows
        r.dst_ambiguous += ambiguous
        r.dst_nonexistent += nonexistent
        if rows.num_rows:
            self.insert(target, rows)
        if quarantine:
            self.insert("_quarantine", pa.Table.from_pylist(
                [{"batch_id": self.batch_id, "source": self.name, "file": file_label(self.path), "row_number": rn,
                  "field": fld, "reason": reason, "row_data": data, "record": "row"}
                 for rn, fld, reason, data in quarantine],
                schema=QUARANTINE))
        if self.on_rows:
            self.on_rows(read)

    def insert(self, target: str, rows: pa.Table | pl.DataFrame) -> None:
        """Append rows to a stage table, at most APPEND_ROWS at a time, committed every COMMIT_ROWS."""
        if not self.open:
            self.con.execute("begin transaction")
            self.open = True
        for start in range(0, len(rows), APPEND_ROWS):
            self.con.register("_chunk", rows.slice(start, APPEND_ROWS))
            self.con.execute(f"insert into {target} select * from _chunk").fetchall()
            self.con.unregister("_chunk")
        self.pending += len(rows)
        if self.pending >= COMMIT_ROWS:
            self.done()

    def done(self) -> None:
        """Commit what is staged so far."""
        if self.open:
            self.con.execute("commit")
        self.open, self.pending = False, 0

    def abandon(self) -> None:
        """Roll back what is staged and not committed yet."""
        if self.open:
            rollback(self.con)
        self.open, self.pending = False, 0


class Progress:
    """What a load reports as it goes (the CLI draws progress bars from it); by default nothing."""

    def file_started(self, source: str, path: Path) -> None:
        pass

    def rows(self, n: int) -> None:
        pass

    def file_done(self, report: BatchReport) -> None:
        pass


def matching_files(pattern: str, root: Path) -> list[Path]:
    """The files a source's path names, relative to `root` unless absolute; a glob (`*`, `?`, `[...]`) in name
    order."""
    if not any(ch in pattern for ch in "*?["):
        return [root / pattern]
    base = "" if Path(pattern).is_absolute() else glob.escape(str(root)) + os.sep
    return sorted(Path(f) for f in glob.glob(base + pattern) if Path(f).is_file())


def source_files(src: Source, name: str, root: Path) -> list[Path]:
    """A source's files (its path may be a glob), in name order; an error when there are none, or when the source
    is not ready (its `ready_file` is not there yet, or a file is younger than `min_age_seconds`)."""
    import time

    pattern = src.path
    files = matching_files(pattern, root)
    missing = [f for f in files if not f.is_file()]
    if not files or missing:
        raise LoadError(f"sources.{name}: no file at {root / pattern}")
    if src.ready_file and not (root / src.ready_file).exists():
        raise LoadError(f"sources.{name}: not ready: {src.ready_file} is not there yet (the export says it is done "
                        "by writing it); read on a later run")
    young = [f for f in files if time.time() - f.stat().st_mtime < src.min_age_seconds]
    if young:
        raise LoadError(f"sources.{name}: not ready: {young[0].name} was written less than {src.min_age_seconds} s "
                        "ago (min_age_seconds); read on a later run")
    return files


def load_source(con: duckdb.DuckDBPyConnection, src: Source, name: str, root: Path, pseudo: Pseudonymiser,
                progress: Progress | None = None) -> list[BatchReport]:
    """Every file of a source, each one batch (a database or an API: one pull, one batch)."""
    progress = progress or Progress()
    if src.kind in PULLED:
        from warehouse.pull import load_pull

        progress.file_started(name, Path(f"({src.kind})"))
        reports = [load_pull(con, src, name, pseudo, on_rows=progress.rows)]
        progress.file_done(reports[0])
        return reports
    reports: list[BatchReport] = []
    for f in source_files(src, name, root):
        progress.file_started(name, f)
        try:
            reports.append(load_file(con, src, name, f, pseudo, on_rows=progress.rows))
        except LoadError as e:
            raise SourceError(str(e), reports) from None
        progress.file_done(reports[-1])
    return reports


class SourceError(LoadError):
    """A source's file failed after `reports`, its files stored before it (they stay stored and counted)."""

    def __init__(self, message: str, reports: list[BatchReport]) -> None:
        super().__init__(message)
        self.reports = reports


def resolve_key(cfg, root: Path) -> Pseudonymiser:
    """The pseudonymiser for a config: key from the environment, else from its key_file."""
    from warehouse.pseudonym import load_key

    key_file = (root / cfg.key_file) if cfg.key_file else None
    return Pseudonymiser(load_key(key_file))


def load_all(cfg, root: Path, only: list[str] | None = None, *, progress: Progress | None = None
             ) -> list[BatchReport]:
    """Load the configured sources (all, or those named in `only`) into the config's warehouse."""
    from warehouse.migrations import connect

    unknown = sorted(set(only or []) - set(cfg.sources))
    if unknown:
        raise LoadError(f"no source named {', '.join(map(repr, unknown))} in the config "
                        f"(it has: {', '.join(cfg.sources)})")
    pseudo = resolve_key(cfg, root)
    con = connect(root / cfg.warehouse, cfg.memory_limit)
    reports = []
    failed = []
    try:
        for name, src in cfg.sources.items():
            if only and name not in only:
                continue
            try:  # one source's failure does not stop the others (as in the nightly run)
                reports += load_source(con, src, name, root, pseudo, progress)
            except Exception as e:  # noqa: BLE001 - whatever one source raises, the others load
                reports += getattr(e, "reports", [])
                said = str(e) if isinstance(e, LoadError) else redact(f"{type(e).__name__}: {one_line(str(e))}")
                failed.append(f"sources.{name}: {said}" if not said.startswith("sources.") else said)
    finally:
        con.close()
    if failed:
        raise LoadError("; ".join(failed) + (f" ({len(reports)} other files loaded)" if reports else ""))
    return reports
