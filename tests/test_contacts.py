"""Off-system contacts: attributed to the right case, and placed in the wait they fell in."""

import datetime as dt
import uuid

import duckdb
import polars as pl
import pytest
from support.exports import truth_contacts

from mining.engine import build, query
from warehouse.migrations import connect

T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


def _at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


@pytest.fixture
def golden():
    """Citizen 'x' has case c1 (A day 0, B day 20) and, later, c2 in process q (A day 30, B day 31); citizen 'y' c3."""
    con = connect(":memory:")
    events = [
        ("p", "c1", "A", 0, "x"),
        ("p", "c1", "B", 20, "x"),
        ("q", "c2", "A", 30, "x"),
        ("q", "c2", "B", 31, "x"),
        ("p", "c3", "A", 0, "y"),
        ("p", "c3", "B", 2, "y"),
    ]
    for i, (process, case, activity, day, citizen) in enumerate(events, start=1):
        con.execute(
            "insert into staging.events (event_id, source, process, case_id, activity, ts, citizen_key, "
            "source_seq, batch_id) values (?, 's', ?, ?, ?, ?, ?, ?, 1)",
            [str(uuid.uuid4()), process, case, activity, _at(day), citizen, i],
        )
    contacts = [  # (name, day, direction, citizen, case number shown, queue)
        ("status_call", 10, "inbound", "x", None, "tel"),  # during c1's long wait A -> B: only c1 open
        ("numbered", 5, "outbound", None, "c3", "tel"),  # shows c3's number
        ("both_open", 30.5, "inbound", "x", None, "tel"),  # c1 (within its grace) and c2 both open
        ("both_open_mail", 30.5, "inbound", "x", None, "mail"),  # the same, to a mailbox nobody numbered
        ("stranger", 10, "inbound", "z", None, "tel"),  # a citizen without a case
        ("before", -5, "inbound", "y", None, "tel"),  # before y's case opened
    ]
    for i, (name, day, direction, citizen, ref, queue) in enumerate(contacts, start=1):
        con.execute(
            "insert into staging.contacts (contact_id, source, ts, channel, direction, citizen_key, case_ref, "
            "org_unit, attributes, source_seq, batch_id) values (?, 't', ?, 'phone', ?, ?, ?, ?, ?, ?, 1)",
            [str(uuid.uuid4()), _at(day), direction, citizen, ref, queue, f'{{"name": "{name}"}}', i],
        )
    build(con, ["contact_cases", "contact_summary", "contact_waits"])
    return con


def test_golden_attribution(golden):
    rows = golden.execute(
        "select c.attributes->>'name', m.case_id, m.rule, m.wait_from, m.wait_to, "
        "m.is_failure_demand from marts.contact_cases as m join staging.contacts as c "
        "using (contact_id)"
    ).fetchall()
    got = {r[0]: r[1:] for r in rows}
    assert got["status_call"] == ("c1", "citizen_open_case", "A", "B", True)
    assert got["numbered"] == ("c3", "case_number", "B", None, False)  # after c3's last event
    # two open cases: the queue's numbered contacts were all process p's, so c1; the mailbox tells nothing: newest
    assert got["both_open"][:2] == ("c1", "citizen_open_case_queue")
    assert got["both_open_mail"][:2] == ("c2", "citizen_latest_case")
    assert got["stranger"] == (None, "unattributed", None, None, True)
    assert got["before"][:2] == (None, "unattributed")


def test_golden_summary_and_waits(golden):
    summary = {r["process"]: r for r in query(golden, "contact_summary").to_pylist()}
    assert (
        summary["p"]["n_cases"],
        summary["p"]["n_contacts"],
        summary["p"]["n_inbound"],
        summary["p"]["n_outbound"],
    ) == (2, 3, 2, 1)
    assert summary["p"]["contacts_per_case"] == 1.5
    assert summary["q"]["n_contacts"] == 1  # both_open_mail
    waits = {(r["process"], r["source_activity"]): r for r in query(golden, "contact_waits").to_pylist()}
    ab = waits[("p", "A")]
    assert ab["waiting_weeks"] == pytest.approx(22 / 7)  # c1 waited 20 days, c3 two
    assert (ab["n_contacts"], ab["n_inbound"]) == (1, 1)  # the status call; `numbered` came after c3's last event
    assert ab["inbound_per_waiting_week"] == pytest.approx(7 / 22)


@pytest.mark.slow
def test_simulator_contacts_attributed_to_their_true_case(baseline, baseline_warehouse):
    """At least 95% of the contacts that show a case number or a CPR number of a citizen with a case are
    attributed to that case; contacts that belong to no case are almost never attributed; and an attributed
    contact lands in the wait the simulator made it in."""
    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    mine = con.sql(
        "select c.source as system, coalesce(c.attributes->>'OpkaldsID', c.attributes->>'beskedId', "
        "c.attributes->>'BesoegsID') as key, m.case_id, m.rule, m.wait_from as my_from, "
        "m.wait_to as my_to from marts.contact_cases as m join staging.contacts as c using (contact_id)"
    ).pl()
    truth = truth_contacts(baseline).with_columns(pl.col("key").cast(pl.Utf8))
    joined = truth.join(mine, on=["system", "key"], how="left")
    assert joined["rule"].null_count() == 0 and len(mine) == len(truth)  # every contact has a row
    with_case = joined.filter(pl.col("attributable") & pl.col("true_case_id").is_not_null())
    right = with_case.filter(pl.col("case_id") == pl.col("true_case_id"))
    assert len(with_case) > 5_000
    assert len(right) / len(with_case) >= 0.98, with_case.group_by("rule").len()  # the issue asks 95%; 99% measured
    assert (
        right.filter(pl.col("rule") == "case_number").height
        == with_case.filter(pl.col("case_ref_shown").is_not_null()).height
    )  # a shown case number is always right
    no_case = joined.filter(pl.col("true_case_id").is_null())
    assert no_case["case_id"].is_not_null().sum() / len(no_case) <= 0.01
    same_wait = (right["my_from"] == right["wait_from"]) & right["my_to"].eq_missing(right["wait_to"])
    assert same_wait.mean() >= 0.9
