"""Object-centric logs: OCEL 2.0 JSON, XML and SQLite and OCEL 1.0 JSON, checked against pm4py's readers.

The logs are written by pm4py itself (its OCEL 2.0 writers), so both the files and the
oracle (pm4py.read_ocel2, pm4py.ocel_flattening) come from code nobody here wrote.
"""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from connectors.base import ReadError
from connectors.ocel import detect_format, read_ocel
from warehouse.config import Source
from warehouse.load import load_file
from warehouse.migrations import connect
from warehouse.pseudonym import Pseudonymiser, contains_cpr

PSEUDO = Pseudonymiser(bytes(range(32)))
FORMATS = {
    "json": ("jsonocel", "write_ocel2_json"),
    "xml": ("xmlocel", "write_ocel2_xml"),
    "sqlite": ("sqlite", "write_ocel2_sqlite"),
}


def _ocel():
    """A small journey log: 40 cases (sag), 15 citizens (borger), 6 caseworkers, 3 events per case and a
    phone call per citizen; event and object attributes, attribute changes, object-to-object links,
    a CPR number in a note, two events at the same instant in one case."""
    import pm4py

    events, relations = [], []
    base = pd.Timestamp("2025-03-01 08:00", tz="UTC")
    eid = 0
    for case in range(40):
        for step, activity in enumerate(["Ansøgning modtaget", "Sagsbehandling", "Afgørelse"]):
            eid += 1
            hours = 5 if (case, step) == (7, 2) else step * 5  # sag-7: the decision at the same instant
            ts = base + pd.Timedelta(days=case, hours=hours)
            note = "borger 0102034567 ringede" if eid == 5 else f"trin {step}"
            events.append(
                {
                    "ocel:eid": f"e{eid}",
                    "ocel:timestamp": ts,
                    "ocel:activity": activity,
                    "cost": float(step * 10 + case % 3),
                    "note": note,
                }
            )
            relations += [
                (f"e{eid}", activity, ts, f"sag-{case}", "sag", "handled"),
                (f"e{eid}", activity, ts, f"borger-{case % 15}", "borger", "part"),
            ]
            if step:
                relations.append((f"e{eid}", activity, ts, f"mdb-{case % 6}", "medarbejder", "by"))
    for citizen in range(15):
        eid += 1
        ts = base + pd.Timedelta(days=citizen, hours=2)
        events.append(
            {"ocel:eid": f"e{eid}", "ocel:timestamp": ts, "ocel:activity": "Opkald", "cost": 1.0, "note": "status"}
        )
        relations.append((f"e{eid}", "Opkald", ts, f"borger-{citizen}", "borger", "caller"))
    objects = (
        [{"ocel:oid": f"sag-{i}", "ocel:type": "sag", "team": "Team Nord" if i % 2 else "Team Syd"} for i in range(40)]
        + [{"ocel:oid": f"borger-{i}", "ocel:type": "borger", "team": None} for i in range(15)]
        + [{"ocel:oid": f"mdb-{i}", "ocel:type": "medarbejder", "team": "Team Nord"} for i in range(6)]
    )
    ocel = pm4py.OCEL(
        events=pd.DataFrame(events),
        objects=pd.DataFrame(objects),
        relations=pd.DataFrame(
            relations,
            columns=["ocel:eid", "ocel:activity", "ocel:timestamp", "ocel:oid", "ocel:type", "ocel:qualifier"],
        ),
        object_changes=pd.DataFrame(
            {
                "ocel:oid": ["sag-1", "sag-2", "sag-3"],
                "ocel:type": ["sag"] * 3,
                "ocel:timestamp": pd.to_datetime(["2025-04-01T10:00:00Z"] * 3),
                "ocel:field": ["team"] * 3,
                "team": ["Team Øst"] * 3,
            }
        ),
        o2o=pd.DataFrame(
            {
                "ocel:oid": [f"sag-{i}" for i in range(40)],
                "ocel:oid_2": [f"borger-{i % 15}" for i in range(40)],
                "ocel:qualifier": ["part"] * 40,
            }
        ),
    )
    return ocel


@pytest.fixture(autouse=True)
def pm4py_own_ocel_reader(monkeypatch):
    """pm4py's own OCEL 2.0 readers as the oracle: with rustxes installed pm4py would read OCEL 2.0 JSON by it,
    which counts every object's first attribute values as changes (49 here, where the file has 3)."""
    import pm4py.read

    monkeypatch.setattr(pm4py.read, "get_rustxes_backend_name", lambda: None)


@pytest.fixture(scope="module")
def ocel_files(tmp_path_factory) -> dict[str, Path]:
    import pm4py

    root = tmp_path_factory.mktemp("ocel")
    ocel = _ocel()
    files = {}
    for fmt, (suffix, writer) in FORMATS.items():
        files[fmt] = root / f"journey.{suffix}"
        getattr(pm4py, writer)(ocel, str(files[fmt]))
    return files


def _source(object_type: str, **kw) -> Source:
    return Source.model_validate({"kind": "ocel", "path": "x", "process": "journey", "object_type": object_type, **kw})


def _table_counts(con) -> dict[str, int]:
    return {
        t: con.execute(f"select count(*) from staging.{t}").fetchall()[0][0]
        for t in ("ocel_events", "objects", "object_changes", "event_objects", "object_objects", "events", "cases")
    }


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_ocel2_format_loads_as_pm4py_reads_and_flattens_it(ocel_files, fmt):
    import pm4py

    path = ocel_files[fmt]
    oracle = pm4py.read_ocel2(str(path))
    assert detect_format(path) == f"ocel2-{fmt}"
    con = connect(":memory:")
    r = load_file(con, _source("sag"), "journey", path, PSEUDO)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_new) == (135, 135, 0, 135)
    flat = pm4py.ocel_flattening(oracle, "sag")
    got = _table_counts(con)
    relations = oracle.relations.drop_duplicates(["ocel:eid", "ocel:oid", "ocel:qualifier"])
    assert got == {
        "ocel_events": len(oracle.events),
        "objects": len(oracle.objects),
        "object_changes": len(oracle.object_changes),
        "event_objects": len(relations),
        "object_objects": len(oracle.o2o),
        "events": len(flat),
        "cases": flat["case:concept:name"].nunique(),
    }
    assert got["events"] == 120 and got["cases"] == 40 and got["objects"] == 61
    # the same (case, activity, instant) triples as pm4py's flattening
    mine = con.execute("select case_id, activity, epoch_us(ts) from staging.events order by all").fetchall()
    theirs = sorted(
        zip(
            flat["case:concept:name"],
            flat["concept:name"],
            (int(t.value // 1000) for t in flat["time:timestamp"]),
            strict=True,
        )
    )
    assert mine == theirs
    # objects keep their attributes and their history
    assert con.execute("select attributes->>'team' from staging.objects where object_id = 'sag-1'").fetchall() == [
        ("Team Nord",)
    ]
    assert con.execute("select object_id, value, ts from staging.object_changes order by object_id").fetchall() == [
        (f"sag-{i}", "Team Øst", pd.Timestamp("2025-04-01T10:00:00Z").to_pydatetime()) for i in (1, 2, 3)
    ]
    # a case carries its object's attributes and spans its events
    case = con.execute(
        "select attributes->>'team', opened_at, closed_at from staging.cases where case_id = 'sag-4'"
    ).fetchall()[0]
    assert case[0] == "Team Syd"
    assert (pd.Timestamp(case[2]) - pd.Timestamp(case[1])) == pd.Timedelta(hours=10)
    # event attributes are kept; the CPR number in a note is not
    assert con.execute("select attributes->>'cost' from staging.ocel_events where event_key = 'e6'").fetchall() == [
        ("21.0",)
    ]  # case 1, step 2: 2 * 10 + 1
    note = con.execute("select attributes->>'note' from staging.ocel_events where event_key = 'e5'").fetchall()[0][0]
    assert note.startswith("borger cz_") and not contains_cpr(note)


def test_ties_keep_the_log_order(ocel_files):
    """Case sag-7's last two events share an instant: the log's own order (source_seq) breaks the tie."""
    con = connect(":memory:")
    load_file(con, _source("sag"), "journey", ocel_files["json"], PSEUDO)
    assert con.execute(
        "select activity from staging.events where case_id = 'sag-7' order by ts, source_seq"
    ).fetchall() == [("Ansøgning modtaget",), ("Sagsbehandling",), ("Afgørelse",)]


def test_another_object_type_gives_other_cases_from_the_same_file(ocel_files):
    import pm4py

    con = connect(":memory:")
    load_file(con, _source("borger"), "borger", ocel_files["json"], PSEUDO)
    flat = pm4py.ocel_flattening(pm4py.read_ocel2(str(ocel_files["json"])), "borger")
    assert (
        con.execute("select count(*), count(distinct case_id) from staging.events").fetchall()
        == [(len(flat), flat["case:concept:name"].nunique())]
        == [(135, 15)]
    )
    # the citizen's journey: a phone call among the case steps
    assert con.execute(
        "select count(*) from staging.events where case_id = 'borger-0' and activity = 'Opkald'"
    ).fetchall() == [(1,)]


def test_reloading_adds_nothing_and_counts_stay(ocel_files):
    con = connect(":memory:")
    load_file(con, _source("sag"), "journey", ocel_files["xml"], PSEUDO)
    before = _table_counts(con)
    again = load_file(con, _source("sag"), "journey", ocel_files["xml"], PSEUDO)
    assert again.skipped and _table_counts(con) == before
    # the same log in another format (another file, another sha256): read again, nothing new stored
    other = load_file(con, _source("sag"), "journey", ocel_files["sqlite"], PSEUDO)
    assert (other.rows_read, other.rows_new) == (135, 0) and _table_counts(con) == before


def test_the_real_ocel1_log_matches_pm4py(shared_data):
    import pm4py

    path = shared_data / "github_pm4py.jsonocel"
    assert detect_format(path) == "ocel1-json"
    oracle = pm4py.read_ocel(str(path))
    assert (len(oracle.events), len(oracle.objects)) == (1798, 532)
    con = connect(":memory:")
    for object_type in pm4py.ocel_get_object_types(oracle):
        r = load_file(con, _source(object_type), object_type, path, PSEUDO)
        assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (1798, 1798, 0)
        flat = pm4py.ocel_flattening(oracle, object_type)
        assert con.execute(
            "select count(*), count(distinct case_id), count(distinct activity) from staging.events where source = ?",
            [object_type],
        ).fetchall() == [(len(flat), flat["case:concept:name"].nunique(), flat["concept:name"].nunique())]
        assert con.execute("select count(*) from staging.objects where source = ?", [object_type]).fetchall() == [
            (532,)
        ]
        assert con.execute("select count(*) from staging.event_objects where source = ?", [object_type]).fetchall() == [
            (len(oracle.relations),)
        ]


def test_an_event_without_time_is_quarantined_with_its_number(tmp_path):
    path = tmp_path / "bad.jsonocel"
    path.write_text(
        '{"objectTypes": [{"name": "sag", "attributes": []}], "eventTypes": [], "objects": '
        '[{"id": "s1", "type": "sag"}], "events": ['
        '{"id": "a", "type": "Start", "time": "2025-01-02T09:00:00Z", "relationships": [{"objectId": "s1"}]},'
        '{"id": "b", "type": "Midt", "time": "i går", "relationships": [{"objectId": "s1"}]},'
        '{"id": "c", "type": "Slut", "time": "2025-01-03T09:00:00", "relationships": [{"objectId": "s1"}]}'
        "]}",
        encoding="utf-8",
    )
    con = connect(":memory:")
    r = load_file(con, _source("sag"), "s", path, PSEUDO)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (3, 2, 1)
    assert con.execute("select record, row_number, field, reason from raw.quarantine order by record").fetchall() == [
        ("relation", 2, "ocel:eid", "event b is not among the log's events (missing, or quarantined)"),
        ("row", 2, "ocel:timestamp", "timestamp missing or not readable"),
    ]
    # a naive time is read in the source's zone (Copenhagen, +01:00 in January)
    assert con.execute(
        "select activity, strftime(ts at time zone 'UTC', '%H:%M') from staging.events order by ts"
    ).fetchall() == [("Start", "09:00"), ("Slut", "08:00")]


def test_nothing_of_an_ocel_log_is_merged_or_dropped_unseen(tmp_path):
    """A duplicate event id, an event whose only object is missing, relations to objects the log does not have, an
    object without its id: each goes to quarantine with its kind, number and reason; the rest loads."""
    path = tmp_path / "hostile.jsonocel"
    ev = lambda i, t, time, *objs: {  # noqa: E731 - a row maker of one expression, read as a table below
        "id": i,
        "type": t,
        "time": time,
        "relationships": [{"objectId": o, "qualifier": ""} for o in objs],
    }
    path.write_text(
        json.dumps(
            {
                "objectTypes": [{"name": "sag", "attributes": []}],
                "eventTypes": [],
                "objects": [
                    {"id": "s1", "type": "sag", "relationships": [{"objectId": "ghost3", "qualifier": "del af"}]},
                    {"id": "s2", "type": "sag"},
                    {"type": "sag"},
                ],
                "events": [
                    ev("a", "Start", "2025-01-02T09:00:00Z", "s1"),
                    ev("b", "Midt", "2025-01-03T09:00:00Z", "s1"),
                    ev("a", "Forfalsket", "2025-06-01T09:00:00Z", "s1"),
                    ev("c", "Slut", "2025-01-04T09:00:00Z", "ghost"),
                    ev("d", "Slut", "2025-01-05T09:00:00Z", "s2", "ghost2"),
                ],
            }
        ),
        encoding="utf-8",
    )
    con = connect(":memory:")
    r = load_file(con, _source("sag"), "s", path, PSEUDO)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined, r.records_quarantined) == (5, 3, 2, 4)
    assert con.execute(
        "select record, row_number, field, reason from raw.quarantine order by record, row_number"
    ).fetchall() == [
        ("o2o", 1, "ocel:oid_2", "object ghost3 is not among the log's objects"),
        ("object", 3, "ocel:oid", "ocel:oid is empty"),
        ("relation", 4, "ocel:oid", "object ghost is not among the log's objects"),
        ("relation", 6, "ocel:oid", "object ghost2 is not among the log's objects"),
        ("row", 3, "ocel:eid", "duplicate event id a: row 1 has it already (nothing merged)"),
        ("row", 4, "ocel:oid", "every object it names is missing from the log's objects (ghost)"),
    ]
    # the event 'a' is the first row's, never a mix of the two
    assert con.execute(
        "select case_id, activity, ts at time zone 'UTC' from staging.events order by ts"
    ).fetchall() == [
        ("s1", "Start", dt.datetime(2025, 1, 2, 9)),
        ("s1", "Midt", dt.datetime(2025, 1, 3, 9)),
        ("s2", "Slut", dt.datetime(2025, 1, 5, 9)),
    ]
    assert con.execute("select rows_read, rows_loaded, rows_quarantined from meta.batches").fetchall() == [(5, 3, 2)]
    assert _table_counts(con) | {"cases": None} == {
        "ocel_events": 3,
        "objects": 2,
        "object_changes": 0,
        "event_objects": 3,
        "object_objects": 0,
        "events": 3,
        "cases": None,
    }


@pytest.mark.parametrize(
    "content, message",
    [
        (b"hello", "not an OCEL file"),
        (b'{"ocel:events": {"1": {"ocel:activity": "a", ', "cannot read as ocel1-json"),
        (
            b"<?xml version='1.0'?><log><global scope='event'><string key='ocel:activity'/></global></log>",
            "OCEL 1.0 XML is not supported",
        ),
    ],
)
def test_files_that_are_not_ocel_are_named_and_refused(tmp_path, content, message):
    path = tmp_path / "x.jsonocel"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=message):
        list(read_ocel(path))


def test_ocel_config_needs_an_object_type():
    with pytest.raises(ValueError, match="an OCEL source needs object_type"):
        Source.model_validate({"kind": "ocel", "path": "x", "process": "p"})
    with pytest.raises(ValueError, match="object_type is for OCEL sources only"):
        Source.model_validate(
            {"kind": "csv", "path": "x", "process": "p", "object_type": "sag", "mapping": {"ts": "t", "activity": "a"}}
        )
