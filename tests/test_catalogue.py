"""The mart catalogue: every mart's contract holds on a golden warehouse, a broken contract or a broken pair of files
is named, and a mart is added by writing one .sql and one .yml file."""

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from support.golden_marts import T0, build_golden

from mining.catalogue import CATALOGUE, CatalogueError, failures, load
from mining.engine import build, query
from mining.filters import Filters
from warehouse.migrations import connect


@pytest.fixture(scope="module")
def golden(tmp_path_factory) -> Path:
    """The golden log loaded and every mart built: a warehouse file."""
    folder = tmp_path_factory.mktemp("golden")
    con = connect(folder / "golden.duckdb")
    build_golden(con, folder)
    con.close()
    return folder / "golden.duckdb"


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of the catalogue's folder to change."""
    return Path(shutil.copytree(CATALOGUE.root, tmp_path / "sql"))


def test_every_mart_keeps_its_contract_on_the_golden_warehouse(golden):
    con = duckdb.connect(str(golden), read_only=True)
    try:
        empty = [m for m in CATALOGUE.marts if not con.execute(f"select count(*) from marts.{m}").fetchall()[0][0]]
        assert not empty, "the golden log gives every mart rows"
        assert failures(con, CATALOGUE) == []
    finally:
        con.close()


@pytest.mark.slow
def test_every_mart_keeps_its_contract_on_the_simulated_municipality(baseline_warehouse):
    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    try:
        assert failures(con, CATALOGUE) == []
    finally:
        con.close()


def test_a_broken_contract_is_named_by_mart_test_and_column(golden, folder):
    yml = folder / "marts" / "variants.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("- name: n_cases\n", "- name: n_casez\n"), encoding="utf-8")
    yml = folder / "marts" / "dfg_endpoints.yml"
    yml.write_text(
        yml.read_text(encoding="utf-8").replace("accepted_values: [start, end]", "accepted_values: [start, stop]"),
        encoding="utf-8",
    )
    yml = folder / "marts" / "handovers.yml"
    yml.write_text(
        yml.read_text(encoding="utf-8").replace("unique: [process, from_org_unit, to_org_unit]", "unique: [process]"),
        encoding="utf-8",
    )
    con = duckdb.connect(str(golden), read_only=True)
    try:
        found = failures(con, load(folder))
    finally:
        con.close()
    assert sorted(found) == [
        "dfg_endpoints: accepted_values endpoint: unexpected end",
        "handovers: unique process: 1 repeated, e.g. p",
        "variants: column n_cases: built, not listed in its .yml",
        "variants: column n_casez: listed in its .yml, not built",
    ]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: (f / "marts" / "rework.yml").unlink(), "alone: marts/rework.sql"),
        (
            lambda f: (f / "marts" / "rework.sql").write_text("select * from {{ nowhere }}"),
            "reads {{ nowhere }}: no mart or source",
        ),
        (
            lambda f: _edit(f / "marts" / "deadlines.yml", "key: [process, case_id]", "key: [process, case_nr]"),
            "names columns it does not list: case_nr",
        ),
        (lambda f: _edit(f / "marts" / "deadlines.yml", "refresh: by_key", "refresh: nightly"), "refresh is one of"),
        (lambda f: _edit(f / "marts" / "deadlines.yml", "grain: one row per", "grain: a row per"), "one row per"),
        (lambda f: _edit(f / "marts" / "deadlines.yml", "rows: cases", "rows: cases\nowner: me"), "unknown fields"),
        (lambda f: _edit(f / "marts" / "deadlines.yml", "level: case", "level: week"), "no such question, level"),
        (lambda f: _edit(f / "marts" / "variants.yml", "level: variant", "level: case"), "answered by 0 marts"),
        (
            lambda f: _edit(f / "intermediate" / "event_sequence.sql", "from {{ events }}", "from {{ case_variants }}"),
            "in a circle",
        ),
    ],
)
def test_files_that_do_not_agree_are_refused(folder, change, message):
    change(folder)
    with pytest.raises(CatalogueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load(folder)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_dependencies_are_the_sqls_own_references():
    for name, mart in CATALOGUE.marts.items():
        assert set(mart.needs) == {r for r in mart.reads if r in CATALOGUE.marts}, name
        assert set(mart.reads) - set(mart.needs) <= set(CATALOGUE.sources), name
        assert all(list(CATALOGUE.marts).index(n) < list(CATALOGUE.marts).index(name) for n in mart.needs), name
    assert CATALOGUE.marts["contact_waits"].needs == ("contact_cases", "bottleneck_waits")


NEW_SQL = """with cases as (
    select process, unnest(activities) as activity
    from {{ case_variants }}
),

final as (
    select process, activity, count(*) as n_cases
    from cases
    group by all
)

select * from final
"""
NEW_YML = """description: >-
  How many cases did each activity (a case doing it twice counted twice).
grain: one row per process x activity
refresh: whole
rows: aggregate
tests:
- unique: [process, activity]
columns:
- {name: process, unit: text, description: the process}
- {name: activity, unit: text, description: the activity, tests: [not_null]}
- {name: n_cases, unit: count, description: cases that did it, tests: [not_null]}
"""


def test_a_mart_is_added_by_writing_one_sql_and_one_yml_file(golden, folder, tmp_path):
    (folder / "marts" / "activity_cases.sql").write_text(NEW_SQL, encoding="utf-8")
    (folder / "marts" / "activity_cases.yml").write_text(NEW_YML, encoding="utf-8")
    catalogue = load(folder)
    assert catalogue.marts["activity_cases"].needs == ("case_variants",)
    shutil.copy(golden, tmp_path / "w.duckdb")
    con = connect(tmp_path / "w.duckdb")
    try:
        build(con, ["activity_cases"], catalogue=catalogue)
        assert failures(con, catalogue, ["activity_cases"]) == []
        rows = {
            (r["process"], r["activity"]): r["n_cases"]
            for r in query(con, "activity_cases", catalogue=catalogue).to_pylist()
        }
        assert rows[("p", "A")] == 5 and rows[("p", "B")] == 5 and rows[("q", "X")] == 2
        # the same engine answers a filtered question of the new mart: the cases open in the first two days
        day = (T0 + dt.timedelta(days=1)).date()
        kept = query(con, "activity_cases", Filters(process="p", period_to=day), catalogue=catalogue).to_pylist()
        assert {(r["activity"], r["n_cases"]) for r in kept} == {("A", 3), ("B", 4), ("C", 3), ("D", 3)}
        assert con.execute("select mode from meta.mart_state where mart = 'activity_cases'").fetchall() == [("full",)]
    finally:
        con.close()
