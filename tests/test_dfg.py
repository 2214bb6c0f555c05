"""The directly-follows graph: exact numbers on a hand-written log, and pm4py's own numbers on real logs."""

import datetime as dt
import uuid

import pytest
from support.mart_views import build_dfg, build_event_sequence, dfg, endpoints

from mining.engine import query
from warehouse.config import Source
from warehouse.load import load_file
from warehouse.migrations import connect
from warehouse.pseudonym import Pseudonymiser

# (case, activity, hh:mm, file row, resource): c1 has a tie (B and C at 10:00, file order B first), c2 a
# self-loop redone by another caseworker, c3 one event, c4 a tie whose file order is the reverse of the names
# (C before A), c5 a loop back to A repeated by the same caseworker.
GOLDEN = [
    ("c1", "A", "08:00", 1, "ann"),
    ("c1", "B", "10:00", 2, "ann"),
    ("c1", "C", "10:00", 3, "bob"),
    ("c1", "D", "11:00", 4, "bob"),
    ("c2", "A", "08:00", 5, "ann"),
    ("c2", "B", "09:00", 6, "ann"),
    ("c2", "B", "12:00", 7, "bob"),
    ("c2", "D", "13:00", 8, "bob"),
    ("c3", "A", "08:00", 9, None),
    ("c4", "C", "08:00", 10, "bob"),
    ("c4", "A", "08:00", 11, "bob"),
    ("c5", "A", "08:00", 12, "ann"),
    ("c5", "B", "09:00", 13, "ann"),
    ("c5", "A", "10:00", 14, "ann"),
]


XES = {
    "ts": "time:timestamp",
    "activity": "concept:name",
    "case_id": "case:concept:name",
    "lifecycle": "lifecycle:transition",
    "resource": "org:resource",
}


def _real(path):
    """A real XES log loaded into a fresh warehouse, with its event sequence built."""
    con = connect(":memory:")
    src = Source.model_validate({"kind": "xes", "path": path.name, "process": "p", "mapping": XES})
    load_file(con, src, "real", path, Pseudonymiser(bytes(32)))
    build_event_sequence(con)
    return con


@pytest.fixture
def golden():
    con = connect(":memory:")
    for case, activity, hhmm, row, resource in reversed(GOLDEN):  # stored out of order: the sequence must sort
        ts = dt.datetime.fromisoformat(f"2025-03-03T{hhmm}:00+00:00")
        con.execute(
            "insert into staging.events (event_id, source, process, case_id, activity, ts, resource, "
            "source_seq, batch_id) values (?, 'golden', 'p', ?, ?, ?, ?, ?, 1)",
            [str(uuid.uuid4()), case, activity, ts, resource, row],
        )
    assert build_event_sequence(con) == len(GOLDEN)
    build_dfg(con)
    return con


def test_golden_log_transitions_and_waits(golden):
    got = {
        (r["source_activity"], r["target_activity"]): (
            r["n_transitions"],
            r["n_cases"],
            r["mean_wait_seconds"],
            r["total_wait_seconds"],
        )
        for r in dfg(golden, process="p").to_pylist()
    }
    assert got == {
        ("A", "B"): (3, 3, 4800.0, 14400.0),  # c1 two hours, c2 and c5 one hour
        ("B", "A"): (1, 1, 3600.0, 3600.0),  # c5's loop back
        ("B", "C"): (1, 1, 0.0, 0.0),  # the tie, in file order
        ("C", "D"): (1, 1, 3600.0, 3600.0),
        ("B", "B"): (1, 1, 10800.0, 10800.0),  # the self-loop
        ("B", "D"): (1, 1, 3600.0, 3600.0),
        ("C", "A"): (1, 1, 0.0, 0.0),  # c4: file order, not the names
    }
    assert endpoints(golden, process="p", endpoint="start") == {"A": 4, "C": 1}
    assert endpoints(golden, process="p", endpoint="end") == {"D": 2, "A": 3}  # c3's only event starts and ends it


def test_golden_sequence_positions(golden):
    rows = golden.execute(
        "select case_id, position, activity, n_case_events from marts.event_sequence "
        "where case_id in ('c1', 'c4') order by case_id, position"
    ).fetchall()
    assert rows == [
        ("c1", 1, "A", 4),
        ("c1", 2, "B", 4),
        ("c1", 3, "C", 4),
        ("c1", 4, "D", 4),
        ("c4", 1, "C", 2),
        ("c4", 2, "A", 2),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["BPIC15_1.xes.gz", "receipt_wabo.xes.gz"])
def test_real_logs_match_pm4py(shared_data, name):
    import pm4py

    path = shared_data / name
    log = pm4py.read_xes(str(path))
    counts, starts, ends = pm4py.discover_dfg(log)
    performance, _, _ = pm4py.discover_performance_dfg(log)
    con = _real(path)
    build_dfg(con)
    mine = {(r["source_activity"], r["target_activity"]): r for r in dfg(con, process="p").to_pylist()}
    assert {k: r["n_transitions"] for k, r in mine.items()} == dict(counts)
    for edge, stats in performance.items():
        assert mine[edge]["mean_wait_seconds"] == pytest.approx(stats["mean"], rel=1e-9, abs=1e-6), edge
        assert mine[edge]["median_wait_seconds"] == pytest.approx(stats["median"], rel=1e-9, abs=1e-6), edge
        assert mine[edge]["total_wait_seconds"] == pytest.approx(stats["sum"], rel=1e-9, abs=1e-3), edge
    assert endpoints(con, process="p", endpoint="start") == dict(starts)
    assert endpoints(con, process="p", endpoint="end") == dict(ends)


def test_golden_variants(golden):
    from support.mart_views import build_variants, variants

    build_variants(golden)
    got = {
        tuple(r["activities"]): (r["n_cases"], r["share_of_cases"], r["median_lead_time_seconds"])
        for r in variants(golden, process="p").to_pylist()
    }
    assert got == {
        ("A", "B", "C", "D"): (1, 0.2, 10800.0),
        ("A", "B", "B", "D"): (1, 0.2, 18000.0),
        ("A",): (1, 0.2, 0.0),
        ("C", "A"): (1, 0.2, 0.0),
        ("A", "B", "A"): (1, 0.2, 7200.0),
    }


def test_golden_rework(golden):
    from support.mart_views import build_rework, rework

    build_rework(golden)
    got = {r["activity"]: r for r in rework(golden, process="p").to_pylist()}
    # B in c2: a self-loop, done by bob after ann: a redo. A in c5: a loop back by ann again: a repeat.
    assert {
        a: (
            r["n_cases"],
            r["n_cases_with_rework"],
            r["n_rework_events"],
            r["n_repeat"],
            r["n_redo"],
            r["n_self_loop"],
            r["n_loop_back"],
        )
        for a, r in got.items()
    } == {
        "A": (5, 1, 1, 1, 0, 0, 1),
        "B": (3, 1, 1, 0, 1, 1, 0),
        "C": (2, 0, 0, 0, 0, 0, 0),
        "D": (2, 0, 0, 0, 0, 0, 0),
    }
    assert got["A"]["rework_rate"] == 0.2 and got["B"]["rework_rate"] == pytest.approx(1 / 3)


@pytest.mark.slow
def test_rework_cases_match_pm4py(shared_data):
    import pm4py
    from support.mart_views import build_rework, rework

    path = shared_data / "BPIC15_1.xes.gz"
    oracle = pm4py.get_rework_cases_per_activity(pm4py.read_xes(str(path)))
    con = _real(path)
    build_rework(con)
    mine = {
        r["activity"]: r["n_cases_with_rework"]
        for r in rework(con, process="p").to_pylist()
        if r["n_cases_with_rework"]
    }
    assert mine == dict(oracle) and len(mine) > 10


@pytest.mark.slow
def test_variants_match_pm4py(shared_data):
    import pm4py
    from support.mart_views import build_variants, variants

    path = shared_data / "receipt_wabo.xes.gz"
    oracle = pm4py.get_variants(pm4py.read_xes(str(path)))
    con = _real(path)
    build_variants(con)
    mine = {tuple(r["activities"]): r["n_cases"] for r in variants(con, process="p").to_pylist()}
    assert mine == {tuple(k): (v if isinstance(v, int) else len(v)) for k, v in oracle.items()}
    assert sum(mine.values()) == 1434


@pytest.mark.slow
def test_simulator_matches_pm4py(baseline_warehouse):
    """Per process of the simulated municipality: DFG counts, performance-DFG means, start and end activities,
    variants and rework cases equal pm4py's on the same events (read from the warehouse in file order).
    Rework counts completions only (a start/complete pair is one instance), so pm4py gets the completions."""
    import duckdb
    import pm4py

    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    frame = (
        con.sql(
            "select process, case_id, activity, ts, lower(coalesce(lifecycle, 'complete')) as lifecycle "
            "from staging.events where case_id is not null order by source, source_seq"
        )
        .to_arrow_table()
        .to_pandas()
    )
    frame = pm4py.format_dataframe(frame, case_id="case_id", activity_key="activity", timestamp_key="ts")
    processes = sorted(frame["process"].unique())
    assert len(processes) == 5
    for process in processes:
        log = frame[frame["process"] == process]
        counts, starts, ends = pm4py.discover_dfg(log)
        performance, _, _ = pm4py.discover_performance_dfg(log)
        mine = {(r["source_activity"], r["target_activity"]): r for r in dfg(con, process=process).to_pylist()}
        assert {k: r["n_transitions"] for k, r in mine.items()} == dict(counts), process
        for edge, stats in performance.items():
            assert mine[edge]["mean_wait_seconds"] == pytest.approx(stats["mean"], rel=1e-9, abs=1e-6), edge
        assert endpoints(con, process=process, endpoint="start") == dict(starts)
        assert endpoints(con, process=process, endpoint="end") == dict(ends)
        variants = {
            tuple(r["activities"]): r["n_cases"] for r in query(con, "variants").to_pylist() if r["process"] == process
        }
        assert variants == {
            tuple(k): (v if isinstance(v, int) else len(v)) for k, v in pm4py.get_variants(log).items()
        }, process
        oracle = pm4py.get_rework_cases_per_activity(log[log["lifecycle"] != "start"])
        reworked = {
            r["activity"]: r["n_cases_with_rework"]
            for r in query(con, "rework").to_pylist()
            if r["process"] == process and r["n_cases_with_rework"]
        }
        assert reworked == dict(oracle), process
