"""The nightly run's steps, as plain functions: the Prefect flow (`flows.nightly`) orchestrates them, and
`run_night` runs them in order without Prefect (tests, and the crash tests' child processes).

extract (per source: which files are there, are they complete and new) -> load (one
source after the other: DuckDB has one writer) -> mine (every mart brought up to date;
the per-case marts only for the cases new batches touched) -> record (KPI history, new
deadline breaches, the run) -> publish (a snapshot swapped in by one rename) -> summary.
A source that fails is recorded and the others go on; a failure in mining or
publishing leaves the last published snapshot as it was. The morning report is `flows.report`'s.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from flows.boundary import Redacted
from flows.report import NightResult, SourceResult, pseudonymised_whole, summary_markdown
from vaerdistrom.errors import VaerdistromError
from warehouse.batch import BatchReport, LoadError, file_label, sha256_of
from warehouse.config import PULLED, Config
from warehouse.load import Progress, SourceError, load_file, load_pull, resolve_key, source_files
from warehouse.pseudonym import redact
from warehouse.pull import check

SQL = Path(__file__).with_name("sql")


class SourceNotReady(VaerdistromError, RuntimeError):
    """A source's file changed while it was read (an export still being written): try again later."""


def describe(e: BaseException) -> str:
    """An error in one line for the morning report: our own errors as they are, others with their type; a CPR number
    in it (a failing value, a file's name) replaced by a mark."""
    return redact(str(e) if isinstance(e, (LoadError, SourceNotReady, Redacted)) else f"{type(e).__name__}: {e}") or ""


StepHook = Callable[[str], None]
"""Told each step a night reaches, as it reaches it: "load:rows" (rows of a file stored), "load:file" (a file
done), "mine:<mart>" (a mart built), "publish:written" (the snapshot written, not yet swapped in). The crash
tests hand `run_night` one that stops the process at a step they choose."""


def no_step(name: str) -> None:
    """The hook of a night nobody follows step by step."""


@dataclass
class Extracted:
    """One source's files as the run found them: path, size and sha256, and whether they are new; for a source
    pulled from a live system (a database or an API), no files: it was reached, and is pulled when it loads."""

    source: str
    files: list[tuple[Path, int, str]]
    new: list[Path]
    pull: bool = False


EXTRACT_THREADS = 4  # sources hashed at once by `run_night`


def night_of(now: dt.datetime, timezone: str) -> dt.date:
    """The night a run belongs to: its local date (a 02:00 run on the 24th is the night of the 24th)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def extract(cfg: Config, root: Path, name: str, loaded: set[tuple[str, str]]) -> Extracted:
    """Source `name`'s files, each hashed, with those not loaded before; SourceNotReady when a file changes
    while it is read (retry later); LoadError when the source has no file. A database or an API is only
    checked here (reached, credentials accepted), so that an unreachable one is retried with the others."""
    src = cfg.sources[name]
    if src.kind in PULLED:
        check(src, name)
        return Extracted(name, [], [], pull=True)
    files = []
    for path in source_files(src, name, root):
        before = path.stat()
        digest = sha256_of(path)
        after = path.stat()
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
            raise SourceNotReady(f"sources.{name}: {path} changed while it was read (an export still running?)")
        files.append((path, after.st_size, digest))
    return Extracted(name, files, [p for p, _, d in files if (file_label(p), d) not in loaded])


def loaded_files(con: duckdb.DuckDBPyConnection, source: str) -> set[tuple[str, str]]:
    """(file, sha256) of every file of `source` the warehouse has loaded."""
    return {
        (f, d)
        for f, d in con.execute(
            "select file, sha256 from meta.batches where source = ? and status = 'done' and sha256 is not null",
            [source],
        ).fetchall()
    }


class RunProgress(Progress):
    """A run's loading progress across its sources, told to its step hook."""

    def __init__(self, on_step: StepHook = no_step) -> None:
        self.on_step = on_step

    def rows(self, n: int) -> None:
        self.on_step("load:rows")

    def file_done(self, report: BatchReport) -> None:
        self.on_step("load:file")


def load(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    root: Path,
    extracted: Extracted,
    pseudo,
    progress: RunProgress | None = None,
) -> list[BatchReport]:
    """Load a source's new files, each one batch in one transaction (a database or an API: one pull)."""
    progress = progress or RunProgress()
    if extracted.pull:
        reports = [load_pull(con, cfg.sources[extracted.source], extracted.source, pseudo, on_rows=progress.rows)]
        progress.file_done(reports[0])
        return reports
    reports: list[BatchReport] = []
    for path in extracted.new:
        try:
            reports.append(
                load_file(con, cfg.sources[extracted.source], extracted.source, path, pseudo, on_rows=progress.rows)
            )
        except LoadError as e:  # the files stored before it stay stored, and counted
            raise SourceError(str(e), reports) from None
        progress.file_done(reports[-1])
    return reports


def mine(
    con: duckdb.DuckDBPyConnection, cfg: Config, root: Path, warnings: list[str], on_step: StepHook = no_step
) -> dict[str, float]:
    """Every mart brought up to date (per-case marts only for the cases new batches touched), each told to
    `on_step` as "mine:<mart>" once built."""
    from mining.build import build_all

    return build_all(con, cfg, root, warnings=warnings, after=lambda mart: on_step(f"mine:{mart}"))


def record(con: duckdb.DuckDBPyConnection, night: dt.date) -> tuple[list[dict], dict[str, dict], list[dict]]:
    """Tonight's KPIs (replacing a rerun's), the previous night's KPIs per process, and tonight's new deadline
    breaches."""
    params = {"night": night}
    con.execute("begin transaction")
    try:
        con.execute("delete from meta.kpi_history where night = $night", params)
        con.execute("insert into meta.kpi_history by name " + (SQL / "kpi_history.sql").read_text(), params)
        con.execute("insert into meta.deadline_breaches by name " + (SQL / "new_breaches.sql").read_text(), params)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    kpis = (
        con.sql("select * from meta.kpi_history where night = $night order by process", params=params)
        .to_arrow_table()
        .to_pylist()
    )
    previous = {
        r["process"]: r
        for r in con.sql(
            "select * from meta.kpi_history "
            "where night = (select max(night) from meta.kpi_history where night < $night)",
            params=params,
        )
        .to_arrow_table()
        .to_pylist()
    }
    breaches = (
        con.sql(
            "select process, case_id, status from meta.deadline_breaches where first_seen_night = $night "
            "order by process, case_id",
            params=params,
        )
        .to_arrow_table()
        .to_pylist()
    )
    return kpis, previous, breaches


def save_run(con: duckdb.DuckDBPyConnection, result: NightResult) -> None:
    """The run's row in meta.runs (a rerun of the night replaces it)."""
    con.execute(
        "insert or replace into meta.runs values (?, ?, ?, ?, ?, ?, ?)",
        [
            result.night,
            result.run_id,
            result.started_at,
            dt.datetime.now(dt.UTC),
            result.status,
            result.message,
            result.summary_md,
        ],
    )


def finish(result: NightResult, fail_on_source_error: bool) -> None:
    """The run's final status by the documented policy: a failed source fails the run (when configured so),
    after the other sources were loaded, mined and published."""
    failed = result.failed_sources
    if failed:
        result.message = f"sources that failed: {', '.join(failed)} (the others were loaded, mined and published)"
        result.status = "failed" if fail_on_source_error else "completed"
    else:
        result.status = "completed"


def new_night(cfg: Config, now: dt.datetime | None = None) -> NightResult:
    """A run's result, empty, for the night `now` (default: now) falls in."""
    now = now or dt.datetime.now(dt.UTC)
    return NightResult(night_of(now, cfg.nightly.timezone), uuid.uuid4().hex, now)


def publish_snapshot(
    con: duckdb.DuckDBPyConnection, published: Path, on_step: StepHook = no_step
) -> tuple[Path, dict[str, str]]:
    """The snapshot published to the folder `published`, and how each mart got there (the per-case marts are
    updated for the cases new batches touched, the keyed ones for the keys whose rows changed); `on_step` is told
    "publish:written" between writing the snapshot and swapping it in."""
    from mining.catalogue import MARTS
    from warehouse.publish import publish

    return publish(
        con,
        published,
        on_step,
        frozenset(m for m, mart in MARTS.items() if mart.per_case),
        {m: mart.key for m, mart in MARTS.items() if mart.key},
    )


@dataclass(frozen=True)
class Steps:
    """How a night calls its steps: plain functions (`run_night`) or Prefect tasks (the nightly flow).

    `extract_all` gets each source's loaded files and returns, per source, a call that gives
    its `Extracted` (or raises): the flow starts every extraction at once, `run_night` makes
    them one by one as the sources load.
    """

    extract_all: Callable[[dict[str, set[tuple[str, str]]]], dict[str, Callable[[], Extracted]]]
    load: Callable = load
    mine: Callable = mine
    record: Callable = record
    publish: Callable = publish_snapshot
    log: Callable[[str], None] = lambda message: None
    on_step: StepHook = no_step  # told the loading steps; `run_night` hands its `mine` and `publish` the same hook


def night(cfg: Config, root: Path, result: NightResult, steps: Steps) -> None:
    """The night's steps in order, filling `result`; the caller holds the run lock."""
    from warehouse.migrations import connect

    pseudo = resolve_key(cfg, root)
    progress = RunProgress(steps.on_step)
    con = connect(root / cfg.warehouse, cfg.memory_limit)
    if any(p.bpmn for p in cfg.processes.values()):
        from mining.pm4py_adapter import warm_up

        warm_up()  # pm4py imports while the sources load
    try:
        pending = steps.extract_all({name: loaded_files(con, name) for name in cfg.sources})
        for name, extracted in pending.items():  # loaded one by one: DuckDB has one writer
            start = time.perf_counter()
            source = SourceResult(name)
            try:
                source.reports = steps.load(con, cfg, root, extracted(), pseudo, progress)
                result.warnings += [pseudonymised_whole(name, r) for r in source.reports if r.columns_pseudonymised]
            except Exception as e:  # noqa: BLE001 - one source's failure must not stop the others
                source.reports = getattr(e, "reports", [])
                source.error = describe(e)
                steps.log(f"source {name} failed: {source.error}")
            source.seconds = time.perf_counter() - start
            result.sources.append(source)
        result.seconds |= steps.mine(con, cfg, root, result.warnings)
        for warning in result.warnings:
            steps.log(warning)
        result.kpis, result.previous, result.breaches = steps.record(con, result.night)
        finish(result, cfg.nightly.fail_on_source_error)
        result.summary_md = summary_markdown(result)
        save_run(con, result)
        try:
            result.snapshot, result.published = steps.publish(con, root / cfg.nightly.published)
        except Exception as e:
            result.status = "failed"
            result.message = result.failure = f"publishing failed ({describe(e)}): last night's snapshot stays"
            result.summary_md = summary_markdown(result)
            save_run(con, result)
            raise
    finally:
        con.close()


def run_night(cfg: Config, root: Path, now: dt.datetime | None = None, on_step: StepHook = no_step) -> NightResult:
    """The whole night without Prefect, in order, under the warehouse's run lock; `on_step` is told each step
    it reaches (see `StepHook`)."""
    from flows.lock import run_lock

    result = new_night(cfg, now)
    with run_lock(root / cfg.warehouse), ThreadPoolExecutor(max_workers=EXTRACT_THREADS) as pool:
        # every source hashed at once (hashing lets go of the GIL), loaded one by one as each is ready
        at_once = Steps(
            extract_all=lambda loaded: {
                name: pool.submit(extract, cfg, root, name, files).result for name, files in loaded.items()
            },
            mine=partial(mine, on_step=on_step),
            publish=partial(publish_snapshot, on_step=on_step),
            on_step=on_step,
        )
        night(cfg, root, result, at_once)
    return result
