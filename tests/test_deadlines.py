"""Deadlines: working days over a public holiday by hand, and the simulator's recorded deadlines recovered."""

import datetime as dt
import uuid

import duckdb
import pytest
from support.exports import truth_cases

from mining.engine import build, query
from mining.filters import Filters
from mining.rules import calendar_table, write_rules
from warehouse.config import Process
from warehouse.migrations import connect

UTC = dt.UTC


def _warehouse(events, rule: Process):
    con = connect(":memory:")
    for i, (case, activity, ts, lifecycle) in enumerate(events, start=1):
        con.execute(
            "insert into staging.events (event_id, source, process, case_id, activity, ts, lifecycle, "
            "source_seq, batch_id) values (?, 'golden', 'p', ?, ?, ?, ?, ?, 1)",
            [str(uuid.uuid4()), case, activity, ts, lifecycle, i],
        )
    write_rules(con, {"p": rule})
    build(con, ["case_variants", "deadlines", "deadline_summary"])
    return con


def _local(text: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Copenhagen"))


RULE = Process(
    name_da="p", name_en="p", deadline_days=3, deadline_working_days=True, deadline_from="A", deadline_to="D"
)


@pytest.fixture
def easter():
    """Received Tuesday 15 April 2025; three working days later is Wednesday 23 April: Skærtorsdag (17th),
    Langfredag (18th), the weekend and 2. påskedag (21st) do not count."""
    events = [
        ("late", "A", _local("2025-04-15T10:00"), "complete"),
        ("late", "D", _local("2025-04-24T09:00"), "complete"),  # one working day late
        ("ontime", "A", _local("2025-04-15T10:00"), "complete"),
        ("ontime", "D", _local("2025-04-23T23:00"), "start"),  # a start does not stop the clock ...
        ("ontime", "D", _local("2025-04-23T23:30"), "complete"),  # ... its completion does
        ("waiting", "A", _local("2025-04-28T10:00"), "complete"),  # still open, deadline passed at as_of
        ("new", "A", _local("2025-05-20T10:00"), "complete"),  # the last event: as_of; deadline not yet passed
        ("nostart", "D", _local("2025-04-16T10:00"), "complete"),
    ]
    return _warehouse(events, RULE)


def test_working_day_deadline_over_easter(easter):
    rows = {r["case_id"]: r for r in query(easter, "deadlines").to_pylist()}
    deadline = _local("2025-04-23T23:59:59")
    assert rows["late"]["deadline_at"] == deadline
    assert (rows["late"]["status"], rows["late"]["is_met"], rows["late"]["working_days_over_deadline"]) == (
        "missed",
        False,
        1,
    )
    assert rows["late"]["days_over_deadline"] == pytest.approx((9 * 3600 + 1) / 86400)
    assert (rows["ontime"]["status"], rows["ontime"]["is_met"], rows["ontime"]["days_over_deadline"]) == (
        "met",
        True,
        0,
    )
    assert rows["ontime"]["clock_stopped_at"] == _local("2025-04-23T23:30")
    # 28 April (Monday) + 3 working days = 1 May; as_of is 20 May: 13 working days over (1 May is no holiday)
    assert rows["waiting"]["deadline_at"] == _local("2025-05-01T23:59:59")
    assert (rows["waiting"]["status"], rows["waiting"]["is_met"], rows["waiting"]["working_days_over_deadline"]) == (
        "overdue",
        False,
        13,
    )
    assert (rows["new"]["status"], rows["new"]["is_met"]) == ("open", None)
    assert (rows["nostart"]["status"], rows["nostart"]["deadline_at"]) == ("no_start", None)


def test_deadline_summary_per_month(easter):
    rows = {(r["month"]): r for r in query(easter, "deadline_summary").to_pylist()}
    april = rows[dt.date(2025, 4, 1)]
    assert (april["n_cases"], april["n_met"], april["n_missed"], april["n_overdue"], april["n_open"]) == (3, 1, 1, 1, 0)
    assert april["share_met_of_decided"] == 0.5
    assert april["share_within_deadline"] == pytest.approx(1 / 3)
    assert rows[dt.date(2025, 5, 1)]["n_open"] == 1


def test_filters_apply_to_deadlines(easter):
    # cases with an event on or after 24 April (first to last event intersects the period)
    got = query(easter, "deadlines", Filters(period_from=dt.date(2025, 4, 24)))
    assert sorted(got.column("case_id").to_pylist()) == ["late", "new", "waiting"]
    got = query(easter, "deadlines", Filters(period_to=dt.date(2025, 4, 15), max_days=0.5))
    assert sorted(got.column("case_id").to_pylist()) == []  # ontime and late took over a week
    got = query(easter, "deadline_summary", Filters(min_days=8))
    assert got.column("n_cases").to_pylist() == [2] and got.column("n_met").to_pylist() == [1]


def test_calendar_counts_working_days():
    cal = {r["day"]: r for r in calendar_table(2025, 2025).to_pylist()}
    assert not cal[dt.date(2025, 4, 21)]["is_working_day"]  # 2. påskedag
    assert not cal[dt.date(2025, 6, 5)]["is_working_day"]  # Grundlovsdag (offices close)
    # 261 weekdays, less 11 on weekdays: 1/1, 17, 18, 21/4, 29/5, 5/6, 9/6, 24, 25, 26, 31/12
    assert cal[dt.date(2025, 12, 31)]["n_working_days"] == 250


@pytest.mark.slow
def test_simulator_deadlines_recovered(baseline, baseline_warehouse):
    """Every case's deadline and verdict as the simulator recorded it, where the config states its rule.

    Byggesag's service target depends on the kind of building (40-60 days) and may stop at a
    shelving: the config's one rule (40 days to "Afgørelse meddelt") is checked for deadlines only,
    on the 40-day kinds.
    """
    from simulator.templates.byggesag import TARGET_DAYS

    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    mine = {(r["process"], r["case_id"]): r for r in query(con, "deadlines").to_pylist()}
    checked = 0
    for t in truth_cases(baseline):
        if t["deadline_at"] is None:
            continue
        m = mine[(t["process"], t["case_id"])]
        if t["process"] == "byggesag":
            if TARGET_DAYS[t["subtype"]] == 40:
                assert m["deadline_at"] == dt.datetime.fromisoformat(t["deadline_at"]), t["case_id"]
            continue
        assert m["deadline_at"] == dt.datetime.fromisoformat(t["deadline_at"]), t["case_id"]
        assert m["is_met"] == t["deadline_met"], t["case_id"]
        if t["days_over_deadline"] is not None:  # the simulator counts wall-clock days: one DST hour apart
            assert m["days_over_deadline"] == pytest.approx(t["days_over_deadline"], abs=1 / 24 + 0.0006), t["case_id"]
        checked += 1
    assert checked > 2_000
    stored = con.execute("select count(*) from staging.cases where deadline_at is not null").fetchall()[0][0]
    assert stored == con.execute("select count(*) from marts.deadlines where deadline_at is not null").fetchall()[0][0]
