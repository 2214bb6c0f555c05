"""A CPR-salted corpus through `import`, `load`, `run`, `status` and `query`: no raw CPR number, in any spelling,
anywhere the program writes: any table or column name of the warehouse and the snapshot, any value of theirs, the
config it wrote, the morning report, the run's log, stdout and stderr, and everything Prefect's temporary server
kept (its database, every table). And the rows add up: read = loaded + quarantined."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from support.configs import csv_source, write_config
from support.hostile import CASES, Case, case_config, find_cpr, write_corpus

ENV = {**os.environ, "VAERDISTROM_PSEUDONYM_KEY": "9a" * 32}


def cli(*args, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        env={**ENV, **(env or {})},
    )


def rows_of(path: Path, sql: str) -> list[tuple]:
    """The rows of one query of a DuckDB file, opened read-only and closed again."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def database_text(path: Path) -> str:
    """Every name and every value of every table of a DuckDB file, as text."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        parts = []
        tables = con.execute("select database_name, schema_name, table_name from duckdb_tables()").fetchall()
        for db, schema, table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where database_name = ? "
                    "and schema_name = ? and table_name = ?",
                    [db, schema, table],
                ).fetchall()
            ]
            parts.append(f"{schema}.{table}: {', '.join(columns)}")
            cast = ", ".join(f'"{c}"::varchar' for c in columns)
            for row in con.execute(f'select {cast} from "{schema}"."{table}"').fetchall():
                parts.append("\t".join("" if v is None else v for v in row))
        return "\n".join(parts)
    finally:
        con.close()


def prefect_text(home: Path) -> str:
    """Everything Prefect's temporary server kept under `home` (PREFECT_HOME), as text: every name and every value of
    every table of its database (prefect.db), and every other file there."""
    import sqlite3

    con = sqlite3.connect(home / "prefect.db")
    try:
        parts = []
        for (table,) in con.execute("select name from sqlite_master where type = 'table'").fetchall():
            rows = con.execute(f'select * from "{table}"')
            parts.append(f"{table}: {', '.join(c[0] for c in rows.description)}")
            for row in rows:
                parts.append(
                    "\t".join(
                        "" if v is None else v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                        for v in row
                    )
                )
    finally:
        con.close()
    for path in sorted(p for p in home.rglob("*") if p.is_file() and not p.name.startswith("prefect.db")):
        parts.append(f"{path.name}: {path.read_bytes().decode('utf-8', 'replace')}")
    return "\n".join(parts)


@pytest.mark.slow
def test_no_cpr_number_survives_import_load_run_status_or_query(tmp_path):
    planted = write_corpus(tmp_path)
    files = sorted(p.name for p in tmp_path.iterdir())
    said = []
    home = {"PREFECT_HOME": str(tmp_path / "prefect")}  # the temporary server's database, to scan
    r = cli("import", *files, cwd=tmp_path, env=home)
    said.append(r)
    assert r.returncode == 0, r.stderr
    config = (tmp_path / "vaerdistrom.toml").read_text(encoding="utf-8")
    # a source named after a citizen's folder, not there: its error (raw, the path as configured) reaches Prefect as
    # a task's exception, its Failed state's message, an event and a log record
    cpr = planted["file_name"]
    (tmp_path / "vaerdistrom.toml").write_text(
        config
        + "\n"
        + csv_source(
            "borger",
            f"borger_{cpr[:6]}-{cpr[6:]}/eksport.csv",
            case_id="sag",
            activity="aktivitet",
            ts="tid",
            process="forloeb",
        )
        + "[nightly]\nretries = 0\n",
        encoding="utf-8",
    )
    for args in (
        ["load"],
        ["run"],
        ["status"],
        ["status", "--json"],
        ["query", "variants", "--format", "json"],
        ["query", "dfg", "--format", "csv"],
    ):
        said.append(cli(*args, cwd=tmp_path, env=home))
        assert said[-1].returncode in (0, 1), said[-1].stderr  # load and run: 1, for the source not there
    assert said[2].stderr == "error: sources.borger: no file at borger_[CPR]/eksport.csv\n"  # run
    (tmp_path / "vaerdistrom.toml").write_text(config, encoding="utf-8")  # as import wrote it, for the import below
    prefect = prefect_text(tmp_path / "prefect")
    assert "LoadError: sources.borger: no file at borger_[CPR]/eksport.csv" in prefect  # it reached Prefect
    everything = {
        "stdout and stderr": "\n".join(r.stdout + r.stderr for r in said),
        "vaerdistrom.toml": config,
        "last_run.md": (tmp_path / "published" / "last_run.md").read_text(encoding="utf-8"),
        "warehouse": database_text(tmp_path / "vaerdistrom.duckdb"),
        "snapshot": database_text(tmp_path / "published" / "vaerdistrom.duckdb"),
        "vaerdistrom-run.log": (tmp_path / "vaerdistrom-run.log").read_text(encoding="utf-8"),
        "Prefect's database": prefect,
    }
    found = {where: find_cpr(text, planted) for where, text in everything.items()}
    assert found == {where: [] for where in everything}
    # the scanner finds what it looks for: every planted number is in the files the corpus wrote
    corpus = "\n".join(
        p.name + "\n" + p.read_bytes().decode("utf-8", "replace")
        for p in tmp_path.glob("*.*")
        if p.suffix in (".csv", ".jsonl", ".xes")
    ) + "\n".join(files)
    assert set(find_cpr(corpus, planted)) >= set(planted) - {"parquet_int", "excel_number"}

    con = duckdb.connect(str(tmp_path / "vaerdistrom.duckdb"), read_only=True)
    try:
        batches = con.execute(
            "select file, rows_read, rows_loaded, rows_quarantined from meta.batches order by file"
        ).fetchall()
        quarantined = con.execute("select field, reason from raw.quarantine").fetchall()
    finally:
        con.close()
    assert all(read == loaded + bad for _, read, loaded, bad in batches)
    assert [(f, read) for f, read, _, _ in batches] == [
        ("eksport_[CPR].csv", 8),
        ("forloeb.xes", 2),
        ("henvendelser.jsonl", 4),
        ("pladser.xlsx", 2),
        ("ydelser.parquet", 2),
    ]
    assert quarantined == [("tid", "timestamp missing or not readable")]  # the row whose time is a CPR number
    # the config finds the file named after a citizen by a pattern, and a second import knows it
    assert 'path = "eksport_??????-????.csv"' in everything["vaerdistrom.toml"]
    again = cli("import", *files, cwd=tmp_path)
    assert again.returncode == 0 and "Nothing new" in again.stdout


def test_load_goes_on_past_a_failing_source_and_keeps_the_failed_file_on_record(tmp_path):
    (tmp_path / "a.csv").write_text("sag,trin,tid\nS1,Modtaget,2025-01-06 10:00\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(
        "case,activity,timestamp\nB1,Modtaget,2025-01-06 10:00\nB1,Afgjort,2025-01-07 10:00\n", encoding="utf-8"
    )
    write_config(
        tmp_path,
        csv_source("esdh", "a.csv", case_id="sag", activity="aktivitet 010190-1234", ts="tid")
        + csv_source("other", "b.csv"),
    )
    r = cli("load", cwd=tmp_path)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: sources.esdh: ")
    assert "column 'aktivitet [CPR]' named in sources.esdh is not in the file" in lines[0]
    assert "(1 other files loaded)" in lines[0] and "Traceback" not in r.stderr
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        batches = con.execute(
            "select source, file, status, rows_loaded, error from meta.batches order by batch_id"
        ).fetchall()
        events = con.execute("select count(*) from staging.events").fetchall()[0][0]
    finally:
        con.close()
    assert [b[:4] for b in batches] == [("esdh", "a.csv", "failed", 0), ("other", "b.csv", "done", 2)]
    assert "not in the file" in batches[0][4] and not find_cpr(batches[0][4], {"x": "0101901234"})
    assert events == 2
    status = cli("status", "--json", cwd=tmp_path).stdout
    assert '"n_batches": 1' in status  # a failed load is not a batch of loaded rows


def test_a_warehouse_held_by_a_run_is_one_line_naming_the_run(tmp_path):
    from flows.lock import run_lock
    from warehouse.migrations import connect

    (tmp_path / "b.csv").write_text("case,activity,timestamp\nB1,Modtaget,2025-01-06 10:00\n", encoding="utf-8")
    assert cli("import", "b.csv", cwd=tmp_path).returncode == 0
    with run_lock(tmp_path / "vaerdistrom.duckdb"):
        con = connect(tmp_path / "vaerdistrom.duckdb")  # the run's writer
        try:
            said = {args[0]: cli(*args, cwd=tmp_path) for args in (["status"], ["load"], ["query", "dfg"])}
        finally:
            con.close()
    for command, r in said.items():
        assert r.returncode == 1, command
        assert r.stderr.startswith(f"error: a vaerdistrom run holds vaerdistrom.duckdb (pid {os.getpid()}, started "), (
            command
        )
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, command


@pytest.fixture
def small_disk(tmp_path):
    """An 80 MB file system of its own (tmpfs, mounted as root), to fill."""
    folder = tmp_path / "disk"
    folder.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=80m", "tmpfs", str(folder)], capture_output=True, text=True)
    if r.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must be able to mount a tmpfs as root for the full-disk test: {r.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs here (needs root): {r.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_leaves_the_last_snapshot_whole(small_disk):
    (small_disk / "a.csv").write_text(
        "case,activity,timestamp\nA1,Modtaget,2025-01-06 10:00\nA1,Afgjort,2025-01-07 10:00\n", encoding="utf-8"
    )
    assert cli("import", "a.csv", cwd=small_disk).returncode == 0
    (small_disk / "b.csv").write_text(
        "case,activity,timestamp\n" + "".join(f"B{i},Modtaget,2025-02-{1 + i % 28:02d} 10:00\n" for i in range(20000)),
        encoding="utf-8",
    )
    filler = small_disk / "filler"
    with filler.open("wb") as fh:  # the disk filled, then 256 kB given back: enough to start, not to finish
        try:
            while True:
                fh.write(b"\0" * (1 << 20))
                fh.flush()
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - (256 << 10)))
    r = cli("import", "b.csv", cwd=small_disk)
    assert r.returncode in (1, 2)
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr and "cannot rollback" not in r.stderr
    assert "No space left on device" in r.stderr
    published = small_disk / "published"
    assert sorted(p.name for p in published.iterdir() if p.name.startswith(".")) == []  # no half-written snapshot
    # last night's snapshot, whole
    assert rows_of(published / "vaerdistrom.duckdb", "select count(*) from marts.event_sequence") == [(2,)]
    filler.unlink()
    r = cli("run", cwd=small_disk)
    assert r.returncode == 0, r.stderr
    # with room again, the next run loads what failed
    assert rows_of(published / "vaerdistrom.duckdb", "select count(*) from marts.event_sequence") == [(20002,)]


def test_csv_downloads_show_formulas_as_text():
    import pandas as pd

    from dashboards.data import csv_bytes

    frame = pd.DataFrame(
        {"activity": ['=HYPERLINK("http://x","klik")', "+45 1234", "-5", "@SUM(A1)", "Afgjort"], "n": [1, 2, 3, 4, -5]}
    )
    assert csv_bytes(frame).decode().splitlines() == [
        "activity,n",
        '"\'=HYPERLINK(""http://x"",""klik"")",1',
        "'+45 1234,2",
        "'-5,3",
        "'@SUM(A1),4",
        "Afgjort,-5",
    ]  # numbers stay numbers


@pytest.mark.slow
def test_a_folder_with_a_quote_in_its_name_imports_and_publishes(tmp_path):
    folder = tmp_path / "kommunens 'data'"
    folder.mkdir()
    (folder / "a.csv").write_text(
        "case,activity,timestamp\nA1,Modtaget,2025-01-06 10:00\nA1,Afgjort,2025-01-07 10:00\n", encoding="utf-8"
    )
    r = cli("import", "a.csv", cwd=folder)
    assert r.returncode == 0, r.stderr
    assert rows_of(folder / "published" / "vaerdistrom.duckdb", "select count(*) from marts.event_sequence") == [(2,)]


def test_a_file_written_to_while_it_is_read_is_refused_whole_then_loaded_once(tmp_path, monkeypatch, fresh_warehouse):
    """An export still being written: the run that reads it half keeps nothing, the next one reads it whole, and no
    row is stored twice (before, a writer appending during the run left 300,236 events for 300,235 rows)."""
    from connectors import files
    from warehouse.config import Source
    from warehouse.load import LoadError, load_file
    from warehouse.pseudonym import Pseudonymiser

    path = tmp_path / "export.csv"
    path.write_text(
        "case,activity,timestamp\n" + "".join(f"C{i},Modtaget,2025-01-06 10:{i:02d}\n" for i in range(10)),
        encoding="utf-8",
    )
    real = files.READERS["csv"]

    def while_written(p, **kw):  # the export appends its last rows after the loader has read the first chunk
        for i, chunk in enumerate(real(p, **kw)):
            yield chunk
            if i == 0:
                with path.open("a", encoding="utf-8") as fh:
                    fh.write("C10,Modtaget,2025-01-06 10:10\nC11,Modt")

    monkeypatch.setitem(files.READERS, "csv", while_written)
    src = Source.model_validate(
        {
            "kind": "csv",
            "path": "export.csv",
            "process": "p",
            "mapping": {"case_id": "case", "activity": "activity", "ts": "timestamp"},
        }
    )
    con = fresh_warehouse
    pseudo = Pseudonymiser(bytes(range(32)))
    with pytest.raises(LoadError, match=r"export.csv: the file changed while it was read .*nothing kept"):
        load_file(con, src, "s", path, pseudo, chunk_rows=4)
    assert con.execute("select count(*) from staging.events").fetchall() == [(0,)]
    monkeypatch.setitem(files.READERS, "csv", real)
    with path.open("a", encoding="utf-8") as fh:  # the export finishes its last row
        fh.write("aget,2025-01-06 10:11\n")
    report = load_file(con, src, "s", path, pseudo, chunk_rows=4)
    assert (report.rows_read, report.rows_new) == (12, 12)
    rows = con.execute("select case_id, activity from staging.events order by case_id").fetchall()
    assert len(rows) == 12 and ("C11", "Modtaget") in rows
    assert con.execute("select status from meta.batches order by batch_id").fetchall() == [("failed",), ("done",)]


def test_a_file_rewritten_in_place_with_its_old_size_and_time_is_refused(tmp_path, monkeypatch, fresh_warehouse):
    """An export rewritten while it is read, to the same size, with its modification time set back: only the hash
    taken again after the read tells, and the load keeps nothing."""
    from connectors import files
    from warehouse.config import Source
    from warehouse.load import LoadError, load_file
    from warehouse.pseudonym import Pseudonymiser

    path = tmp_path / "export.csv"
    path.write_text(
        "case,activity,timestamp\n" + "".join(f"C{i},Modtaget,2025-01-06 10:{i:02d}\n" for i in range(10)),
        encoding="utf-8",
    )
    real = files.READERS["csv"]

    def rewritten(p, **kw):
        for i, chunk in enumerate(real(p, **kw)):
            yield chunk
            if i == 0:
                before = path.stat()
                path.write_text(
                    path.read_text(encoding="utf-8").replace("C9,Modtaget", "C9,Annuller"), encoding="utf-8"
                )
                os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
                assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    monkeypatch.setitem(files.READERS, "csv", rewritten)
    src = Source.model_validate(
        {
            "kind": "csv",
            "path": "export.csv",
            "process": "p",
            "mapping": {"case_id": "case", "activity": "activity", "ts": "timestamp"},
        }
    )
    con = fresh_warehouse
    with pytest.raises(LoadError, match=r"export.csv: the file changed while it was read"):
        load_file(con, src, "s", path, Pseudonymiser(bytes(range(32))), chunk_rows=4)
    assert con.execute("select count(*) from staging.events").fetchall() == [(0,)]


def test_a_last_row_cut_one_night_and_ended_the_next_is_stored_once(tmp_path):
    """Night one's export stops mid-row ("An"); night two's ends it ("Anna"): the cut row waits in quarantine, and the
    whole one is stored once (before, both were kept)."""
    head = "case,activity,timestamp,resource\n" + "".join(f"C{i},Modtaget,2025-01-06 10:{i:02d},Bo\n" for i in range(3))
    (tmp_path / "x.csv").write_text(head + "C9,Afgjort,2025-01-07 10:15,An", encoding="utf-8")
    write_config(tmp_path, csv_source("s", "x.csv", mapping='resource = "resource"\n'))
    first = cli("load", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (tmp_path / "x.csv").write_text(head + "C9,Afgjort,2025-01-07 10:15,Anna\n", encoding="utf-8")
    second = cli("load", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert rows_of(
        tmp_path / "w.duckdb",
        "select rows_read, rows_loaded, rows_quarantined, rows_already_loaded from meta.batches order by batch_id",
    ) == [(4, 3, 1, 0), (4, 4, 0, 3)]
    assert rows_of(tmp_path / "w.duckdb", "select case_id, resource from staging.events where case_id = 'C9'") == [
        ("C9", "Anna")
    ]


def test_a_source_is_read_only_when_its_export_says_it_is_done(tmp_path):
    (tmp_path / "a.csv").write_text("case,activity,timestamp\nA1,Modtaget,2025-01-06 10:00\n", encoding="utf-8")
    write_config(tmp_path, csv_source("esdh", "a.csv", options='ready_file = "a.csv.done"\n'))
    r = cli("load", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr == (
        "error: sources.esdh: not ready: a.csv.done is not there yet (the export says it is done by "
        "writing it); read on a later run\n"
    )
    (tmp_path / "a.csv.done").touch()
    r = cli("load", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    config = (
        (tmp_path / "vaerdistrom.toml")
        .read_text(encoding="utf-8")
        .replace('ready_file = "a.csv.done"', "min_age_seconds = 3600")
    )
    (tmp_path / "vaerdistrom.toml").write_text(config, encoding="utf-8")
    r = cli("load", cwd=tmp_path)
    assert r.returncode == 1 and "not ready: a.csv was written less than 3600 s ago" in r.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_hostile_corpus_through_vaerdistrom_load(tmp_path, case: Case):
    """Each hostile export through `vaerdistrom load`: its exit code, its one line (or quarantine reason), and its
    rows: read = loaded + quarantined in every batch, and the counts each case expects."""
    for name, content in case.files.items():
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    write_config(tmp_path, case_config(case))
    r = cli("load", cwd=tmp_path)
    assert r.returncode == case.exit_code, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") <= 1, r.stderr
    if case.exit_code:
        assert r.stderr.startswith("error: sources.s: "), r.stderr
    batches = rows_of(
        tmp_path / "w.duckdb", "select status, rows_read, rows_loaded, rows_quarantined from meta.batches"
    )
    reasons = [reason for (reason,) in rows_of(tmp_path / "w.duckdb", "select reason from raw.quarantine")]
    assert case.said in "\n".join([r.stdout, r.stderr, *reasons])
    assert all(read == loaded + bad for _, read, loaded, bad in batches)
    assert tuple(sum(b[i] for b in batches) for i in (1, 2, 3)) == case.rows
    assert [b[0] for b in batches] == ["failed" if case.exit_code else "done"]
    if case.sql:
        assert rows_of(tmp_path / "w.duckdb", case.sql) == case.expected


def test_a_file_gone_between_listing_and_read_fails_alone_and_stays_on_record(tmp_path, monkeypatch):
    """An export moved away after the source's files were listed: one line naming it, a failed row in
    meta.batches, and the other source loads (before: a FileNotFoundError stopped every source after it)."""
    from warehouse import load
    from warehouse.config import load_config

    (tmp_path / "a1.csv").write_text("case,activity,timestamp\nA1,Modtaget,2025-01-06 10:00\n", encoding="utf-8")
    (tmp_path / "t.csv").write_text("case,activity,timestamp\nT1,Modtaget,2025-01-06 10:00\n", encoding="utf-8")
    write_config(tmp_path, csv_source("s", "a*.csv") + csv_source("t", "t.csv"))
    listed = load.source_files

    def listed_then_moved(src, name, root):
        files = listed(src, name, root)
        return files + [files[0].with_name("a2.csv")] if name == "s" else files  # listed, then moved away

    monkeypatch.setattr(load, "source_files", listed_then_moved)
    monkeypatch.setenv("VAERDISTROM_PSEUDONYM_KEY", "9a" * 32)
    cfg, root = load_config(tmp_path / "vaerdistrom.toml")
    with pytest.raises(load.LoadError) as e:
        load.load_all(cfg, root)
    assert "\n" not in str(e.value) and "a2.csv: cannot be read (No such file or directory)" in str(e.value)
    assert "(2 other files loaded)" in str(e.value)
    batches = rows_of(tmp_path / "w.duckdb", "select source, file, status from meta.batches order by batch_id")
    assert [(s, Path(f).name, status) for s, f, status in batches] == [
        ("s", "a1.csv", "done"),
        ("s", "a2.csv", "failed"),
        ("t", "t.csv", "done"),
    ]


@pytest.mark.slow
def test_a_config_in_a_folder_named_after_a_citizen_reaches_prefect_redacted(tmp_path):
    """`run --config borger_270490-1234/vaerdistrom.toml`: Prefect keeps a flow's parameters in its database, so it
    is handed the path with the number redacted, and the run still reads the real folder."""
    folder = tmp_path / "borger_270490-1234"
    folder.mkdir()
    (folder / "a.csv").write_text(
        "case,activity,timestamp\nA1,Modtaget,2025-01-06 10:00\nA1,Afgjort,2025-01-07 10:00\n", encoding="utf-8"
    )
    write_config(folder, csv_source("s", "a.csv"))
    home = tmp_path / "prefect"
    r = cli("run", "--config", "borger_270490-1234/vaerdistrom.toml", cwd=tmp_path, env={"PREFECT_HOME": str(home)})
    assert r.returncode == 0, r.stderr
    assert rows_of(folder / "published" / "vaerdistrom.duckdb", "select count(*) from marts.event_sequence") == [(2,)]
    kept = prefect_text(home)
    assert "borger_[CPR]/vaerdistrom.toml" in kept  # the flow run's parameter, as Prefect keeps it
    assert find_cpr(kept + r.stdout + r.stderr, {"config_folder": "2704901234"}) == []
