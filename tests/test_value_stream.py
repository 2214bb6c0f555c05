"""The value stream: hands-on time from start/complete pairs or standard times, waiting, PCE, kroner, rework."""

import datetime as dt
import uuid

import pytest

from mining.engine import build, query
from mining.rules import write_rules
from warehouse.config import Process
from warehouse.migrations import connect

DAY = dt.date(2025, 3, 3)
# (case, activity, hh:mm, lifecycle): v1 has a standard-timed A, a measured B, an untimed C and B again (rework)
LOG = [
    ("v1", "A", "08:00", "complete"),
    ("v1", "B", "10:00", "start"),
    ("v1", "B", "11:00", "complete"),
    ("v1", "C", "12:00", "complete"),
    ("v1", "B", "13:00", "start"),
    ("v1", "B", "13:30", "complete"),
    ("v2", "A", "08:00", "complete"),
]
RULE = Process(name_da="p", name_en="p", hourly_rate_dkk=600, standard_minutes={"A": 30})


@pytest.fixture(scope="module")
def golden():
    con = connect(":memory:")
    for i, (case, activity, hhmm, lifecycle) in enumerate(LOG, start=1):
        ts = dt.datetime.fromisoformat(f"{DAY}T{hhmm}:00+00:00")
        con.execute(
            "insert into staging.events (event_id, source, process, case_id, activity, ts, lifecycle, "
            "source_seq, batch_id) values (?, 's', 'p', ?, ?, ?, ?, ?, 1)",
            [str(uuid.uuid4()), case, activity, ts, lifecycle, i],
        )
    write_rules(con, {"p": RULE})
    build(con, ["value_stream", "value_stream_summary"])
    return con


def test_instances_pair_starts_with_completions(golden):
    rows = [
        (r["activity"], r["process_time_source"], r["process_seconds"], r["wait_before_seconds"], r["is_rework"])
        for r in query(golden, "activity_instances").to_pylist()
        if r["case_id"] == "v1"
    ]
    assert sorted(rows, key=lambda r: (r[0], r[4])) == [
        ("A", "standard", 1800.0, None, False),  # the case's first step: nothing to wait for
        ("B", "measured", 3600.0, 7200.0, False),  # started 10:00, A ended 08:00
        ("B", "measured", 1800.0, 3600.0, True),  # again after C
        ("C", "unknown", None, 3600.0, False),
    ]


def test_case_lead_process_waiting_cost(golden):
    cases = {r["case_id"]: r for r in query(golden, "value_stream_cases").to_pylist()}
    v1 = cases["v1"]
    assert v1["lead_time_days"] == pytest.approx(6 / 24)  # 07:30 (A's standard start) to 13:30
    assert (v1["process_hours"], v1["rework_hours"], v1["n_instances"], v1["n_timed_instances"]) == (2.0, 0.5, 4, 3)
    assert v1["waiting_days"] == pytest.approx(4 / 24)
    assert v1["process_cycle_efficiency"] == pytest.approx(2 / 6)
    assert (v1["cost_dkk"], v1["rework_cost_dkk"], v1["is_first_time_right"]) == (1200.0, 300.0, False)
    assert (cases["v2"]["process_cycle_efficiency"], cases["v2"]["cost_dkk"], cases["v2"]["is_first_time_right"]) == (
        1.0,
        300.0,
        True,
    )


def test_activities_and_summary(golden):
    steps = {r["activity"]: r for r in query(golden, "value_stream").to_pylist()}
    assert (
        steps["A"]["n_instances"],
        steps["A"]["n_cases"],
        steps["A"]["mean_process_minutes"],
        steps["A"]["cost_dkk"],
        steps["A"]["cost_per_case_dkk"],
        steps["A"]["first_time_right"],
    ) == (2, 2, 30.0, 600.0, 300.0, 1.0)
    b = steps["B"]
    assert (b["process_time_source"], b["mean_process_minutes"], b["total_process_hours"], b["cost_dkk"]) == (
        "measured",
        45.0,
        1.5,
        900.0,
    )
    assert (b["n_rework_instances"], b["rework_cost_dkk"], b["first_time_right"]) == (1, 300.0, 0.0)
    assert b["total_wait_before_days"] == pytest.approx(3 / 24)
    assert (steps["C"]["process_time_source"], steps["C"]["mean_process_minutes"]) == ("unknown", None)
    assert [r["activity"] for r in query(golden, "value_stream").to_pylist()] == ["A", "B", "C"]
    s = query(golden, "value_stream_summary").to_pylist()[0]
    assert s["n_cases"] == 2
    assert s["process_cycle_efficiency"] == pytest.approx(2.5 / 6.5)
    assert (s["mean_cost_dkk"], s["total_cost_dkk"], s["rework_cost_dkk"]) == (750.0, 1500.0, 300.0)
    assert (s["rework_share_of_process_time"], s["first_time_right"]) == (0.2, 0.5)
    assert s["median_lead_time_days"] == pytest.approx((6 + 0.5) / 2 / 24)
