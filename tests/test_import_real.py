"""Every real log in ../shared/data/real through `vaerdistrom import FILE`, with no flags, against pm4py.

The command is run as a user runs it, in an empty folder; what it mined is read back the way
a user reads it (`vaerdistrom query ... --format json`, and the published snapshot) and
compared with pm4py's own readers and operations on the same file: cases, events,
activities, every directly-follows count, variants, start and end activities and the median
case duration.
"""

import json
import os
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from support.served import free_port, wait_healthy

ENV = {**os.environ, "VAERDISTROM_PSEUDONYM_KEY": "cd" * 32}
XES = [
    "BPIC15_1.xes.gz",
    "CoSeLoG_WABO_1.xes.gz",
    "receipt_wabo.xes.gz",
    "roadtraffic100traces.xes",
    "helpdesk.xes.gz",
    "reviewing.xes",
    "running-example.xes",
    "interval_event_log.xes",
]
TABLES = [
    "receipt.csv",
    "receipt.parquet",
    "dreyers_fond_eventlog.csv",
    "running-example.csv",
    "interval_event_log.csv",
]
OCEL = ["ocel20_example.jsonocel", "ocel20_example.xmlocel", "ocel20_example.sqlite", "github_pm4py.jsonocel"]


def cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600, env=ENV
    )


def imported(path: Path, folder: Path) -> dict:
    """`vaerdistrom import` of one file in an empty folder; what a user reads back from it."""
    folder.mkdir()
    r = cli("import", str(path), cwd=folder)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    dfg = json.loads(cli("query", "dfg", "--format", "json", cwd=folder).stdout)
    variants = json.loads(cli("query", "variants", "--format", "json", cwd=folder).stdout)
    assert all(isinstance(v["n_cases"], int) for v in variants)  # JSON numbers, not text
    con = duckdb.connect(str(folder / "published" / "vaerdistrom.duckdb"), read_only=True)
    try:
        cases = con.execute("select activities, lead_time_seconds from marts.case_variants").fetchall()
        n_variants = con.execute("select count(distinct activities) from marts.case_variants").fetchall()[0][0]
        n_events = con.execute("select count(*) from marts.event_sequence").fetchall()[0][0]
        activities = {a for (a,) in con.execute("select distinct activity from marts.event_sequence").fetchall()}
    finally:
        con.close()
    config = tomllib.loads((folder / "vaerdistrom.toml").read_text(encoding="utf-8"))
    return {
        "stdout": r.stdout,
        "config": next(iter(config["sources"].values())),
        "facts": {
            "n_cases": len(cases),
            "n_events": n_events,
            "activities": activities,
            "dfg": {(e["source_activity"], e["target_activity"]): e["n_transitions"] for e in dfg},
            "n_variants": n_variants,
            "start": dict(Counter(a[0] for a, _ in cases)),
            "end": dict(Counter(a[-1] for a, _ in cases)),
            "median_case_seconds": float(pd.Series([s for _, s in cases]).median()),
        },
    }


def oracle(frame: pd.DataFrame) -> dict:
    """The same facts by pm4py, on a frame of its own format (case:concept:name, concept:name, time:timestamp)."""
    import pm4py

    frame = frame.dropna(subset=["case:concept:name", "concept:name", "time:timestamp"])
    # as pm4py.format_dataframe prepares a frame: sorted by case, then time, ties in file order
    frame = frame.reset_index(drop=True).sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    dfg, start, end = pm4py.discover_dfg(frame)
    durations = pm4py.get_all_case_durations(frame)
    return {
        "n_cases": frame["case:concept:name"].nunique(),
        "n_events": len(frame),
        "activities": set(frame["concept:name"].unique()),
        "dfg": dict(dfg),
        "n_variants": len(pm4py.get_variants(frame)),
        "start": dict(start),
        "end": dict(end),
        "median_case_seconds": float(pd.Series(durations).median()),
    }


def assert_same(mine: dict, theirs: dict) -> None:
    assert mine["median_case_seconds"] == pytest.approx(theirs["median_case_seconds"], rel=1e-9, abs=1e-3)
    assert {k: v for k, v in mine.items() if k != "median_case_seconds"} == {
        k: v for k, v in theirs.items() if k != "median_case_seconds"
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", XES)
def test_every_real_xes_log_imports_with_no_flags_as_pm4py_reads_it(shared_data, tmp_path, name):
    import pm4py

    got = imported(shared_data / name, tmp_path / "x")
    assert (
        "mapped from the log's attributes, every event read: case_id <- 'case:concept:name', activity <- "
        "'concept:name', ts <- 'time:timestamp'" in got["stdout"]
    )
    log = pm4py.read_xes(str(shared_data / name))
    # an interval log's rows are imported as one event each, at its completion time: pm4py's view of the same
    # events is the frame without its start_timestamp column (with it, pm4py orders the events by their start)
    assert_same(got["facts"], oracle(log.drop(columns=["start_timestamp"], errors="ignore")))
    # only what the log has is mapped: resource and org unit where its events carry them
    mapping = got["config"]["mapping"]
    assert ("resource" in mapping) == ("org:resource" in log.columns)
    assert ("org_unit" in mapping) == ("org:group" in log.columns)
    assert ("lifecycle" in mapping) == ("lifecycle:transition" in log.columns)


def _table_frame(path: Path, mapping: dict) -> pd.DataFrame:
    """A table read by pandas with the columns the import inferred, in pm4py's format (times as UTC)."""
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, sep=None, engine="python", na_values=["NULL"], dtype=str, keep_default_na=False)
    frame = frame.rename(columns={mapping["case_id"]: "_case", mapping["activity"]: "_activity", mapping["ts"]: "_ts"})
    ts = frame["_ts"]
    if not pd.api.types.is_datetime64_any_dtype(ts):
        zoned = ts.str.contains(r"(Z|[+-]\d\d:?\d\d)$", regex=True).any()
        ts = pd.to_datetime(ts, format="mixed", utc=bool(zoned))
    if ts.dt.tz is None:
        ts = ts.dt.tz_localize("Europe/Copenhagen", ambiguous="NaT", nonexistent="NaT")
    out = pd.DataFrame(
        {
            "case:concept:name": frame["_case"].astype(str),
            "concept:name": frame["_activity"],
            "time:timestamp": ts.dt.tz_convert("UTC"),
        }
    )
    return out.replace({"concept:name": {"": None}})


@pytest.mark.slow
@pytest.mark.parametrize("name", TABLES)
def test_every_real_table_imports_with_no_flags_as_pm4py_reads_it(shared_data, tmp_path, name):
    got = imported(shared_data / name, tmp_path / "x")
    assert_same(got["facts"], oracle(_table_frame(shared_data / name, got["config"]["mapping"])))


@pytest.mark.slow
def test_receipt_in_xes_csv_and_parquet_gives_the_same_marts(shared_data, tmp_path):
    import gzip
    import shutil

    gz = tmp_path / "receipt.csv.gz"
    with (shared_data / "receipt.csv").open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    facts = [
        imported(path, tmp_path / path.name.replace(".", "_"))["facts"]
        for path in (
            shared_data / "receipt_wabo.xes.gz",
            shared_data / "receipt.csv",
            shared_data / "receipt.parquet",
            gz,
        )
    ]
    assert facts[0] == facts[1] == facts[2] == facts[3]
    assert (facts[0]["n_cases"], facts[0]["n_events"]) == (1434, 8577)


@pytest.mark.slow
@pytest.mark.parametrize("name", OCEL)
def test_every_real_ocel_log_imports_with_no_flags_as_pm4py_flattens_it(shared_data, tmp_path, name, monkeypatch):
    import pm4py
    import pm4py.read

    monkeypatch.setattr(pm4py.read, "get_rustxes_backend_name", lambda: None)  # pm4py's own OCEL readers
    got = imported(shared_data / name, tmp_path / "x")
    object_type = got["config"]["object_type"]
    path = str(shared_data / name)
    ocel = pm4py.read_ocel(path) if name == "github_pm4py.jsonocel" else pm4py.read_ocel2(path)
    relations = ocel.relations.groupby("ocel:type")["ocel:eid"].count()
    assert object_type == relations.idxmax()  # the type with the most event relations
    assert_same(got["facts"], oracle(pm4py.ocel_flattening(ocel, object_type)))


@pytest.mark.parametrize("reader", ["whole", "stream"])
def test_a_fresh_folder_goes_from_import_to_query_and_a_dashboard_with_no_flags(tmp_path, reader, monkeypatch):
    """A synthetic XES log with an attribute on 10 of 60,000 events, imported (read whole by rustxes, or streamed
    in chunks of 50,000 events, where the second chunk lacks the attribute), queried and served."""
    monkeypatch.setitem(ENV, "VAERDISTROM_XES_READER", reader)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<log xes.version="1.0">']
    for c in range(6000):
        lines.append(f'<trace><string key="concept:name" value="S-{c}"/>')
        for i, step in enumerate(("Modtaget", "Behandlet", "Afgjort")):
            lines.append(
                f'<event><string key="concept:name" value="{step}"/>'
                f'<date key="time:timestamp" value="2025-01-{1 + c % 28:02d}T{8 + i:02d}:00:00+01:00"/>'
                + (
                    f'<string key="bemaerkning" value="note {c}"/><string key="org:resource" value="Anna"/>'
                    if c % 600 == 0 and i == 1
                    else ""
                )
                + "</event>"
            )
        for i, step in enumerate(("Opfølgning",) * 7):
            lines.append(
                f'<event><string key="concept:name" value="{step}"/>'
                f'<date key="time:timestamp" value="2025-02-{1 + i:02d}T10:00:00+01:00"/></event>'
            )
        lines.append("</trace>")
    lines.append("</log>")
    (tmp_path / "sager.xes").write_text("\n".join(lines), encoding="utf-8")
    r = cli("import", "sager.xes", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (
        "sager          sager.xes                  read    60,000  loaded    60,000 (new 60,000)  quarantined 0"
        in r.stdout
    )
    assert "ts <- 'time:timestamp', resource <- 'org:resource'\n    kept as attributes: bemaerkning\n" in r.stdout
    dfg = {
        (e["source_activity"], e["target_activity"]): e["n_transitions"]
        for e in json.loads(cli("query", "dfg", "--format", "json", cwd=tmp_path).stdout)
    }
    assert dfg == {
        ("Modtaget", "Behandlet"): 6000,
        ("Behandlet", "Afgjort"): 6000,
        ("Afgjort", "Opfølgning"): 6000,
        ("Opfølgning", "Opfølgning"): 36000,
    }
    status = json.loads(cli("status", "--json", cwd=tmp_path).stdout)
    assert status["processes"][0]["n_events"] == 60000
    con = duckdb.connect(str(tmp_path / "published" / "vaerdistrom.duckdb"), read_only=True)
    notes = con.execute("select count(*), count(resource) from marts.event_sequence").fetchall()
    con.close()
    assert notes == [(60000, 10)]  # the sparse org:resource mapped: NULL on the events that lack it
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "dashboard", "--port", str(port)],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(port, server)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_an_empty_file_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "tom.csv").write_bytes(b"")
    r = cli("import", "tom.csv", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (2, "error: tom.csv: the file is empty (0 bytes): nothing to import\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tom.csv"]


def test_epoch_seconds_milliseconds_and_mixed_offsets_are_read_as_instants(tmp_path):
    """Shapes real exports have: epoch seconds and milliseconds (UTC), and one column of zoned and naive times."""
    (tmp_path / "s.csv").write_text("case,activity,timestamp\nA,x,1735725600\nA,y,1735729200.5\n")
    (tmp_path / "ms.csv").write_text("case,activity,timestamp\nB,x,1735725600000\nB,y,1735729200123\n")
    (tmp_path / "mixed.csv").write_text(
        '"case","activity","timestamp"\n"C","x","2025-01-01 10:00:00+01:00"\n'
        '"C","y","2025-07-01 11:00:00"\n"C","z","2025-01-01T12:00:00Z"\n'
    )
    r = cli("import", "s.csv", "ms.csv", "mixed.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    con = duckdb.connect(str(tmp_path / "vaerdistrom.duckdb"), read_only=True)
    rows = con.execute(
        "select case_id, activity, strftime(ts at time zone 'UTC', '%Y-%m-%d %H:%M:%S.%g') "
        "from staging.events order by case_id, activity"
    ).fetchall()
    con.close()
    assert rows == [
        ("A", "x", "2025-01-01 10:00:00.000"),
        ("A", "y", "2025-01-01 11:00:00.500"),
        ("B", "x", "2025-01-01 10:00:00.000"),
        ("B", "y", "2025-01-01 11:00:00.123"),
        ("C", "x", "2025-01-01 09:00:00.000"),
        ("C", "y", "2025-07-01 09:00:00.000"),  # naive: local
        ("C", "z", "2025-01-01 12:00:00.000"),
    ]


def test_latin1_after_an_ascii_megabyte_and_utf16_are_detected(tmp_path):
    rows = "sag;aktivitet;tid\n" + "".join(f"S{i};Modtaget;2025-01-01 10:00\n" for i in range(60000))
    (tmp_path / "latin.csv").write_bytes((rows + "S9;Afgørelse på sag;2025-01-02 10:00\n").encode("latin-1"))
    assert (tmp_path / "latin.csv").read_bytes().index("ø".encode("latin-1")) > 1 << 20  # past the first MB
    text = "sag;aktivitet;tid\nS1;Ansøgning;2025-01-01 10:00\nS1;Afgørelse;2025-01-02 10:00\n"
    (tmp_path / "bom.csv").write_bytes(text.encode("utf-16"))
    (tmp_path / "le.csv").write_bytes(text.encode("utf-16-le"))
    r = cli("import", "latin.csv", "bom.csv", "le.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    con = duckdb.connect(str(tmp_path / "vaerdistrom.duckdb"), read_only=True)
    rows = con.execute(
        "select source, activity, count(*) from staging.events where activity <> 'Modtaget' group by all order by all"
    ).fetchall()
    con.close()
    assert rows == [
        ("bom", "Afgørelse", 1),
        ("bom", "Ansøgning", 1),
        ("latin", "Afgørelse på sag", 1),
        ("le", "Afgørelse", 1),
        ("le", "Ansøgning", 1),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("reader", ["whole", "stream"])
def test_a_re_exported_xes_log_adds_only_its_new_events(shared_data, tmp_path, reader, monkeypatch):
    """The nightly export of the same file with one more trace: the next run stores that trace's events only.

    rustxes gives a log's attributes in another order on each read, and the ids hash the attributes in order:
    read as they came, every event of the re-export was stored a second time."""
    monkeypatch.setitem(ENV, "VAERDISTROM_XES_READER", reader)
    import gzip

    with gzip.open(shared_data / "receipt_wabo.xes.gz", "rt", encoding="utf-8") as fh:
        text = fh.read()
    last = text.rindex("<trace")
    (tmp_path / "receipt.xes").write_text(text[:last] + "</log>\n", encoding="utf-8")  # without its last trace
    r = cli("import", "receipt.xes", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (tmp_path / "receipt.xes").write_text(text, encoding="utf-8")  # tonight's export: the whole log
    r = cli("run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    last_trace_events = text[last:].count("<event")
    con = duckdb.connect(str(tmp_path / "vaerdistrom.duckdb"), read_only=True)
    try:
        batches = con.execute(
            "select rows_read, rows_loaded - rows_already_loaded from meta.batches order by batch_id"
        ).fetchall()
        stored = con.execute("select count(*), count(distinct event_id) from staging.events").fetchall()[0]
    finally:
        con.close()
    assert batches == [(8577 - last_trace_events, 8577 - last_trace_events), (8577, last_trace_events)]
    assert stored == (8577, 8577)
