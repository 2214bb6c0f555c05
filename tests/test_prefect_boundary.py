"""What crosses into Prefect is scrubbed of CPR numbers (log records, exceptions), and `vaerdistrom run` prints one
line per failure while its log file keeps the tracebacks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from support.configs import csv_source, write_config

from flows.boundary import RedactCpr, Redacted, scrub, scrubbed
from warehouse.pseudonym import contains_cpr


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_a_log_record_is_redacted_in_its_message_arguments_and_traceback():
    kept = _Kept()
    kept.addFilter(RedactCpr())
    logger = logging.getLogger("test_prefect_boundary")
    logger.addHandler(kept)
    logger.propagate = False
    try:
        try:
            raise ValueError("borger 0101901234 findes ikke")
        except ValueError:
            logger.error("source %s failed on %s", "esdh", "010190-1234", exc_info=True)
    finally:
        logger.removeHandler(kept)
    [line] = kept.lines
    assert line.startswith("source esdh failed on [CPR]\nTraceback (most recent call last):")
    assert line.endswith("ValueError: borger [CPR] findes ikke")
    assert "0101901234" not in line and "010190-1234" not in line


def test_an_exception_is_scrubbed_in_place_or_replaced_by_its_redacted_text():
    e = scrub(KeyError("0101901234"))
    assert type(e) is KeyError and e.args == ("[CPR]",)
    os_error = FileNotFoundError(2, "No such file or directory", "/data/borger_010190-1234.csv")
    assert scrub(os_error) is os_error
    assert str(os_error) == "[Errno 2] No such file or directory: '/data/borger_[CPR].csv'"

    class Worded(Exception):  # its text is made elsewhere than from its arguments
        def __str__(self) -> str:
            return "row of 010190 1234"

    cause = ValueError("from 0101901234")
    try:
        try:
            raise cause
        except ValueError as c:
            raise Worded() from c
    except Worded as worded:
        replaced = scrub(worded)
    assert type(replaced) is Redacted and str(replaced) == "Worded: row of [CPR]"
    assert cause.args == ("from [CPR]",)  # the cause, scrubbed in place too
    assert not contains_cpr(replaced.__notes__[0]) and "Worded: row of [CPR]" in replaced.__notes__[0]

    @scrubbed
    def fails() -> None:
        raise RuntimeError("sources.esdh: no file at borger_010190-1234.csv")

    with pytest.raises(RuntimeError, match=r"^sources.esdh: no file at borger_\[CPR\].csv$"):
        fails()


@pytest.mark.slow
def test_run_prints_one_line_per_failure_and_keeps_the_tracebacks_in_its_log(tmp_path):
    (tmp_path / "a.csv").write_text("sag,trin,tid\nS1,Modtaget,2025-01-06 10:00\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(
        "case,activity,timestamp\nB1,Modtaget,2025-01-06 10:00\nB1,Afgjort,2025-01-07 10:00\n", encoding="utf-8"
    )
    write_config(
        tmp_path,
        csv_source("esdh", "a.csv", case_id="sag", activity="aktivitet", ts="tid")
        + csv_source("other", "b.csv")
        + csv_source("gone", "borger_010190-1234/eksport.csv")
        + "[nightly]\nretries = 0\n",
    )
    (tmp_path / "published").write_text("a file where the snapshot's folder should be", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    r = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        env={**env, "VAERDISTROM_PSEUDONYM_KEY": "9a" * 32, "PREFECT_HOME": str(tmp_path / "prefect")},
    )
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "error: sources.esdh: a.csv: column 'aktivitet' named in sources.esdh is not in the file "
        "(it has: sag, trin, tid)",
        "error: sources.gone: no file at borger_[CPR]/eksport.csv",
        "error: publishing failed (FileExistsError: [Errno 17] File exists: 'published'): last night's snapshot stays",
    ]
    assert "# vaerdistrom, night of" in r.stdout and "| other | 1 | 2 | 2 | 0 |  |" in r.stdout  # the report
    assert r.stdout.rstrip().endswith("The run's log, with its tracebacks: vaerdistrom-run.log")
    log = (tmp_path / "vaerdistrom-run.log").read_text(encoding="utf-8")
    assert log.count("Traceback (most recent call last):") >= 3
    for said in (
        "warehouse.load.SourceError: a.csv: column 'aktivitet' named in sources.esdh",
        "warehouse.batch.LoadError: sources.gone: no file at borger_[CPR]/eksport.csv",
        "FileExistsError: [Errno 17] File exists: 'published'",
        "Starting temporary server",
        "Stopping temporary server",
    ):
        assert said in log, said
    assert "010190" not in log
