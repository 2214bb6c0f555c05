"""Start and complete: the events view (pm4py's) and the activity-instance view (Disco's), through the CLI.

One small log written two ways, by hand: as start and complete events (a lifecycle column) and as
interval rows (a start and a completion column). Case C1 does A, B, then A again; in case C2, C
starts while A is still running (parallel work). Every number below was worked out by hand from
the times in `INSTANCES`, then checked through `vaerdistrom import` and `vaerdistrom query
--view`. The instance view is also checked against pm4py on the real interval log, where pm4py
orders events by their start (its interval-log rule), and the events view's rework against
`pm4py.get_rework_cases_per_activity` on the real start/complete log.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ENV = {**os.environ, "VAERDISTROM_PSEUDONYM_KEY": "ef" * 32}
# (case, activity, start, complete, resource), UTC
INSTANCES = [
    ("C1", "A", "2025-03-03T09:00:00+00:00", "2025-03-03T10:00:00+00:00", "Ann"),
    ("C1", "B", "2025-03-03T11:00:00+00:00", "2025-03-03T11:30:00+00:00", "Bo"),
    ("C1", "A", "2025-03-03T12:00:00+00:00", "2025-03-03T13:00:00+00:00", "Ann"),
    ("C2", "A", "2025-03-03T09:00:00+00:00", "2025-03-03T09:30:00+00:00", "Ann"),
    ("C2", "C", "2025-03-03T09:10:00+00:00", "2025-03-03T10:00:00+00:00", "Cy"),
    ("C2", "B", "2025-03-03T10:30:00+00:00", "2025-03-03T11:00:00+00:00", "Bo"),
]


def cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300, env=ENV
    )


def lifecycle_csv(path: Path) -> None:
    """The log as start and complete events, sorted by time (C2's A completes after C starts)."""
    rows = [(c, a, s, "start", r) for c, a, s, _, r in INSTANCES] + [
        (c, a, e, "complete", r) for c, a, _, e, r in INSTANCES
    ]
    rows.sort(key=lambda row: (row[0], row[2]))
    path.write_text(
        "case,activity,timestamp,lifecycle,resource\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8"
    )


def interval_csv(path: Path) -> None:
    """The log as interval rows: one per activity instance, with its start and its completion."""
    path.write_text(
        "case,activity,start_time,complete_time,resource\n"
        + "".join(f"{c},{a},{s},{e},{r}\n" for c, a, s, e, r in INSTANCES),
        encoding="utf-8",
    )


def ask(folder: Path, *args: str) -> list[dict]:
    r = cli("query", *args, "--format", "json", cwd=folder)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def dfg(folder: Path, view: str) -> dict:
    return {
        (e["source_activity"], e["target_activity"]): (e["n_transitions"], e["mean_wait_seconds"])
        for e in ask(folder, "dfg", "--view", view)
    }


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, Path]:
    """The log imported in each form, each in its own folder, as a user would."""
    folders = {}
    for form, write in (("lifecycle", lifecycle_csv), ("interval", interval_csv)):
        folder = tmp_path_factory.mktemp(form)
        write(folder / f"{form}.csv")
        r = cli("import", f"{form}.csv", cwd=folder)
        assert r.returncode == 0, r.stderr
        folders[form] = folder
    return folders


def test_an_interval_export_maps_its_start_and_completion_columns(imported):
    config = (imported["interval"] / "vaerdistrom.toml").read_text(encoding="utf-8")
    assert 'ts = "complete_time"' in config and 'start_ts = "start_time"' in config
    r = cli("status", "--json", cwd=imported["interval"])
    process = json.loads(r.stdout)["processes"][0]
    assert (process["n_cases"], process["n_events"]) == (2, 6)  # one event per row: six rows, six events


def test_the_events_view_counts_every_event_by_its_activity_name(imported):
    # start/complete: C1 = A A B B A A, C2 = A C A C B B (by time: C starts before A completes)
    assert dfg(imported["lifecycle"], "events") == {
        ("A", "A"): (2, 3600.0),
        ("A", "B"): (1, 3600.0),
        ("B", "B"): (2, 1800.0),
        ("B", "A"): (1, 1800.0),
        ("A", "C"): (2, (600 + 1800) / 2),
        ("C", "A"): (1, 1200.0),
        ("C", "B"): (1, 1800.0),
    }
    assert sorted(v["activities"] for v in ask(imported["lifecycle"], "variants", "--view", "events")) == [
        ["A", "A", "B", "B", "A", "A"],
        ["A", "C", "A", "C", "B", "B"],
    ]
    # pm4py's rework: a started and completed activity occurs twice, so every activity counts as reworked
    rework = {
        r["activity"]: (r["n_cases"], r["n_cases_with_rework"], r["n_events"])
        for r in ask(imported["lifecycle"], "rework", "--view", "events")
    }
    assert rework == {"A": (2, 2, 6), "B": (2, 2, 4), "C": (1, 1, 2)}
    # interval rows: one event per row at its completion, C1 = A B A (10:00, 11:30, 13:00), C2 = A C B
    assert dfg(imported["interval"], "events") == {
        ("A", "B"): (1, 5400.0),
        ("B", "A"): (1, 5400.0),
        ("A", "C"): (1, 1800.0),
        ("C", "B"): (1, 3600.0),
    }
    # the default of dfg is the events view
    assert {(e["source_activity"], e["target_activity"]) for e in ask(imported["lifecycle"], "dfg")} == set(
        dfg(imported["lifecycle"], "events")
    )


@pytest.mark.parametrize("form", ["lifecycle", "interval"])
def test_the_instance_view_pairs_start_and_complete_into_one_instance(imported, form):
    folder = imported[form]
    # C1: A(9-10) B(11-11:30) A(12-13); C2: A(9-9:30) C(9:10-10) B(10:30-11), in the order they started.
    # Waits run from an instance's end to the next one's start: C2's C began 20 minutes before A ended.
    assert dfg(folder, "instances") == {
        ("A", "B"): (1, 3600.0),
        ("B", "A"): (1, 1800.0),
        ("A", "C"): (1, -1200.0),
        ("C", "B"): (1, 1800.0),
    }
    variants = ask(folder, "variants", "--view", "instances")
    assert sorted((v["activities"], v["n_cases"], v["median_lead_time_seconds"]) for v in variants) == [
        (["A", "B", "A"], 1, 4 * 3600.0),
        (["A", "C", "B"], 1, 2 * 3600.0),
    ]
    ends = {
        (e["endpoint"], e["activity"]): e["n_cases"]
        for e in ask(folder, "dfg", "--level", "endpoint", "--view", "instances")
    }
    assert ends == {("start", "A"): 2, ("end", "A"): 1, ("end", "B"): 1}
    # rework counts instances (its default view): A again in C1 only, by the same resource (a repeat)
    rework = {
        r["activity"]: (r["n_cases"], r["n_cases_with_rework"], r["n_repeat"], r["n_redo"])
        for r in ask(folder, "rework")
    }
    assert rework == {"A": (2, 1, 1, 0), "B": (2, 0, 0, 0), "C": (1, 0, 0, 0)}
    assert ask(folder, "rework", "--view", "instances") == ask(folder, "rework")
    # the value stream always counts instances: hands-on time measured from each instance's own start
    stream = {
        r["activity"]: (r["n_instances"], r["process_time_source"], r["total_process_hours"])
        for r in ask(folder, "valuestream")
    }
    assert stream == {"A": (3, "measured", 2.5), "B": (2, "measured", 1.0), "C": (1, "measured", 50 / 60)}


def test_a_view_a_question_does_not_have_is_refused_in_one_line(imported):
    r = cli("query", "valuestream", "--view", "events", cwd=imported["lifecycle"])
    assert r.returncode != 0 and "valuestream counts instances" in r.stderr and "Traceback" not in r.stderr
    r = cli("query", "dfg", "--view", "disco", cwd=imported["lifecycle"])
    assert r.returncode != 0 and "no view 'disco' (the views: events, instances)" in r.stderr
    help_text = " ".join(cli("query", "--help", cwd=imported["lifecycle"]).stdout.split())  # as one line, unwrapped
    assert "pm4py's view" in help_text and "Disco's view" in help_text


def _interval_frame(shared_data: Path) -> pd.DataFrame:
    frame = pd.read_csv(shared_data / "interval_event_log.csv", dtype=str)
    for c in ("time:timestamp", "start_timestamp"):
        frame[c] = pd.to_datetime(frame[c], utc=True)
    return frame


@pytest.mark.slow
@pytest.mark.parametrize("name", ["interval_event_log.csv", "interval_event_log.xes"])
def test_the_instance_view_of_a_real_interval_log_equals_pm4py_ordering_by_start(shared_data, tmp_path, name):
    import pm4py

    r = cli("import", str(shared_data / name), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "start_ts <- 'start_timestamp'" in r.stdout
    frame = _interval_frame(shared_data)
    # pm4py's DFG of a frame with start_timestamp orders each case by (start, completion) and measures from an
    # event's completion to the next one's start
    counts, start, end = pm4py.discover_dfg(frame)
    performance, _, _ = pm4py.discover_performance_dfg(frame)
    mine = ask(tmp_path, "dfg", "--view", "instances")
    assert {(e["source_activity"], e["target_activity"]): e["n_transitions"] for e in mine} == dict(counts)
    for e in mine:
        theirs = performance[(e["source_activity"], e["target_activity"])]
        assert e["mean_wait_seconds"] == pytest.approx(theirs["mean"], abs=1e-6)
        assert e["median_wait_seconds"] == pytest.approx(theirs["median"], abs=1e-6)
    ends = ask(tmp_path, "dfg", "--level", "endpoint", "--view", "instances")
    assert {e["activity"]: e["n_cases"] for e in ends if e["endpoint"] == "start"} == dict(start)
    assert {e["activity"]: e["n_cases"] for e in ends if e["endpoint"] == "end"} == dict(end)
    by_start = frame.sort_values(["case:concept:name", "start_timestamp", "time:timestamp"], kind="stable")
    variants = {tuple(v["activities"]): v["n_cases"] for v in ask(tmp_path, "variants", "--view", "instances")}
    assert variants == dict(pm4py.get_variants(by_start))
    # every instance's hands-on time is measured from its own start
    stream = ask(tmp_path, "valuestream")
    assert sum(a["n_instances"] for a in stream) == 8109
    assert {a["process_time_source"] for a in stream} == {"measured"}
    expected_hours = (frame["time:timestamp"] - frame["start_timestamp"]).dt.total_seconds().sum() / 3600
    assert sum(a["total_process_hours"] for a in stream) == pytest.approx(expected_hours, rel=1e-9)


@pytest.mark.slow
def test_the_events_view_of_rework_equals_pm4py_on_a_start_complete_log(shared_data, tmp_path):
    import pm4py

    r = cli("import", str(shared_data / "reviewing.xes"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    log = pm4py.read_xes(str(shared_data / "reviewing.xes"))
    theirs = pm4py.get_rework_cases_per_activity(log)
    mine = {e["activity"]: e["n_cases_with_rework"] for e in ask(tmp_path, "rework", "--view", "events")}
    assert {a: n for a, n in mine.items() if n} == dict(theirs)
    # the instance view pairs each start with its complete: far fewer reworked cases than pm4py's count
    instances = {e["activity"]: e["n_cases_with_rework"] for e in ask(tmp_path, "rework")}
    assert sum(instances.values()) < sum(theirs.values())
    assert all(instances[a] <= mine[a] for a in mine)


def test_an_unreadable_start_is_quarantined_and_an_empty_one_is_no_start(tmp_path):
    (tmp_path / "tasks.csv").write_text(
        "case,activity,start_time,complete_time\n"
        "K1,Visit,2025-03-03T09:00:00+00:00,2025-03-03T09:45:00+00:00\n"
        "K1,Decide,soon,2025-03-04T10:00:00+00:00\n"
        "K1,Letter,,2025-03-05T10:00:00+00:00\n",
        encoding="utf-8",
    )
    r = cli("import", "tasks.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "read 3 loaded 2 (new 2) quarantined 1" in " ".join(r.stdout.split())  # rows in = loaded + quarantined
    import duckdb

    con = duckdb.connect(str(tmp_path / "vaerdistrom.duckdb"), read_only=True)
    try:
        assert con.execute("select row_number, field, reason from raw.quarantine").fetchall() == [
            (2, "start_time", "start timestamp not readable")
        ]
        instances = con.execute(
            "select activity, process_time_source, process_seconds from marts.activity_instances "
            "order by instance_order"
        ).fetchall()
    finally:
        con.close()
    assert instances == [("Visit", "measured", 2700.0), ("Letter", "unknown", None)]
