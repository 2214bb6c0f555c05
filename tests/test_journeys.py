"""Citizen journeys and handovers: by hand on a small log, and per citizen against the simulator's truth."""

import collections
import datetime as dt
import uuid

import duckdb
import pytest
from support.exports import truth_cases

from mining.engine import build, query
from mining.rules import write_rules
from warehouse.migrations import connect
from warehouse.pseudonym import Pseudonymiser

T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
# (process, case, activity, day, org unit, resource, citizen)
LOG = [
    ("p", "c1", "A", 0, "u1", "ann", "x"),
    ("p", "c1", "B", 2, "u2", "bob", "x"),
    ("p", "c1", "C", 3, "u2", "bob", "x"),
    ("p", "c1", "D", 7, "u1", "ann", "x"),
    ("q", "c2", "A", 1, "u3", "cy", "x"),
    ("q", "c2", "B", 4, "u3", "cy", "x"),
    ("p", "c3", "A", 0, "u1", "dan", "y"),
    ("p", "c3", "B", 1, "u2", "bob", "y"),
]


@pytest.fixture(scope="module")
def golden():
    con = connect(":memory:")
    for i, (process, case, activity, day, unit, resource, citizen) in enumerate(LOG, start=1):
        con.execute(
            "insert into staging.events (event_id, source, process, case_id, activity, ts, org_unit, resource, "
            "citizen_key, source_seq, batch_id) values (?, 's', ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [str(uuid.uuid4()), process, case, activity, T0 + dt.timedelta(days=day), unit, resource, citizen, i],
        )
    for i, (day, direction, citizen, ref) in enumerate(
        [(1, "inbound", "x", "c1"), (5, "outbound", "x", None), (9, "inbound", "x", None)], start=1
    ):
        con.execute(
            "insert into staging.contacts (contact_id, source, ts, channel, direction, citizen_key, case_ref, "
            "source_seq, batch_id) values (?, 't', ?, 'phone', ?, ?, ?, ?, 1)",
            [str(uuid.uuid4()), T0 + dt.timedelta(days=day), direction, citizen, ref, i],
        )
    write_rules(con, {})
    build(con, ["citizen_journeys", "handovers"])
    return con


def test_journey_per_citizen(golden):
    rows = {r["citizen_key"]: r for r in query(golden, "citizen_journeys").to_pylist()}
    x = rows["x"]
    assert (x["n_cases"], x["n_processes"], x["processes"], x["n_org_units"], x["n_resources"], x["n_handovers"]) == (
        2,
        2,
        ["p", "q"],
        3,
        3,
        2,
    )  # c1: u1 -> u2, u2 -> u1
    assert x["waiting_days"] == pytest.approx(7 + 3)  # c1 waited 2 + 1 + 4 days between steps, c2 3
    assert (x["n_contacts"], x["n_inbound"], x["n_outbound"]) == (3, 2, 1)
    assert x["first_event_at"] == T0 and x["last_event_at"] == T0 + dt.timedelta(days=7)
    y = rows["y"]
    assert (y["n_cases"], y["n_org_units"], y["n_handovers"], y["n_contacts"]) == (1, 2, 1, 0)


def test_handover_matrix(golden):
    got = {
        (r["process"], r["from_org_unit"], r["to_org_unit"]): (r["n_handovers"], r["n_cases"], r["total_wait_days"])
        for r in query(golden, "handovers").to_pylist()
    }
    assert got == {("p", "u1", "u2"): (2, 2, 3.0), ("p", "u2", "u1"): (1, 1, 4.0)}


@pytest.mark.slow
def test_simulator_cases_per_citizen(baseline, baseline_warehouse):
    """Cases per citizen equal the simulator's truth (its CPR numbers pseudonymised with the test key), for the
    processes whose export names the citizen the case is about (placement cases name the applying parent)."""
    pseudo = Pseudonymiser(bytes.fromhex("ab" * 32))
    expected = collections.Counter(
        pseudo.of(t["cpr"]) for t in truth_cases(baseline) if t["process"] != "pladsanvisning"
    )
    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    got = dict(
        con.execute(
            "select citizen_key, count(*) from (select process, case_id, max(citizen_key) as citizen_key "
            "from marts.event_sequence where process != 'pladsanvisning' group by all) group by all"
        ).fetchall()
    )
    assert got == dict(expected)
    journeys = {r["citizen_key"]: r["n_cases"] for r in query(con, "citizen_journeys").to_pylist()}
    assert sum(journeys.values()) == con.execute("select count(*) from marts.case_variants").fetchall()[0][0]
