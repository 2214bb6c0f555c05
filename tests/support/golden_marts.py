"""A small hand-written municipality that gives every mart rows: two processes, start/complete pairs, a redo,
a skipped step, an open case and a one-event case, contacts by number, by citizen and from a stranger, a deadline,
a rule and an intended model; built with the nightly build, so the catalogue's tests run on every mart."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import duckdb

T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
# (process, case, activity, day, lifecycle, org unit, resource, citizen)
EVENTS = [
    ("p", "p1", "A", 0, "complete", "u1", "ann", "x"),
    ("p", "p1", "B", 1, "start", "u2", "bob", "x"),
    ("p", "p1", "B", 1.1, "complete", "u2", "bob", "x"),
    ("p", "p1", "C", 3, "complete", "u2", "bob", "x"),
    ("p", "p1", "D", 4, "complete", "u1", "ann", "x"),
    ("p", "p2", "A", 0, "complete", "u1", "ann", "y"),
    ("p", "p2", "B", 2, "complete", "u2", "cy", "y"),
    ("p", "p2", "B", 5, "complete", "u2", "bob", "y"),
    ("p", "p2", "C", 6, "complete", "u2", "bob", "y"),
    ("p", "p2", "D", 20, "complete", "u1", "ann", "y"),
    ("p", "p3", "A", 1, "complete", "u1", "dan", "x"),
    ("p", "p3", "C", 2, "complete", "u2", "bob", "x"),
    ("p", "p3", "D", 3, "complete", "u1", "dan", "x"),
    ("p", "p4", "A", 10, "complete", "u1", "ann", "z"),
    ("p", "p4", "B", 12, "complete", "u2", "cy", "z"),
    ("p", "p5", "A", 15, "complete", "u1", "ann", "w"),
    ("q", "q1", "X", 0, "complete", "u3", "eve", "x"),
    ("q", "q1", "Y", 1, "complete", "u3", "eve", "x"),
    ("q", "q1", "Z", 2, "complete", "u1", "ann", "x"),
    ("q", "q2", "X", 3, "complete", "u3", "eve", "y"),
    ("q", "q2", "Y", 5, "complete", "u1", "fay", "y"),
]
# (day, channel, direction, citizen, case number shown, queue)
CONTACTS = [
    (2, "phone", "inbound", "x", None, "tel"),
    (3, "phone", "inbound", None, "p2", "tel"),
    (8, "email", "outbound", "y", None, "mail"),
    (11, "phone", "inbound", "z", None, "tel"),
    (9, "phone", "inbound", "v", None, "tel"),
]
MODEL = "->('A', 'B', 'C', 'D')"  # p's intended model: p2 does B twice, p3 skips it


def build_golden(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Load the log into a fresh warehouse `con` and build every mart (the intended model goes to `folder`)."""
    import pm4py

    from mining.conformance import Intended, build_conformance
    from mining.engine import build
    from mining.rules import write_rules
    from warehouse.config import Process, Rule

    con.execute("insert into meta.batches (source, started_at, finished_at, status) values ('s', now(), now(), 'done')")
    for i, (process, case, activity, day, lifecycle, unit, resource, citizen) in enumerate(EVENTS, start=1):
        con.execute(
            "insert into staging.events (event_id, source, process, case_id, activity, ts, lifecycle, "
            "org_unit, resource, citizen_key, source_seq, batch_id) "
            "values (?, 's', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [
                str(uuid.uuid4()),
                process,
                case,
                activity,
                T0 + dt.timedelta(days=day),
                lifecycle,
                unit,
                resource,
                citizen,
                i,
            ],
        )
    for i, (day, channel, direction, citizen, ref, queue) in enumerate(CONTACTS, start=1):
        con.execute(
            "insert into staging.contacts (contact_id, source, ts, channel, direction, citizen_key, case_ref, "
            "org_unit, source_seq, batch_id) values (?, 't', ?, ?, ?, ?, ?, ?, ?, 1)",
            [str(uuid.uuid4()), T0 + dt.timedelta(days=day), channel, direction, citizen, ref, queue, i],
        )
    rule = Rule(name="C within 5 days", kind="response", activity="A", response="C", days=5)
    write_rules(
        con,
        {
            "p": Process(
                name_da="p",
                name_en="p",
                deadline_days=10,
                deadline_working_days=True,
                deadline_from="A",
                deadline_to="D",
                planned_waits=[("C", "D")],
                hourly_rate_dkk=500,
                standard_minutes={"A": 10, "C": 30},
                rules=[rule],
            ),
            "q": Process(name_da="q", name_en="q"),
        },
    )
    build(con, ["case_variants", "value_stream_cases"])
    bpmn = folder / "p.bpmn"
    pm4py.write_bpmn(pm4py.convert_to_bpmn(pm4py.parse_process_tree(MODEL)), str(bpmn), auto_layout=False)
    build_conformance(con, {"p": Intended(bpmn)})
    build(con)
