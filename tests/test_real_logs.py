"""Data nobody here wrote: every real log loads with the counts pm4py's own readers report."""

import json

import pandas as pd
import pytest

from warehouse.config import Source
from warehouse.load import load_file
from warehouse.migrations import connect
from warehouse.pseudonym import Pseudonymiser

PSEUDO = Pseudonymiser(bytes(range(32)))
XES_MAPPING = {
    "ts": "time:timestamp",
    "activity": "concept:name",
    "case_id": "case:concept:name",
    "lifecycle": "lifecycle:transition",
    "resource": "org:resource",
}


def counts(con):
    return con.execute(
        "select count(distinct case_id), count(*), count(distinct activity) from staging.events"
    ).fetchall()[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, expected",
    [
        ("BPIC15_1.xes.gz", (1199, 52217)),
        ("receipt_wabo.xes.gz", (1434, 8577)),
        ("CoSeLoG_WABO_1.xes.gz", (937, 38944)),
        ("roadtraffic100traces.xes", (100, 390)),
    ],
)
def test_xes_logs_match_pm4py(shared_data, name, expected):
    import pm4py

    path = shared_data / name
    log = pm4py.read_xes(str(path))
    oracle = (log["case:concept:name"].nunique(), len(log), log["concept:name"].nunique())
    assert oracle[:2] == expected  # the figures shared/data/README.md gives
    no_activity = int(log["concept:name"].isna().sum())  # CoSeLoG has one event without concept:name
    con = connect(":memory:")
    src = Source.model_validate({"kind": "xes", "path": name, "process": "p", "mapping": XES_MAPPING})
    r = load_file(con, src, "real", path, PSEUDO)
    # every event pm4py reads is read; one without an activity goes to quarantine, said with its row
    assert (r.rows_read, r.rows_quarantined) == (expected[1], no_activity)
    assert counts(con) == (oracle[0], oracle[1] - no_activity, oracle[2])
    assert [q for (q,) in con.execute("select reason from raw.quarantine").fetchall()] == [
        "activity is empty"
    ] * no_activity
    # one case per trace, carrying the trace's attributes as pm4py reads them
    cases = con.execute("select case_id, attributes from staging.cases").fetchall()
    assert len(cases) == oracle[0]
    first = log.groupby("case:concept:name").first()
    case_id, attributes = cases[len(cases) // 2]
    expected = {k: str(v) for k, v in first.loc[case_id].items() if k.startswith("case:") and pd.notna(v)}
    mine = {k: v for k, v in json.loads(attributes).items() if v is not None}
    assert "case:concept:name" not in mine  # mapped to case_id: attributes hold everything else
    assert set(mine) == set(expected)  # the same trace attributes, none lost
    # the earliest and latest instants agree with pm4py's (UTC)
    lo, hi = con.execute("select min(ts), max(ts) from staging.events").fetchall()[0]
    assert pd.Timestamp(lo) == log["time:timestamp"].min() and pd.Timestamp(hi) == log["time:timestamp"].max()


def test_dreyers_fond_csv_matches_pm4py(shared_data):
    """The Danish foundation's export: ';', a trailing ';' on every line, 'NULL' strings, naive milliseconds."""
    import pm4py

    path = shared_data / "dreyers_fond_eventlog.csv"
    df = pd.read_csv(path, sep=";", na_values=["NULL"])
    df = pm4py.format_dataframe(df, case_id="ID", activity_key="Event", timestamp_key="Date")
    oracle = (df["case:concept:name"].nunique(), len(df), df["concept:name"].nunique())
    assert oracle[:2] == (587, 12151)
    con = connect(":memory:")
    src = Source.model_validate(
        {
            "kind": "csv",
            "path": path.name,
            "process": "bevilling",
            "mapping": {"case_id": "ID", "activity": "Event", "ts": "Date", "resource": "Role"},
        }
    )
    r = load_file(con, src, "dreyers", path, PSEUDO)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (12151, 12151, 0)
    assert counts(con) == oracle
    titles = con.execute("select count(*) from staging.events where attributes->>'Title' is null").fetchall()[0][0]
    assert titles == int(df["Title"].isna().sum())  # 'NULL' is a missing value, not the text NULL
    assert con.execute(
        "select count(*) from staging.events where attributes::varchar like '%_trailing%'"
    ).fetchall() == [(0,)]
