"""Load a configured source into the warehouse: nothing lost, nothing doubled, no CPR stored.

One file (or one pull of a live system) is one batch, and every batch goes the same way:
read (`connectors`), mapped and pseudonymised (`mapping`), staged on disk outside the batch's
transaction (`stage`; a Parquet file in SQL by `parquet_sql`, an OCEL log's parts by
`ocel_stage`), then stored in one transaction (`store`): a crash leaves no half batch, and
`meta.batches` records rows read, loaded (new or already there) and quarantined, so that
rows read = rows loaded + rows quarantined for every batch. Reloading the same file adds
nothing (its sha256 is known); a re-export with more rows adds only the new ones, since
every event's id comes from the source's own key or, without one, from the row's content
and its occurrence number.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from connectors.base import RawChunk, ReadError
from connectors.files import READERS
from warehouse import parquet_sql
from warehouse.batch import BatchReport, LoadError, file_label, one_line, sha256_of
from warehouse.config import PULLED, Config, Source
from warehouse.migrations import connect, rollback
from warehouse.ocel_stage import stage_ocel
from warehouse.pseudonym import Pseudonymiser, load_key, redact
from warehouse.pull import open_pull
from warehouse.stage import Stager, create_stage, drop_stage, stage_chunks
from warehouse.store import record_failure, store


def load_file(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    name: str,
    path: Path,
    pseudo: Pseudonymiser,
    *,
    chunk_rows: int | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> BatchReport:
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
        error = LoadError(
            redact(
                f"{path}: cannot be read ({e.strerror or type(e).__name__}); nothing kept, it is "
                "tried again on the next run"
            )
        )
        batch_id = con.execute("select nextval('meta.batch_ids')").fetchall()[0][0]
        record_failure(
            con, BatchReport(name, str(path), batch_id), None, con.execute("select now()").fetchall()[0][0], str(error)
        )
        raise error from None

    def unchanged(_con: duckdb.DuckDBPyConnection, _report: BatchReport) -> None:  # last, inside the transaction
        now = path.stat()
        if (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or sha256_of(path) != digest:
            raise LoadError(
                "the file changed while it was read (an export still being written?): nothing kept; "
                "it is read again on the next run"
            )

    done = con.execute(
        "select batch_id from meta.batches where source = ? and file = ? and sha256 = ? and status = 'done'",
        [name, file_label(path), digest],
    ).fetchall()
    if done:
        return BatchReport(name, str(path), done[0][0], skipped=True)
    opts = (
        {
            "encoding": src.encoding,
            "delimiter": src.delimiter,
            "max_field_bytes": src.max_field_bytes,
            "unterminated_last_line": src.unterminated_last_line,
        }
        if src.kind == "csv"
        else {}
    )
    if src.kind == "excel":
        opts["sheets"] = src.sheets
    if chunk_rows:
        opts["chunk_rows"] = chunk_rows
    if src.kind == "ocel":
        return _load_batch(
            con,
            src,
            name,
            path,
            pseudo,
            digest=digest,
            on_rows=on_rows,
            stage_with=lambda stage: stage_ocel(stage, opts),
            on_store=unchanged,
        )
    if src.kind == "parquet" and parquet_sql.eligible(src, path):  # parquet_sql makes `_batch` a view over the file
        return _load_batch(
            con,
            src,
            name,
            path,
            pseudo,
            digest=digest,
            on_rows=on_rows,
            stage_with=parquet_sql.stage_file,
            batch_table=False,
            on_store=unchanged,
        )
    return load_chunks(
        con,
        src,
        name,
        path,
        READERS[src.kind](path, **opts),
        pseudo,
        digest=digest,
        on_rows=on_rows,
        on_store=unchanged,
    )


def load_pull(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    name: str,
    pseudo: Pseudonymiser,
    *,
    on_rows: Callable[[int], None] | None = None,
) -> BatchReport:
    """One pull of a database or API source as one batch, its new watermark stored with it."""
    pull = open_pull(con, src, name)
    return load_chunks(con, src, name, pull.label, pull.chunks, pseudo, on_rows=on_rows, on_store=pull.on_store)


def load_chunks(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    name: str,
    label: Path | str,
    chunks: Iterable[RawChunk],
    pseudo: Pseudonymiser,
    *,
    digest: str | None = None,
    on_rows: Callable[[int], None] | None = None,
    on_store: Callable[[duckdb.DuckDBPyConnection, BatchReport], None] | None = None,
) -> BatchReport:
    """Load rows read as `RawChunk`s (a file's at `label`, or a connector's pull named `label`) as one batch.

    The chunks are mapped and staged as they come; the batch is stored in one transaction, in
    which `on_store(con, report)` runs last (a pull records its new watermark there), so a read
    that breaks off keeps nothing and moves nothing on.
    """
    return _load_batch(
        con,
        src,
        name,
        label,
        pseudo,
        digest=digest,
        on_rows=on_rows,
        stage_with=lambda stage: stage_chunks(stage, chunks),
        batch_table=False,  # `stage_chunks` stages the rows in a file, `_batch` a view of it
        on_store=on_store,
    )


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    name: str,
    path: Path | str,
    pseudo: Pseudonymiser,
    *,
    digest: str | None,
    on_rows: Callable[[int], None] | None,
    stage_with: Callable[[Stager], None],
    batch_table: bool = True,
    on_store: Callable[[duckdb.DuckDBPyConnection, BatchReport], None] | None = None,
) -> BatchReport:
    """One batch: staged by `stage_with` outside the batch's transaction, then stored in one transaction."""
    batch_id = con.execute("select nextval('meta.batch_ids')").fetchall()[0][0]
    started = con.execute("select now()").fetchall()[0][0]
    report = BatchReport(name, str(path), batch_id)
    stage = Stager(con, src, name, path, batch_id, pseudo, report, on_rows)
    try:
        # Stage outside the batch's transaction (see stage.COMMIT_ROWS); the batch's transaction
        # then moves it into the warehouse with one INSERT ... SELECT, which DuckDB writes out as it goes.
        create_stage(con, src, batch_table=batch_table)
        stage_with(stage)
        stage.done()
        con.execute("begin transaction")
        try:
            store(con, stage, digest, started)
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
            error = LoadError(
                redact(f"{path}: load failed, nothing kept: {type(e).__name__}: {one_line(pseudo.scrub(str(e)) or '')}")
            )
        stage.abandon()
        record_failure(con, report, digest, started, str(error))
        raise error from (None if isinstance(e, (LoadError, ReadError)) else e)
    finally:
        stage.abandon()
        drop_stage(con)


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
    assert pattern is not None  # a file source has its path (config.Source checks it on load)
    files = matching_files(pattern, root)
    missing = [f for f in files if not f.is_file()]
    if not files or missing:
        raise LoadError(f"sources.{name}: no file at {root / pattern}")
    if src.ready_file and not (root / src.ready_file).exists():
        raise LoadError(
            f"sources.{name}: not ready: {src.ready_file} is not there yet (the export says it is done "
            "by writing it); read on a later run"
        )
    young = [f for f in files if time.time() - f.stat().st_mtime < src.min_age_seconds]
    if young:
        raise LoadError(
            f"sources.{name}: not ready: {young[0].name} was written less than {src.min_age_seconds} s "
            "ago (min_age_seconds); read on a later run"
        )
    return files


def load_source(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    name: str,
    root: Path,
    pseudo: Pseudonymiser,
    progress: Progress | None = None,
) -> list[BatchReport]:
    """Every file of a source, each one batch (a database or an API: one pull, one batch)."""
    progress = progress or Progress()
    if src.kind in PULLED:
        progress.file_started(name, Path(f"({src.kind})"))
        report = load_pull(con, src, name, pseudo, on_rows=progress.rows)
        progress.file_done(report)
        return [report]
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


def resolve_key(cfg: Config, root: Path) -> Pseudonymiser:
    """The pseudonymiser for a config: key from the environment, else from its key_file."""
    key_file = (root / cfg.key_file) if cfg.key_file else None
    return Pseudonymiser(load_key(key_file))


def load_all(
    cfg: Config, root: Path, only: list[str] | None = None, *, progress: Progress | None = None
) -> list[BatchReport]:
    """Load the configured sources (all, or those named in `only`) into the config's warehouse."""
    unknown = sorted(set(only or []) - set(cfg.sources))
    if unknown:
        raise LoadError(
            f"no source named {', '.join(map(repr, unknown))} in the config (it has: {', '.join(cfg.sources)})"
        )
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
