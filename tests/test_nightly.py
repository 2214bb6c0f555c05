"""The nightly run: a real Prefect flow run, reruns, crashes at any step, readers during a run, the lock and a
failing source."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from support.compare import same
from support.simulations import KEY

from flows import pipeline
from flows.lock import RunLocked, run_lock
from warehouse.config import load_config
from warehouse.session import open_snapshot, snapshot_path

CRASH = Path(__file__).with_name("support") / "crash.py"  # a night in a child process, killed at a step
NIGHT1 = dt.datetime(2026, 1, 10, 1, 0, tzinfo=dt.UTC)
NIGHT2 = dt.datetime(2026, 1, 11, 1, 0, tzinfo=dt.UTC)
PARTIAL = ("sbsys/sagsaktiviteter.csv", "nexus/haendelser.jsonl", "telefoni/opkald.csv")
# what may differ between two equal runs: conformance_models holds the seconds each check took (equal-cost
# alignments are broken by a stable rule, so deviations are compared too)
TIMINGS = "(model, alignment_seconds, replay_seconds, precision_seconds)"  # model: the folder's own path


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("VAERDISTROM_PSEUDONYM_KEY", KEY)


def _head(path: Path, fraction: float) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    header = 0 if path.suffix == ".jsonl" else 1
    path.write_bytes(b"".join(lines[: header + int((len(lines) - header) * fraction)]))


def _municipality(small: Path, where: Path, *, partial: bool = False) -> Path:
    shutil.copytree(small, where)
    if partial:  # yesterday's exports: fewer rows
        for f in PARTIAL:
            _head(where / f, 0.6)
    return where


def _complete(small: Path, where: Path) -> None:
    for f in PARTIAL:  # tonight's exports: the same rows and more
        shutil.copy(small / f, where / f)


def _marts(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (table,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall():
            exclude = {"conformance_models": TIMINGS, "conformance_processes": "(model)"}.get(
                table
            )  # model: the folder's own path
            sql = f"select * {'exclude ' + exclude if exclude else ''} from marts.{table} order by all"
            out[table] = con.execute(sql).fetchall()
        return out
    finally:
        con.close()


def _rows(db: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select * from {table} order by all").fetchall()
    finally:
        con.close()


def _assert_same_marts(mine: dict, other: dict) -> None:
    assert set(mine) == set(other)
    for table in mine:
        assert len(mine[table]) == len(other[table]), table
        bad = [(x, y) for x, y in zip(mine[table], other[table], strict=True) if not same(x, y)]
        assert not bad, (table, bad[:2])


def _run(root: Path, now: dt.datetime) -> pipeline.NightResult:
    cfg, base = load_config(root / "vaerdistrom.toml")
    return pipeline.run_night(cfg, base, now)


def _run_child(root: Path, now: dt.datetime, kill_at: str | None) -> int:
    env = dict(os.environ, VAERDISTROM_PSEUDONYM_KEY=KEY)
    return subprocess.run(
        [sys.executable, str(CRASH), str(root), now.isoformat(), *([kill_at] if kill_at else [])],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
    ).returncode


@pytest.mark.slow
def test_a_night_then_the_next_records_kpis_breaches_and_publishes(small, tmp_path):
    root = _municipality(small, tmp_path / "m", partial=True)
    first = _run(root, NIGHT1)
    assert first.status == "completed" and not first.failed_sources
    _complete(small, root)
    second = _run(root, NIGHT2)
    cfg, _ = load_config(root / "vaerdistrom.toml")
    # only the re-exported sources had new rows; the others' files were skipped (same sha256)
    new = {s.source: s.rows["rows_new"] for s in second.sources}
    assert {s for s, n in new.items() if n} == {"sbsys", "nexus", "telefoni"}
    assert all(r.skipped for s in second.sources if s.source not in new or not new[s.source] for r in s.reports)
    con = open_snapshot(root / cfg.nightly.published)
    try:
        # the snapshot holds what the warehouse holds
        assert con.execute("select count(*) from marts.event_sequence").fetchall()[0][0] == sum(
            s.rows["rows_new"]
            for r in (first, second)
            for s in r.sources
            if s.source in ("sbsys", "nexus", "momentum", "pladsanvisning")
        )
        history = con.execute(
            "select night, process, n_cases, median_lead_time_days from meta.kpi_history order by night, process"
        ).fetchall()
        assert [n for n, *_ in history] == [NIGHT1.date()] * 5 + [NIGHT2.date()] * 5
        tonight = {p: (n, m) for night, p, n, m in history if night == NIGHT2.date()}
        expected = dict(
            (p, (n, m))
            for p, n, m in con.execute(
                "select process, n_cases, median_lead_time_days from marts.value_stream_summary"
            ).fetchall()
        )
        assert tonight == expected
        # tonight's new breaches: breached now, not last night
        breached = {
            (p, c)
            for p, c in con.execute(
                "select process, case_id from marts.deadlines where status in ('missed', 'overdue')"
            ).fetchall()
        }
        seen = {
            (p, c): n
            for p, c, n in con.execute(
                "select process, case_id, first_seen_night from meta.deadline_breaches"
            ).fetchall()
        }
        assert breached <= set(seen)
        assert {(b["process"], b["case_id"]) for b in second.breaches} == {
            k for k, n in seen.items() if n == NIGHT2.date()
        }
        assert con.execute("select night, status from meta.runs order by night").fetchall() == [
            (NIGHT1.date(), "completed"),
            (NIGHT2.date(), "completed"),
        ]
    finally:
        con.close()
    # the morning report: rows per source, KPIs against the night before, the new breaches
    md = second.summary_md
    assert f"| nexus | 1 | {second.sources[1].rows['rows_read']:,} | {new['nexus']:,} |" in md
    assert f"## New deadline breaches: {len(second.breaches):,}" in md
    assert "(" in md.split("## KPIs")[1].split("## New")[0]  # last night's values in brackets
    # a rerun of the same night loads nothing and replaces the night's KPIs and run, counting nothing twice
    again = _run(root, NIGHT2)
    assert sum(s.rows["rows_new"] for s in again.sources) == 0
    assert {(b["process"], b["case_id"]) for b in again.breaches} == {
        (b["process"], b["case_id"]) for b in second.breaches
    }
    con = open_snapshot(root / cfg.nightly.published)
    try:
        assert con.execute("select count(*), count(distinct (night, process)) from meta.kpi_history").fetchall() == [
            (10, 10)
        ]
        assert con.execute("select count(*) from meta.runs").fetchall() == [(2,)]
    finally:
        con.close()


@pytest.mark.slow
def test_a_night_publishes_the_touched_cases_and_gives_the_snapshot_a_whole_publish_gives(small, tmp_path):
    from mining.build import build_all
    from mining.catalogue import MARTS
    from warehouse.publish import publish

    root = _municipality(small, tmp_path / "m", partial=True)
    assert set(_run(root, NIGHT1).published.values()) == {"whole"}  # nothing published yet
    _complete(small, root)
    second = _run(root, NIGHT2)
    per_case = {m for m, mart in MARTS.items() if mart.per_case}
    assert {m for m, how in second.published.items() if how == "cases"} == per_case
    # the marts rebuilt whole every night get only their changed keys
    assert {m for m, how in second.published.items() if how == "changed"} == {m for m, x in MARTS.items() if x.key}
    con = duckdb.connect(str(root / "vaerdistrom.duckdb"))
    try:
        whole, how = publish(con, tmp_path / "whole")  # every mart copied whole from the same warehouse
        assert set(how.values()) == {"whole"}
        _assert_same_marts(_marts(snapshot_path(root / "published")), _marts(whole))
        # a mart of cases copied whole is written in process and case order (readers' filters skip blocks)
        written = duckdb.connect(str(whole), read_only=True)
        try:
            for mart in ("activity_instances", "bottleneck_waits", "event_sequence", "contact_cases"):
                out_of_order = written.execute(
                    f"select count(*) from (select process, case_id, lag(process) over (order by rowid) as p, "
                    f"lag(case_id) over (order by rowid) as c from marts.{mart}) "
                    "where p is not null and (p, c) > (process, case_id)"
                ).fetchall()[0][0]
                assert out_of_order == 0, mart
        finally:
            written.close()
        for table in ("meta.deadline_breaches", "marts.conformance_cases"):  # also the deviations left out above
            assert _rows(snapshot_path(root / "published"), table) == _rows(whole, table), table
        # a row corrected in place, then every mart rebuilt whole (`vaerdistrom mine --full`): no batch says which
        # case changed, so the next publish copies the per-case marts whole
        case_id, ts = con.execute(
            "update staging.events set ts = ts - interval 1 minute where event_id = (select "
            "min(event_id) from staging.events where case_id is not null) "
            "returning case_id, ts"
        ).fetchall()[0]
        cfg, base = load_config(root / "vaerdistrom.toml")
        build_all(con, cfg, base, incremental=False)
    finally:
        con.close()
    third = _run(root, NIGHT2)
    assert {third.published[m] for m in per_case} == {"whole"}
    snapshot = open_snapshot(root / "published")
    try:
        assert (case_id, ts) in snapshot.execute("select case_id, ts from marts.event_sequence").fetchall()
    finally:
        snapshot.close()
    fourth = _run(root, NIGHT2)  # in step again: case by case (no case touched tonight)
    assert {fourth.published[m] for m in per_case} == {"cases"}
    assert _marts(snapshot_path(root / "published")) == _marts(root / "vaerdistrom.duckdb")


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["load:rows", "mine:marts", "publish:written"])
def test_a_run_killed_at_any_step_then_rerun_gives_the_marts_of_an_uninterrupted_run(small, tmp_path, kill_at):
    reference = _municipality(small, tmp_path / "reference", partial=True)
    crashed = _municipality(small, tmp_path / "crashed", partial=True)
    for root in (reference, crashed):
        assert _run_child(root, NIGHT1, None) == 0
        _complete(small, root)
    published = crashed / "published" / "vaerdistrom.duckdb"
    before = published.read_bytes()
    assert _run_child(reference, NIGHT2, None) == 0
    assert _run_child(crashed, NIGHT2, kill_at) == -9  # SIGKILL, as a power cut
    assert published.read_bytes() == before  # last night's snapshot is still what readers get
    assert _run_child(crashed, NIGHT2, None) == 0
    _assert_same_marts(_marts(crashed / "vaerdistrom.duckdb"), _marts(reference / "vaerdistrom.duckdb"))
    _assert_same_marts(_marts(published), _marts(reference / "published" / "vaerdistrom.duckdb"))
    assert not list((crashed / "published").glob(".*tmp*"))  # the dead run's half snapshot is cleared


@pytest.mark.slow
def test_readers_during_runs_never_see_an_error_or_a_half_snapshot(small, tmp_path):
    root = _municipality(small, tmp_path / "m", partial=True)
    _run(root, NIGHT1)
    _complete(small, root)
    published = root / "published"
    errors, reads, stop = [], [], threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                con = open_snapshot(published)
                try:
                    night = con.execute("select max(night) from meta.runs").fetchall()[0][0]
                    kpi_nights = con.execute("select max(night) from meta.kpi_history").fetchall()[0][0]
                    cases = con.execute("select count(*) from marts.case_variants").fetchall()[0][0]
                    summed = con.execute("select sum(n_cases) from marts.value_stream_summary").fetchall()[0][0]
                finally:
                    con.close()
                assert night == kpi_nights and cases == summed  # one night's snapshot, whole
                reads.append(night)
            except Exception as e:  # noqa: BLE001 - any error a reader meets fails the test
                errors.append(repr(e))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        _run(root, NIGHT2)
        _run(root, NIGHT2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert NIGHT1.date() in reads or NIGHT2.date() in reads
    assert reads[-1] == NIGHT2.date() and len(reads) > 10


def test_a_second_run_is_refused_while_one_holds_the_warehouse(small, tmp_path):
    root = tmp_path / "m"
    root.mkdir()
    shutil.copy(small / "vaerdistrom.toml", root / "vaerdistrom.toml")
    cfg, base = load_config(root / "vaerdistrom.toml")
    with (
        run_lock(base / cfg.warehouse),
        pytest.raises(RunLocked, match=f"another vaerdistrom run holds .* \\(pid {os.getpid()}, started "),
    ):
        pipeline.run_night(cfg, base, NIGHT1)
    with run_lock(base / cfg.warehouse):  # released: taken again at once
        pass


@pytest.mark.slow
def test_a_failing_source_does_not_stop_the_others(small, tmp_path):
    root = _municipality(small, tmp_path / "m")
    (root / "telefoni" / "opkald.csv").unlink()
    result = _run(root, NIGHT1)
    assert result.failed_sources == ["telefoni"]
    assert result.status == "failed" and "telefoni" in result.message
    assert "no file at" in next(s.error for s in result.sources if s.source == "telefoni")
    assert all(s.rows["rows_new"] > 0 for s in result.sources if s.source != "telefoni")
    assert snapshot_path(root / "published").exists()  # the others were mined and published
    text = (root / "vaerdistrom.toml").read_text(encoding="utf-8")
    (root / "vaerdistrom.toml").write_text(text + "\n[nightly]\nfail_on_source_error = false\n", encoding="utf-8")
    assert _run(root, NIGHT2).status == "completed"


def test_a_file_still_being_written_is_not_ready(small, tmp_path, monkeypatch):
    root = _municipality(small, tmp_path / "m")
    cfg, base = load_config(root / "vaerdistrom.toml")
    real = pipeline.sha256_of

    def growing(path: Path) -> str:
        digest = real(path)
        with path.open("ab") as fh:  # the export job appends while we read
            fh.write(b"")
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
        return digest

    monkeypatch.setattr(pipeline, "sha256_of", growing)
    with pytest.raises(pipeline.SourceNotReady, match="changed while it was read"):
        pipeline.extract(cfg, base, "sbsys", set())
    monkeypatch.setattr(pipeline, "sha256_of", real)
    found = pipeline.extract(cfg, base, "sbsys", set())
    assert found.new == [base / "sbsys" / "sagsaktiviteter.csv"]
    assert pipeline.extract(cfg, base, "sbsys", {(str(found.new[0]), found.files[0][2])}).new == []
