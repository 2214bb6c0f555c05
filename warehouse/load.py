"""Load a configured source into the warehouse: nothing lost, nothing doubled, no CPR stored.

One file is one batch and one transaction: a crash leaves no half batch, and
`meta.batches` records rows read, loaded (new or already there) and quarantined, so that
rows read = rows loaded + rows quarantined for every batch. Reloading the same file adds
nothing (its sha256 is known); a re-export with more rows adds only the new ones, since
every event's id comes from the source's own key or, without one, from the row's content
and its occurrence number.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from connectors.files import READERS, RawChunk, ReadError
from warehouse import parquet_sql
from warehouse.config import SECONDS_PER, Mapping, Source
from warehouse.pseudonym import Pseudonymiser
from warehouse.schema import CONTACTS, EVENTS
from warehouse.timezones import local_to_utc


class LoadError(RuntimeError):
    """A file could not be loaded; nothing of it was kept."""


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


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


OFFSET = r"(Z|[+-]\d\d:?\d\d)$"  # an ISO 8601 offset at the end of a time


def parse_ts(raw: pl.Series, src: Source) -> tuple[pl.Series, int, int]:
    """Source timestamps -> UTC; returns (utc, dst ambiguous, dst nonexistent). Unreadable values -> null."""
    if raw.dtype == pl.Datetime:
        naive = raw
    else:
        text = raw.cast(pl.Utf8).str.strip_chars()
        if src.timestamp_format:
            naive = text.str.strptime(pl.Datetime("us"), src.timestamp_format, strict=False)
        else:
            offset = text.str.contains(OFFSET).fill_null(False)
            if offset.any():
                aware = text.str.to_datetime(time_zone="UTC", strict=False, time_unit="us")
                naive_part = text.str.replace(OFFSET, "").str.to_datetime(strict=False, time_unit="us")
                utc_naive = local_to_utc(naive_part, src.timezone)
                utc = pl.select(pl.when(pl.lit(offset)).then(aware).otherwise(utc_naive.utc)).to_series()
                return utc, utc_naive.ambiguous, utc_naive.nonexistent
            naive = text.str.to_datetime(strict=False, time_unit="us")
    result = local_to_utc(naive, src.timezone)
    return result.utc, result.ambiguous, result.nonexistent


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
        if c not in (id_column, "source", "source_seq", "batch_id"))
    digest = ("md5(case when _key is not null then source || chr(31) || 'key' || chr(31) || _key "
              "else source || chr(31) || 'row' || chr(31) || _content || chr(31) || "
              "(row_number() over (partition by hash(_content) order by source_seq) - 1)::varchar end)::uuid")
    staged_rows = ("select " + ", ".join(f"{digest} as {c}" if c == id_column else c for c in columns)
                   + f" from (select *, case when _key is null then {content} end as _content from _batch)")
    once = f" qualify row_number() over (partition by {id_column} order by source_seq) = 1" if keyed else ""
    return (f"insert into {table} select * from ({staged_rows}) as n where not exists "
            f"(select 1 from {table} as t where t.{id_column} = n.{id_column}){once}")


def staged(schema: pa.Schema) -> pa.Schema:
    """A canonical schema as staged within a batch: the id still empty, the source's key beside it."""
    return pa.schema([f.with_nullable(True) for f in schema] + [pa.field("_key", pa.string())])


def protect(frame: pl.DataFrame, personal: list[str], pseudo: Pseudonymiser) -> pl.DataFrame:
    """Personal columns pseudonymised, every other text column scrubbed of CPR-shaped strings."""
    personal_cols = [c for c in frame.columns if c in personal]
    text_cols = [c for c, t in frame.schema.items() if t == pl.Utf8 and c not in personal_cols and c != "row_number"]
    return frame.with_columns([pseudo.column(frame[c]).alias(c) for c in personal_cols]
                              + [pseudo.scrub_column(frame[c]).alias(c) for c in text_cols])


def _seconds(column: str | None, src: Source) -> pl.Expr:
    """A duration column as seconds: text read with the source's decimal mark, times its unit."""
    if column is None:
        return pl.lit(None, dtype=pl.Float64)
    text = pl.col(column).cast(pl.Utf8).str.strip_chars()
    if src.decimal == ",":
        text = text.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    return text.cast(pl.Float64, strict=False) * SECONDS_PER[src.duration_unit]


def to_canonical(chunk: RawChunk, src: Source, name: str, batch_id: int, pseudo: Pseudonymiser
                 ) -> tuple[pa.Table, list[tuple], int, int]:
    """(canonical rows, quarantine rows (row number, field, reason, row json), dst ambiguous, dst nonexistent)."""
    frame = chunk.frame
    quarantine = [(row, None, reason, json.dumps({"line": pseudo.scrub(text)[:2000]}, ensure_ascii=False))
                  for row, reason, text in chunk.unreadable]
    m = src.mapping
    needed = [c for c in (m.ts, m.case_id, m.activity, m.lifecycle, m.resource, m.org_unit, m.citizen_key,
                          m.source_key, m.direction, m.duration, src.process_column, src.channel_column) if c]
    missing = [c for c in needed if c not in frame.columns]
    if frame.height and missing:
        raise LoadError(f"column {missing[0]!r} named in sources.{name} is not in the file "
                        f"(it has: {', '.join(c for c in frame.columns if c != 'row_number')})")
    if not frame.height:
        schema = CONTACTS if src.records == "contacts" else EVENTS
        return staged(schema).empty_table(), quarantine, 0, 0
    frame = protect(frame, src.personal, pseudo)
    ts, ambiguous, nonexistent = parse_ts(frame[m.ts], src)

    def col(c: str | None, fixed: str | None = None, values: dict[str, str] | None = None) -> pl.Expr:
        if c is None:
            return pl.lit(fixed, dtype=pl.Utf8)
        e = pl.col(c).cast(pl.Utf8).str.strip_chars()
        return e.replace(values) if values else e

    row_cols = [c for c in frame.columns if c != "row_number"]
    mapped = {m.ts, m.case_id, m.activity, m.lifecycle, m.resource, m.org_unit, m.citizen_key, m.direction,
              m.duration, src.process_column, src.channel_column}
    attrs_cols = [c for c in row_cols if c not in mapped]  # everything else the source has, kept
    text = pl.lit(None, dtype=pl.Utf8)
    common = {
        "source": pl.lit(name, dtype=pl.Utf8),
        "ts": pl.col("_ts"),
        "resource": col(m.resource),
        "org_unit": col(m.org_unit),
        "citizen_key": col(m.citizen_key),
        "attributes": pl.struct(attrs_cols).struct.json_encode() if attrs_cols else pl.lit("{}"),
        "source_seq": pl.col("row_number"),
        "batch_id": pl.lit(batch_id, dtype=pl.Int64),
    }
    channel = col(src.channel_column, src.channel, src.channel_values)
    direction = col(m.direction, src.direction, src.direction_values)
    unreadable_ts = "timestamp missing or not readable" + (f" as {src.timestamp_format}" if src.timestamp_format
                                                           else "")
    if src.records == "contacts":
        columns = {"contact_id": text, **common, "channel": channel, "direction": direction,
                   "case_ref": col(m.case_id), "duration_seconds": _seconds(m.duration, src)}
        schema = CONTACTS
        checks = [("ts", m.ts, unreadable_ts)]
    else:
        process = col(src.process_column, src.process, src.process_values)
        known = sorted(set(src.process_values.values())) if src.process_column and src.process_values else None
        if known:
            process = pl.when(process.is_in(known)).then(process).otherwise(None)
        columns = {"event_id": text, "process": process, "case_id": col(m.case_id),
                   "activity": col(m.activity, src.activity), **common,
                   "lifecycle": col(m.lifecycle, "complete", src.lifecycle_values), "channel": channel,
                   "direction": direction}
        schema = EVENTS
        checks = [("ts", m.ts, unreadable_ts), ("activity", m.activity, "activity is empty")]
        if known:
            checks.append(("process", src.process_column, f"value not in process_values ({', '.join(known)})"))
    key = pl.col(m.source_key).cast(pl.Utf8) if m.source_key else text
    out = frame.with_columns(_ts=ts).select(**{c: columns[c] for c in schema.names}, _key=key)
    bad = None
    for field, source_col, reason in checks:
        hit = out[field].is_null()
        if out[field].dtype == pl.Utf8:
            hit = hit | (out[field] == "")
        if bad is not None:
            hit = hit & ~bad
        if hit.any():
            rows = frame.filter(hit)
            for rn, data in zip(rows["row_number"].to_list(),
                                rows.select(pl.struct(row_cols).struct.json_encode())[:, 0].to_list()):
                quarantine.append((rn, source_col, reason, data))
        bad = hit if bad is None else bad | hit
    if bad is not None and bad.any():
        out = out.filter(~bad)
    return out.to_arrow().cast(staged(schema)), quarantine, ambiguous, nonexistent


def load_file(con: duckdb.DuckDBPyConnection, src: Source, name: str, path: Path, pseudo: Pseudonymiser,
              *, chunk_rows: int | None = None, on_rows: Callable[[int], None] | None = None) -> BatchReport:
    """Load one file of a source as one batch: staged, then stored in one transaction.

    `on_rows(n)` is called as rows are read (for progress bars).
    """
    digest = sha256_of(path)
    done = con.execute("select batch_id from meta.batches where source = ? and file = ? and sha256 = ? "
                       "and status = 'done'", [name, str(path), digest]).fetchall()
    if done:
        return BatchReport(name, str(path), done[0][0], skipped=True)
    opts = {"encoding": src.encoding, "delimiter": src.delimiter} if src.kind == "csv" else {}
    if src.kind == "excel":
        opts["sheets"] = src.sheets
    if chunk_rows:
        opts["chunk_rows"] = chunk_rows
    table = "staging.contacts" if src.records == "contacts" else "staging.events"
    schema = CONTACTS if src.records == "contacts" else EVENTS
    batch_id = con.execute("select nextval('meta.batch_ids')").fetchall()[0][0]
    started = con.execute("select now()").fetchall()[0][0]
    report = BatchReport(name, str(path), batch_id)
    stage = _Stager(con, src, name, path, batch_id, pseudo, report, on_rows)
    try:
        # Stage the file outside the batch's transaction (see COMMIT_ROWS); the batch's transaction
        # then moves it into the warehouse with one INSERT ... SELECT, which DuckDB writes out as it goes.
        _create_stage(con, table, ocel=src.kind == "ocel")
        if src.kind == "ocel":
            _stage_ocel(stage, opts)
            stage.done()
        elif src.kind == "parquet" and parquet_sql.eligible(src, path):
            con.execute("drop table main._batch")
            report.rows_read, report.rows_quarantined = parquet_sql.stage(con, src, name, path, batch_id, pseudo)
            report.rows_loaded = report.rows_read - report.rows_quarantined
            if on_rows:
                on_rows(report.rows_read)
        else:
            for chunk in READERS[src.kind](path, **opts):
                stage.chunk(chunk, "_batch")
            stage.done()
            staged_rows = con.execute("select count(*), count(source) from _batch").fetchall()[0]
            if staged_rows != (report.rows_loaded, report.rows_loaded):
                raise LoadError(f"staged {staged_rows[1]:,} of {report.rows_loaded:,} rows: the database lost rows "
                                "while staging; nothing kept")
        con.execute("begin transaction")
        try:
            _store(con, stage, table, schema, digest, started)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return report
    except Exception as e:
        if isinstance(e, LoadError):
            raise LoadError(f"{path}: {e}") from None
        if isinstance(e, ReadError):
            raise LoadError(f"{pseudo.scrub(str(e))} (load failed, nothing kept)") from None
        raise LoadError(f"{path}: load failed, nothing kept: {type(e).__name__}: {pseudo.scrub(str(e))}") from e
    finally:
        stage.abandon()
        _drop_stage(con)


def _create_stage(con: duckdb.DuckDBPyConnection, table: str, *, ocel: bool) -> None:
    """The stage tables of one load (in `main`, committed as they fill; dropped when the load ends)."""
    _drop_stage(con)
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


def _store(con: duckdb.DuckDBPyConnection, stage: "_Stager", table: str, schema: pa.Schema, digest: str,
           started) -> None:
    """Everything the batch brings, from the stage tables into the warehouse (inside its transaction)."""
    src, report, batch_id = stage.src, stage.report, stage.batch_id
    con.execute("insert into meta.batches (batch_id, source, file, sha256, started_at) values (?, ?, ?, ?, ?)",
                [batch_id, stage.name, str(stage.path), digest, started]).fetchall()
    if src.kind == "ocel":
        _store_ocel(stage)
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
                        ("row_data", pa.string())])


@dataclass
class _Stager:
    """Puts one file's chunks into the batch's temporary tables, counting and quarantining."""

    con: duckdb.DuckDBPyConnection
    src: Source
    name: str
    path: Path
    batch_id: int
    pseudo: Pseudonymiser
    report: BatchReport
    on_rows: Callable[[int], None] | None = None
    open: bool = False  # a stage transaction is open
    pending: int = 0  # rows appended in it

    def chunk(self, chunk: RawChunk, target: str, src: Source | None = None) -> None:
        rows, quarantine, ambiguous, nonexistent = to_canonical(chunk, src or self.src, self.name, self.batch_id,
                                                                self.pseudo)
        r = self.report
        read = chunk.frame.height + len(chunk.unreadable)
        r.rows_read += read
        r.rows_quarantined += len(quarantine)
        r.rows_loaded += rows.num_rows
        r.dst_ambiguous += ambiguous
        r.dst_nonexistent += nonexistent
        if rows.num_rows:
            self.insert(target, rows)
        if quarantine:
            self.insert("_quarantine", pa.Table.from_pylist(
                [{"batch_id": self.batch_id, "source": self.name, "file": str(self.path), "row_number": rn,
                  "field": fld, "reason": reason, "row_data": data} for rn, fld, reason, data in quarantine],
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
            self.con.execute("rollback")
        self.open, self.pending = False, 0


OCEL_STAGE_TABLES = {
    "_ocel_objects": "object_id varchar, object_type varchar, attributes json",
    "_ocel_changes": "object_id varchar, ts timestamptz, field varchar, value varchar",
    "_ocel_relations": "event_key varchar, object_id varchar, qualifier varchar",
    "_ocel_o2o": "object_id varchar, related_id varchar, qualifier varchar",
}
# each OCEL record kind: its temporary table, its columns as the reader names them, and which must be there
OCEL_RECORDS = {
    "objects": ("_ocel_objects", ("ocel:oid", "ocel:type")),
    "changes": ("_ocel_changes", ("ocel:oid", "ocel:timestamp", "ocel:field")),
    "relations": ("_ocel_relations", ("ocel:eid", "ocel:oid")),
    "o2o": ("_ocel_o2o", ("ocel:oid", "ocel:oid_2")),
}


def ocel_events_source(src: Source) -> Source:
    """An OCEL source as the event mapper sees it: the log's own names for time, activity and key."""
    m = src.mapping
    mapping = Mapping(ts="ocel:timestamp", activity="ocel:activity", source_key="ocel:eid",
                      resource=m.resource if m else None, org_unit=m.org_unit if m else None,
                      lifecycle=m.lifecycle if m else None, citizen_key=m.citizen_key if m else None)
    return src.model_copy(update={"mapping": mapping})


def _stage_ocel(stage: _Stager, opts: dict) -> None:
    """An OCEL file's events (counted and quarantined like any source's rows), objects and relations, staged."""
    from connectors.ocel import read_ocel

    events_src = ocel_events_source(stage.src)
    for part in read_ocel(stage.path, **opts):
        if part.part == "events":
            stage.chunk(part.chunk, "_ocel_events", events_src)
            continue
        table, required = OCEL_RECORDS[part.part]
        frame = protect(part.chunk.frame, stage.src.personal, stage.pseudo)
        for column in required:
            empty = frame.filter(pl.col(column).is_null() | (pl.col(column) == ""))
            if empty.height:
                raise LoadError(f"OCEL {part.part} record {empty['row_number'][0]}: {column} is empty")
        if part.part == "objects":
            extra = [c for c in frame.columns if c not in ("row_number", "ocel:oid", "ocel:type")]
            attributes = (frame.select(pl.struct(extra).struct.json_encode())[:, 0] if extra
                          else pl.Series(["{}"] * frame.height))
            out = pl.DataFrame({"object_id": frame["ocel:oid"], "object_type": frame["ocel:type"],
                                "attributes": attributes})
        elif part.part == "changes":
            ts, _, _ = parse_ts(frame["ocel:timestamp"], stage.src)
            if ts.null_count():
                bad = frame.filter(ts.is_null())["row_number"][0]
                raise LoadError(f"OCEL object change {bad}: time not readable")
            out = pl.DataFrame({"object_id": frame["ocel:oid"], "ts": ts, "field": frame["ocel:field"],
                                "value": frame["ocel:value"]})
        else:
            first = "ocel:eid" if part.part == "relations" else "ocel:oid"
            second = "ocel:oid" if part.part == "relations" else "ocel:oid_2"
            out = pl.DataFrame({"a": frame[first], "b": frame[second],
                                "qualifier": frame["ocel:qualifier"].fill_null("")})
        stage.insert(table, out)


def _store_ocel(stage: _Stager) -> None:
    """An OCEL batch's staged parts into staging, and its events flattened into the batch's events."""
    con = stage.con
    params = {"source": stage.name, "batch_id": stage.batch_id, "object_type": stage.src.object_type}
    for statement in _sql("ocel_store.sql").split(";"):
        body = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--")).strip()
        if body:
            con.execute(body, {k: v for k, v in params.items() if f"${k}" in body}).fetchall()
    stage.report.rows_new = con.execute("select count(*) from staging.ocel_events where batch_id = ?",
                                        [stage.batch_id]).fetchall()[0][0]


class Progress:
    """What a load reports as it goes (the CLI draws progress bars from it); by default nothing."""

    def file_started(self, source: str, path: Path) -> None:
        pass

    def rows(self, n: int) -> None:
        pass

    def file_done(self, report: BatchReport) -> None:
        pass


def source_files(src: Source, name: str, root: Path) -> list[Path]:
    """A source's files (its path may be a glob), in name order; an error when there are none."""
    pattern = src.path
    files = sorted(root.glob(pattern)) if any(ch in pattern for ch in "*?[") else [root / pattern]
    missing = [f for f in files if not f.is_file()]
    if not files or missing:
        raise LoadError(f"sources.{name}: no file at {root / pattern}")
    return files


def load_source(con: duckdb.DuckDBPyConnection, src: Source, name: str, root: Path, pseudo: Pseudonymiser,
                progress: Progress | None = None) -> list[BatchReport]:
    """Every file of a source, each one batch."""
    progress = progress or Progress()
    reports = []
    for f in source_files(src, name, root):
        progress.file_started(name, f)
        reports.append(load_file(con, src, name, f, pseudo, on_rows=progress.rows))
        progress.file_done(reports[-1])
    return reports


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
    try:
        for name, src in cfg.sources.items():
            if only and name not in only:
                continue
            reports += load_source(con, src, name, root, pseudo, progress)
    finally:
        con.close()
    return reports
