"""The command line: every command and option explained; bad arguments give one line, no traceback."""

import json
import os
import stat
import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app

NO_KEY = {"VAERDISTROM_PSEUDONYM_KEY": None}  # the key unset while a command runs


def invoke(*args, env=None):
    """A command run in this process, as the `vaerdistrom` script runs it (its one error handler included)."""
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def test_help_lists_and_explains_every_command():
    import typer.main

    group = typer.main.get_command(app)
    result = invoke("--help")
    assert result.exit_code == 0
    assert set(group.commands) >= {"simulate", "demo"}
    for name, command in group.commands.items():
        assert name in result.stdout
        assert command.help and len(command.help.split()) >= 5, name
        for param in command.params:
            if param.name != "help":
                assert getattr(param, "help", None), f"{name} --{param.name} has no help"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--citizens", "-5"], "--citizens must be between 1 and 50,000,000, got -5"),
        (["--events", "10"], "--events must be between 100"),
        (["--citizens", "10", "--events", "1000"], "give exactly one of --citizens and --events"),
        (["--citizens", "10", "--processes", "visitation,parkering"], "unknown process 'parkering'"),
        (["--citizens", "10", "--months", "0"], "--months must be between 1 and 120, got 0"),
        (["--citizens", "10", "--start", "2025-13-01"], "--start must be a date as YYYY-MM-DD, got '2025-13-01'"),
        (["--citizens", "10", "--scenario", "better"], "unknown --scenario 'better'"),
    ],
)
def test_bad_arguments_give_one_clear_line(tmp_path, args, message):
    result = invoke("simulate", "--out", tmp_path / "o", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not (tmp_path / "o").exists()


def test_unwritable_out_is_one_line(tmp_path):
    if os.geteuid() == 0:
        # root passes every permission check; sysfs refuses to create folders even for root
        target = "/sys/vaerdistrom-test/sim"
        if not os.path.isdir("/sys"):
            pytest.skip("no /sys on this machine to stand for an unwritable place when running as root")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
        target = str(locked / "sim")
    result = invoke("simulate", "--out", target, "--citizens", "10")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and ("not writable" in lines[0] or "cannot write to" in lines[0])


def test_out_that_is_a_file_or_a_foreign_folder_is_refused(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    result = invoke("simulate", "--out", f, "--citizens", "10")
    assert result.exit_code == 2 and result.stderr.strip() == f"error: --out {f} exists and is not a folder"
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    result = invoke("simulate", "--out", foreign, "--citizens", "10")
    assert result.exit_code == 2 and "not empty and holds no earlier simulation" in result.stderr
    assert (foreign / "thesis.docx").read_text() == "precious"


def test_out_under_a_file_is_one_line(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    result = invoke("simulate", "--out", f / "sub", "--citizens", "10")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_simulate_prints_a_summary_that_matches_the_truth(tmp_path):
    out = tmp_path / "s"
    result = invoke("simulate", "--out", out, "--citizens", "300", "--seed", "3", "--processes", "byggesag,visitation")
    assert result.exit_code == 0, result.stderr
    truth = json.loads((out / "ground_truth" / "ground_truth.json").read_text(encoding="utf-8"))
    assert f"{truth['totals']['rows']:,} rows" in result.stdout
    assert set(truth["processes"]) == {"byggesag", "visitation"}
    for f in truth["files"]:
        assert f["path"] in result.stdout and f"{f['rows']:,} rows" in result.stdout


def test_events_option_lands_near_the_requested_size(tmp_path):
    out = tmp_path / "e"
    result = invoke("simulate", "--out", out, "--events", "30000", "--seed", "9")
    assert result.exit_code == 0, result.stderr
    rows = json.loads((out / "ground_truth" / "ground_truth.json").read_text(encoding="utf-8"))["totals"]["rows"]
    assert abs(rows - 30_000) / 30_000 < 0.08  # calibrated on a 2,000-citizen pilot run: within 8 %


def test_demo_simulates_loads_and_reports_what_the_warehouse_holds(tmp_path):
    """A process of its own: the nightly run starts Prefect's temporary server, which dies with the process."""
    out = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k != "VAERDISTROM_PSEUDONYM_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "demo", "--out", str(out), "--events", "5000"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    truth = json.loads((out / "ground_truth" / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth["generator"]["municipality"] == "Demo Kommune"
    assert f"Created a local pseudonymisation key at {out / 'pseudonym.key'}" in result.stdout
    assert "Next:" in result.stdout and f"{truth['totals']['rows']:,} rows" in result.stdout
    assert "# vaerdistrom, night of" in result.stdout and ": completed" in result.stdout  # the morning report
    assert result.stdout.count("biggest wait:") == len(truth["processes"])
    snapshot = duckdb.connect(str(out / "published" / "vaerdistrom.duckdb"), read_only=True)
    assert snapshot.execute("select count(distinct process) from meta.kpi_history").fetchall() == [
        (len(truth["processes"]),)
    ]
    snapshot.close()
    st = invoke("status", "--config", out / "vaerdistrom.toml", "--json", env=NO_KEY)
    assert st.exit_code == 0, st.stderr
    status = json.loads(st.stdout)
    assert sum(r["n_rows_loaded"] for r in status["sources"]) == truth["totals"]["rows"]
    assert {r["process"]: r["n_events"] for r in status["processes"]} == {
        k: p["events"] for k, p in truth["processes"].items()
    }
    assert sum(r["n_contacts"] for r in status["contacts"]) == truth["totals"]["contacts"]
    again = invoke("load", "--config", out / "vaerdistrom.toml", env=NO_KEY)
    assert again.exit_code == 0 and again.stdout.count("nothing to load") == 7


def test_load_and_status_say_one_line_when_something_is_missing(tmp_path):
    out = tmp_path / "s"
    assert invoke("simulate", "--out", out, "--citizens", "100").exit_code == 0
    cfg = str(out / "vaerdistrom.toml")
    for args, message in (
        (("load", "--config", cfg), "does not exist (`vaerdistrom init` creates one)"),
        (("run", "--config", cfg), "does not exist (`vaerdistrom init` creates one)"),
        (("status", "--config", cfg), "no warehouse at"),
        (("load", "--config", str(tmp_path / "none.toml")), "no such config file"),
    ):
        r = invoke(*args, env=NO_KEY)
        assert r.exit_code == 2 and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and message in r.stderr
    r = invoke("load", "--config", cfg, "--source", "fax", env={"VAERDISTROM_PSEUDONYM_KEY": "ab" * 32})
    assert r.exit_code == 1 and "no source named 'fax'" in r.stderr and "Traceback" not in r.stderr


def test_init_writes_a_valid_example_and_a_key_and_never_overwrites(tmp_path):
    import stat as st

    from warehouse.config import load_config

    r = invoke("init", "--dir", tmp_path / "k", env=NO_KEY)
    assert r.exit_code == 0, r.stderr
    cfg, root = load_config(tmp_path / "k" / "vaerdistrom.toml")
    assert set(cfg.sources) == {"sagssystem", "omsorgssystem", "telefoni", "omsorg_db", "sager_api", "arkiv", "ordrer"}
    assert {s.kind for s in cfg.sources.values()} == {"csv", "jsonl", "sql", "rest", "xes", "ocel"}
    key = tmp_path / "k" / "pseudonym.key"
    assert st.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) == 64
    before = key.read_text()
    again = invoke("init", "--dir", tmp_path / "k", env=NO_KEY)
    assert again.exit_code == 2 and "exists; not overwriting it" in again.stderr and key.read_text() == before


def test_a_missing_source_file_is_one_line_and_loads_nothing(tmp_path):
    out = tmp_path / "m"
    assert invoke("simulate", "--out", out, "--citizens", "100").exit_code == 0
    (out / "telefoni" / "opkald.csv").unlink()
    r = invoke(
        "load",
        "--config",
        out / "vaerdistrom.toml",
        "--source",
        "telefoni",
        env={"VAERDISTROM_PSEUDONYM_KEY": "cd" * 32},
    )
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"error: sources.telefoni: no file at {out / 'telefoni' / 'opkald.csv'}"


@pytest.fixture
def empty_warehouse(tmp_path):
    from warehouse.migrations import connect

    db = tmp_path / "w.duckdb"
    connect(db).close()
    return db


def test_an_error_of_the_project_is_one_line_with_its_exit_code(empty_warehouse, monkeypatch):
    from vaerdistrom.errors import UsageError, VaerdistromError

    for error, code in ((VaerdistromError("the warehouse\n  was not as needed"), 1), (UsageError("bad input"), 2)):

        def fails(*args, error=error, **kwargs):
            raise error

        monkeypatch.setattr("mining.questions.ask", fails)
        r = invoke("query", "dfg", "--warehouse", empty_warehouse)
        assert r.exit_code == code and r.stdout == ""
        assert r.stderr == f"error: {' '.join(str(error).split())}\n"


def test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_a_log(empty_warehouse, monkeypatch, tmp_path):
    def fails(*args, **kwargs):
        raise RuntimeError("a bug near 010190-1234\non two lines")

    monkeypatch.setattr("mining.questions.ask", fails)
    monkeypatch.chdir(tmp_path)
    r = invoke("query", "dfg", "--warehouse", empty_warehouse)
    log = tmp_path / "vaerdistrom-error.log"
    assert r.exit_code == 1
    assert r.stderr == f"error: RuntimeError: a bug near [CPR] on two lines (the traceback is in {log})\n"
    kept = log.read_text(encoding="utf-8")
    assert kept.startswith("Traceback") and "in fails" in kept and "[CPR]" in kept and "1234" not in kept


def test_a_format_that_is_not_offered_is_refused_by_its_choices(empty_warehouse):
    r = invoke("query", "dfg", "--format", "xml", "--warehouse", empty_warehouse)
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert "Invalid value for '--format'" in r.stderr and "'xml' is not one of 'table', 'csv', 'json'" in r.stderr
