"""Bottlenecks: exact waits on a hand-written log, and the simulator's injected bottlenecks found."""

import datetime as dt
import json
import shutil
import uuid

import duckdb
import pytest

from mining.engine import build, query
from mining.rules import write_rules
from warehouse.config import Process, load_config
from warehouse.migrations import connect

T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
# (case, activity, day, org unit, resource)
LOG = [
    ("k1", "A", 0, "u1", "ann"),
    ("k1", "B", 2, "u2", "bob"),
    ("k1", "C", 3, "u2", "bob"),
    ("k2", "A", 0, "u1", "ann"),
    ("k2", "B", 5, "u2", "bob"),
    ("k2", "B", 6, "u3", "cy"),
    ("k2", "C", 10, "u2", "bob"),
    ("k3", "A", 0, "u1", "ann"),
    ("k3", "C", 1, "u2", "dan"),
]


def _golden(planned: list[tuple[str, str]]):
    con = connect(":memory:")
    for i, (case, activity, day, unit, resource) in enumerate(LOG, start=1):
        con.execute(
            "insert into staging.events (event_id, source, process, case_id, activity, ts, org_unit, resource, "
            "source_seq, batch_id) values (?, 's', 'p', ?, ?, ?, ?, ?, ?, 1)",
            [str(uuid.uuid4()), case, activity, T0 + dt.timedelta(days=day), unit, resource, i],
        )
    write_rules(con, {"p": Process(name_da="p", name_en="p", planned_waits=planned)})
    build(con, ["bottlenecks", "bottleneck_activities", "bottleneck_owners", "bottleneck_months", "bottleneck_cases"])
    return con


def test_transitions_ranked_by_total_median_and_p90():
    rows = {(r["source_activity"], r["target_activity"]): r for r in query(_golden([]), "bottlenecks").to_pylist()}
    ab, bc = rows[("A", "B")], rows[("B", "C")]
    assert (ab["n_cases"], ab["total_wait_days"], ab["median_case_wait_days"]) == (2, 7.0, 3.5)
    assert ab["p90_case_wait_days"] == pytest.approx(4.7)  # 2 + 0.9 * (5 - 2)
    assert (bc["total_wait_days"], bc["median_case_wait_days"]) == (5.0, 2.5)
    assert {k: r["rank_by_total"] for k, r in rows.items()} == {
        ("A", "B"): 1,
        ("B", "C"): 2,
        ("B", "B"): 3,
        ("A", "C"): 3,
    }
    assert ab["share_of_waiting"] == pytest.approx(7 / 14)


def test_planned_waits_are_shown_but_not_ranked():
    con = _golden([("B", "C")])
    rows = {(r["source_activity"], r["target_activity"]): r for r in query(con, "bottlenecks").to_pylist()}
    assert rows[("B", "C")]["is_planned"] and rows[("B", "C")]["rank_by_total"] is None
    assert (
        rows[("A", "B")]["rank_by_total"],
        rows[("B", "B")]["rank_by_total"],
        rows[("A", "C")]["rank_by_total"],
    ) == (1, 2, 2)
    before = {r["activity"]: r for r in query(con, "bottleneck_activities").to_pylist()}
    assert (before["B"]["total_wait_days"], before["B"]["median_case_wait_days"]) == (8.0, 4.0)  # k1 2, k2 5 + 1
    assert before["C"]["total_wait_days"] == 1.0  # only k3's A -> C: B -> C is planned
    owners = {
        (r["level"], r["owner"], r["source_activity"], r["target_activity"]): r["total_wait_days"]
        for r in query(con, "bottleneck_owners").to_pylist()
    }
    assert owners[("org_unit", "u2", "A", "B")] == 7.0  # u2 did B: the wait was u2's queue
    assert owners[("org_unit", "u3", "B", "B")] == 1.0
    assert owners[("resource", "dan", "A", "C")] == 1.0
    assert ("org_unit", "u2", "B", "C") not in owners
    months = query(con, "bottleneck_months").to_pylist()
    assert {r["month"] for r in months} == {dt.date(2025, 3, 1)}
    worst = [
        (r["case_id"], r["worst_rank"], r["wait_days"])
        for r in query(con, "bottleneck_cases").to_pylist()
        if (r["source_activity"], r["target_activity"]) == ("A", "B")
    ]
    assert worst == [("k2", 1, 5.0), ("k1", 2, 2.0)]


@pytest.mark.slow
def test_simulator_bottlenecks_rank_first(baseline, baseline_warehouse, tmp_path):
    """Each process's injected bottleneck ranks in its top three by total waiting as the data come; with the
    process's intended waits (follow-ups, meeting cycles) configured as planned, it ranks first."""
    truth = json.loads((baseline / "ground_truth" / "ground_truth.json").read_text(encoding="utf-8"))["processes"]
    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    for process, t in truth.items():
        ranks = {
            (r["source_activity"], r["target_activity"]): r["rank_by_total"]
            for r in query(con, "bottlenecks").to_pylist()
            if r["process"] == process
        }
        assert ranks[(t["bottleneck"]["from"], t["bottleneck"]["to"])] <= 3, process
    con.close()
    db = tmp_path / "planned.duckdb"
    shutil.copy(baseline_warehouse, db)
    con = duckdb.connect(str(db))
    cfg, _ = load_config(baseline / "vaerdistrom.toml")
    processes = {
        name: p.model_copy(
            update={"planned_waits": [(x["from"], x["to"]) for x in truth[name]["transitions"] if x["planned"]]}
        )
        for name, p in cfg.processes.items()
    }
    write_rules(con, processes)
    build(con, ["bottlenecks"])
    for process, t in truth.items():
        top = con.execute(
            "select source_activity, target_activity from marts.bottlenecks where process = ? and rank_by_total = 1",
            [process],
        ).fetchall()
        assert top == [(t["bottleneck"]["from"], t["bottleneck"]["to"])], process
