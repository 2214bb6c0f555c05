"""`vaerdistrom import`: a quick look at logs without a config, and the guesses it makes."""

import contextlib
import json

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from warehouse.detect import DetectError, guess_columns, guess_source, kind_of


def run_cli(*args, cwd, key="ab" * 32):
    """`vaerdistrom import` (or another command) run in this process, in the folder `cwd`."""
    with contextlib.chdir(cwd):
        return CliRunner().invoke(app, list(args), env={"VAERDISTROM_PSEUDONYM_KEY": key})


@pytest.mark.parametrize(
    "names, expected",
    [
        (
            ["Sagsnummer", "Aktivitet", "Udført", "Udført af"],
            {"case_id": "Sagsnummer", "activity": "Aktivitet", "ts": "Udført", "resource": "Udført af"},
        ),
        (
            ["case:concept:name", "concept:name", "time:timestamp", "org:resource", "lifecycle:transition"],
            {
                "case_id": "case:concept:name",
                "activity": "concept:name",
                "ts": "time:timestamp",
                "resource": "org:resource",
                "lifecycle": "lifecycle:transition",
            },
        ),
        (["ID", "Event", "Date", "User"], {"case_id": "ID", "activity": "Event", "ts": "Date", "resource": "User"}),
        (
            ["Case ID", "Activity Name", "Start Time", "Complete Time"],  # an interval export
            {"case_id": "Case ID", "activity": "Activity Name", "ts": "Complete Time", "start_ts": "Start Time"},
        ),
        (["Case ID", "Activity", "Start"], {"case_id": "Case ID", "activity": "Activity", "ts": "Start"}),
    ],
)
def test_columns_are_guessed_from_their_usual_names(names, expected):
    assert guess_columns(names, {}) == expected


def test_a_given_column_wins_and_a_wrong_one_is_named():
    assert guess_columns(["sag", "trin", "tid", "dato"], {"ts": "dato"})["ts"] == "dato"
    with pytest.raises(DetectError, match=r"--timestamp 'when' is not a column of the file \(it has: sag, trin\)"):
        guess_columns(["sag", "trin"], {"ts": "when"})


def test_a_table_without_a_timestamp_column_says_which_option_to_give(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("sag;trin;hvornaar\nS1;Start;2025-01-01 10:00\n", encoding="utf-8")
    with pytest.raises(
        DetectError,
        match=r"no column looks like the timestamp; name it with --timestamp "
        r"\(the file has: sag, trin, hvornaar\)",
    ):
        guess_source(path, process="p")
    src, notes = guess_source(path, process="p", timestamp="hvornaar")
    assert (src.kind, src.mapping.case_id, src.mapping.activity, src.mapping.ts) == ("csv", "sag", "trin", "hvornaar")


def test_formats_are_told_by_suffix_and_content(tmp_path):
    for name, kind in [
        ("a.xes.gz", "xes"),
        ("a.XES", "xes"),
        ("b.csv", "csv"),
        ("c.parquet", "parquet"),
        ("d.xlsx", "excel"),
        ("e.jsonl", "jsonl"),
        ("f.jsonocel", "ocel"),
    ]:
        assert kind_of(tmp_path / name) == kind
    (tmp_path / "g.json").write_text('{"objects": [], "events": []}')
    assert kind_of(tmp_path / "g.json") == "ocel"
    with pytest.raises(DetectError, match=r"cannot tell the format from the suffix '.pdf'"):
        kind_of(tmp_path / "h.pdf")


def test_import_loads_a_csv_and_an_ocel_log_and_prints_what_it_holds(tmp_path):
    rows = [
        ("S-1", "Ansøgning modtaget", "2025-03-03 09:00"),
        ("S-1", "Afgørelse", "2025-03-10 14:00"),
        ("S-2", "Ansøgning modtaget", "2025-03-04 10:00"),
        ("S-2", "", "2025-03-05 10:00"),
    ]
    pl.DataFrame(rows, schema=["Sagsnummer", "Aktivitet", "Tidspunkt"], orient="row").write_csv(
        tmp_path / "sager.csv", separator=";"
    )
    (tmp_path / "ordrer.jsonocel").write_text(
        json.dumps(
            {
                "objects": [
                    {"id": "o1", "type": "ordre"},
                    {"id": "o2", "type": "ordre"},
                    {"id": "k1", "type": "kunde"},
                ],
                "events": [
                    {
                        "id": f"e{i}",
                        "type": t,
                        "time": f"2025-01-0{i}T10:00:00Z",
                        "relationships": [{"objectId": o}, {"objectId": "k1"}],
                    }
                    for i, (t, o) in enumerate([("Bestilt", "o1"), ("Bestilt", "o2"), ("Leveret", "o1")], 1)
                ],
            }
        )
    )
    r = run_cli("import", "sager.csv", "ordrer.jsonocel", "--warehouse", "w.duckdb", cwd=tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "mapped from the header: case_id <- 'Sagsnummer', activity <- 'Aktivitet', ts <- 'Tidspunkt'" in r.stdout
    assert "kept as attributes: none" in r.stdout
    assert "cases are the objects of type 'ordre'" in r.stdout  # 3 relations, as kunde: more objects wins
    assert (
        "sager          sager.csv                  read         4  loaded         3 (new 3)  quarantined 1" in r.stdout
    )
    assert "  ordrer                2 cases           3 events    2 activities" in r.stdout
    assert "  sager                 2 cases           3 events    2 activities" in r.stdout
    assert "Published published/vaerdistrom.duckdb. Next: `vaerdistrom dashboard` opens the dashboard" in r.stdout
    config = (tmp_path / "vaerdistrom.toml").read_text(encoding="utf-8")
    assert config.startswith(
        "# vaerdistrom.toml: inferred from sager.csv, ordrer.jsonocel by `vaerdistrom import`.\n"
        "# Edit it (column mapping, processes, deadlines, an intended BPMN) and run "
        "`vaerdistrom run`."
    )
    assert 'warehouse = "w.duckdb"' in config and "[sources.sager.mapping]" in config
    # a second import of the same files adds nothing, and says so
    again = run_cli("import", "sager.csv", cwd=tmp_path)
    assert again.exit_code == 0, again.stderr
    assert "sager.csv: already sources.sager of vaerdistrom.toml" in again.stdout
    assert "Nothing new: every file was imported before (same content)." in again.stdout
    assert (tmp_path / "vaerdistrom.toml").read_text(encoding="utf-8") == config
    # a new file in the folder is added as a source of the config there, comments kept
    pl.DataFrame(
        [("S-9", "Ansøgning modtaget", "2025-04-01 09:00"), ("S-9", "Afgørelse", "2025-04-02 09:00")],
        schema=["Sagsnummer", "Aktivitet", "Tidspunkt"],
        orient="row",
    ).write_csv(tmp_path / "nye.csv")
    added = run_cli("import", "nye.csv", "--process", "sager", cwd=tmp_path)
    assert added.exit_code == 0, added.stderr
    text = (tmp_path / "vaerdistrom.toml").read_text(encoding="utf-8")
    assert text.startswith(config.rstrip("\n")) and "# added by `vaerdistrom import` from nye.csv" in text
    assert "  sager                 3 cases           5 events    2 activities" in added.stdout


def test_import_of_a_missing_or_unknown_file_is_one_line(tmp_path):
    r = run_cli("import", "nope.xes", cwd=tmp_path)
    assert (r.exit_code, r.stderr.strip()) == (2, "error: no such file: nope.xes")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    r = run_cli("import", "notes.pdf", cwd=tmp_path)
    assert (
        r.exit_code == 2
        and r.stderr.startswith("error: notes.pdf: cannot tell the format")
        and len(r.stderr.strip().splitlines()) == 1
    )
    assert not (tmp_path / "vaerdistrom.duckdb").exists()


def test_import_with_a_bad_key_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "log.csv").write_text("sag;trin;tid\nS1;Start;2025-01-01 10:00\n", encoding="utf-8")
    r = run_cli("import", "log.csv", cwd=tmp_path, key="xyz")
    assert (r.exit_code, r.stderr.strip()) == (
        2,
        "error: the pseudonymisation key in the environment variable VAERDISTROM_PSEUDONYM_KEY is not hexadecimal",
    )
    assert not (tmp_path / "vaerdistrom.duckdb").exists()
