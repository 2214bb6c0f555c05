"""`vaerdistrom query`: the same numbers as the marts, filters that keep the right cases, one line on bad input."""

import csv
import io
import json

import duckdb
import pytest
from test_cli import invoke

pytestmark = pytest.mark.slow


def test_csv_is_the_mart(baseline_warehouse):
    result = invoke(
        "query", "bottlenecks", "--process", "visitation", "--format", "csv", "--warehouse", baseline_warehouse
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    expected = con.execute(
        "select source_activity, target_activity, total_wait_days from marts.bottlenecks where process = 'visitation'"
    ).fetchall()
    assert [(r["source_activity"], r["target_activity"], float(r["total_wait_days"])) for r in rows] == expected


def test_filters_keep_the_right_cases(baseline_warehouse):
    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    unit = "Byg - Modtagelse"
    expected = {
        c
        for (c,) in con.execute(
            "select distinct case_id from marts.event_sequence where process = 'byggesag' and org_unit = ?", [unit]
        ).fetchall()
    }
    long = {
        c
        for (c,) in con.execute(
            "select case_id from marts.case_variants where process = 'byggesag' and lead_time_seconds >= 100 * 86400"
        ).fetchall()
    }
    result = invoke(
        "query",
        "deadlines",
        "--level",
        "case",
        "--process",
        "byggesag",
        "--org-unit",
        unit,
        "--min-days",
        "100",
        "--format",
        "json",
        "--warehouse",
        baseline_warehouse,
    )
    assert result.exit_code == 0, result.stderr
    got = {r["case_id"] for r in json.loads(result.stdout)}
    assert got == expected & long and len(got) > 10
    result = invoke(
        "query", "journeys", "--process", "helhedsplan", "--format", "json", "--warehouse", baseline_warehouse
    )
    citizens = {
        c
        for (c,) in con.execute(
            "select distinct citizen_key from marts.event_sequence where process = 'helhedsplan'"
        ).fetchall()
    }
    journeys = json.loads(result.stdout)
    assert {r["citizen_key"] for r in journeys} == citizens
    assert all(r["processes"] == ["helhedsplan"] for r in journeys)  # the filter keeps only helhedsplan cases


def test_table_is_readable_and_limited(baseline_warehouse):
    result = invoke("query", "variants", "--process", "sygedagpenge", "--limit", "3", "--warehouse", baseline_warehouse)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["process", "variant_id", "activities"]
    assert len(lines) == 2 + 3 + 1 and "more rows" in lines[-1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope"], "unknown question 'nope' (ask one of: dfg, variants"),
        (["dfg", "--level", "x"], "dfg has no level 'x' (its levels: transition, endpoint)"),
        (["dfg", "--from", "2025-02-30"], "--from must be a date as YYYY-MM-DD"),
        (["dfg", "--from", "2025-03-01", "--to", "2025-02-01"], "the period ends (2025-02-01) before it starts"),
        (["dfg", "--attribute", "kategori"], "an attribute filter is KEY=VALUE"),
    ],
)
def test_bad_input_is_one_line(baseline_warehouse, args, message):
    result = invoke("query", *args, "--warehouse", baseline_warehouse)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"error: {result.stderr.strip()[7:]}"]
    assert message in result.stderr


def test_unmined_warehouse_says_what_to_run(tmp_path):
    from warehouse.migrations import connect

    db = tmp_path / "w.duckdb"
    connect(db).close()
    result = invoke("query", "dfg", "--warehouse", db)
    assert result.exit_code == 2 and "marts.dfg is not built yet: run `vaerdistrom mine`" in result.stderr


def test_discover_writes_models_and_says_what_it_did(baseline_warehouse, tmp_path):
    result = invoke(
        "discover", "--out", tmp_path / "models", "--process", "visitation", "--warehouse", baseline_warehouse
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "models" / "visitation.bpmn").is_file() and (tmp_path / "models" / "visitation.pnml").is_file()
    assert result.stdout.startswith("visitation: ") and "noise 0.2" in result.stdout
    bad = invoke("discover", "--out", tmp_path / "m", "--noise", "2", "--warehouse", baseline_warehouse)
    assert bad.exit_code == 2 and bad.stderr.strip() == "error: --noise must be between 0 and 1, got 2.0"


def test_conformance_prints_fitness_and_ranked_deviations(baseline_warehouse):
    result = invoke("conformance", "--process", "visitation", "--top", "3", "--warehouse", baseline_warehouse)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("visitation: ") and "fit the intended model" in lines[0] and len(lines) == 4
    as_json = json.loads(
        invoke("conformance", "--process", "visitation", "--format", "json", "--warehouse", baseline_warehouse).stdout
    )
    # JSON holds fitness and precision per process (as numbers, the same as the table's line) and every deviation
    (process,) = as_json["processes"]
    assert process["process"] == "visitation" and isinstance(process["n_cases"], int)
    assert f"fitness {process['fitness']:.3f}" in lines[0] and f"precision {process['precision']:.3f}" in lines[0]
    deviations = as_json["deviations"]
    assert deviations and [r["rank_by_impact"] for r in deviations] == sorted(r["rank_by_impact"] for r in deviations)
    assert {r["kind"] for r in deviations} <= {"inserted", "skipped", "wrong_order"}


def test_marts_from_an_older_version_say_what_to_run(baseline_warehouse, tmp_path):
    import shutil

    db = tmp_path / "old.duckdb"
    shutil.copy(baseline_warehouse, db)
    con = duckdb.connect(str(db))
    con.execute("alter table marts.event_sequence drop column case_key")  # as an older vaerdistrom built it
    con.execute("alter table marts.case_variants drop column instance_activities")
    con.close()
    for args in (["query", "variants", "--from", "2025-03-01"], ["discover", "--out", tmp_path / "m"]):
        result = invoke(*args, "--warehouse", db)
        assert result.exit_code == 2, args
        assert (
            result.stderr.strip() == "error: the marts were built by an older vaerdistrom: run `vaerdistrom mine` again"
        )
