"""Shared simulations (made once per test session) and readers of what they export.

The readers use polars, pandas and the standard library directly, with the formats
the ground truth declares, so a test reads the files the way an outside tool would,
not through the simulator's own code.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from simulator.run import simulate
from simulator.spec import SimulationSpec

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data/real: skipped on a user's fresh clone, a failure under CI=true."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the shared real logs at {SHARED_DATA}")
        pytest.skip(f"the shared real logs are not beside this checkout ({SHARED_DATA})")
    return SHARED_DATA


def _simulate(root: Path, name: str, **kw) -> Path:
    out = root / name
    simulate(SimulationSpec(out=out, **kw))
    return out


@pytest.fixture(scope="session")
def sim_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sim")


@pytest.fixture(scope="session")
def baseline(sim_root) -> Path:
    """A 12-month baseline municipality of 6,000 citizens (about 90,000 rows)."""
    return _simulate(sim_root, "baseline", citizens=6_000, seed=11, start=dt.date(2025, 1, 1))


@pytest.fixture(scope="session")
def improved(sim_root) -> Path:
    """The same municipality after the improvement (same seed)."""
    return _simulate(sim_root, "improved", citizens=6_000, seed=11, scenario="improved",
                     start=dt.date(2025, 1, 1))


@pytest.fixture(scope="session")
def long_run(sim_root) -> Path:
    """Three years with deviations, so that even year-long courses (helhedsplan) close."""
    return _simulate(sim_root, "long", citizens=2_500, seed=7, months=36)


@pytest.fixture(scope="session")
def no_deviations(sim_root) -> Path:
    """Three years, no injected deviations: every closed case must fit its intended BPMN (a placement
    case closes when the child leaves the nursery at almost three)."""
    return _simulate(sim_root, "nodev", citizens=1_500, seed=5, months=36, deviations=False)


def truth(out: Path) -> dict:
    return json.loads((out / "ground_truth" / "ground_truth.json").read_text(encoding="utf-8"))


def truth_cases(out: Path) -> list[dict]:
    with (out / "ground_truth" / "cases.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def truth_contacts(out: Path) -> pl.DataFrame:
    return pl.read_ndjson(out / "ground_truth" / "contacts.jsonl", infer_schema_length=None)


def read_sbsys(out: Path) -> pl.DataFrame:
    """The ESDH export as strings (cp1252, ';')."""
    return pl.read_csv(out / "sbsys" / "sagsaktiviteter.csv", separator=";", encoding="cp1252",
                       infer_schema=False)


def read_nexus(out: Path) -> pl.DataFrame:
    return pl.read_ndjson(out / "nexus" / "haendelser.jsonl", infer_schema_length=None).select(
        pl.col("haendelsesId"), pl.col("tidspunkt"),
        pl.col("forloeb").struct.field("id").alias("case_id"),
        pl.col("forloeb").struct.field("ydelse").alias("ydelse"),
        pl.col("borger").struct.field("cpr").alias("cpr"),
        pl.col("aktivitet"), pl.col("status"),
        pl.col("medarbejder").struct.field("navn").alias("navn"),
        pl.col("medarbejder").struct.field("rolle").alias("rolle"),
        pl.col("medarbejder").struct.field("organisation").alias("organisation"),
    )


def read_momentum(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "momentum" / "sygedagpenge.parquet")


def read_telefoni(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "telefoni" / "opkald.csv", encoding="utf8", infer_schema=False)


def read_digital_post(out: Path) -> pl.DataFrame:
    return pl.read_ndjson(out / "digital_post" / "beskeder.jsonl", infer_schema_length=None)


def read_borgerservice(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "borgerservice" / "koelog.csv", separator=";", encoding="utf8", infer_schema=False)


def read_pladsanvisning(out: Path) -> pl.DataFrame:
    """Every sheet of the placement system's Excel export, read with openpyxl (real date cells)."""
    import openpyxl

    book = openpyxl.load_workbook(out / "pladsanvisning" / "pladsanvisning.xlsx", read_only=True)
    rows, header = [], None
    for sheet in book.worksheets:
        it = sheet.iter_rows(values_only=True)
        header = next(it)
        rows.extend(it)
    book.close()
    return pl.DataFrame(rows, schema=list(header), orient="row", infer_schema_length=None)


@pytest.fixture(scope="session")
def baseline_warehouse(baseline, tmp_path_factory) -> Path:
    """The baseline municipality loaded (every source) and mined (every mart): a DuckDB file to open read-only."""
    from mining.build import build_all
    from warehouse.config import load_config
    from warehouse.load import load_all
    from warehouse.migrations import connect
    from warehouse.pseudonym import KEY_ENV

    cfg, root = load_config(baseline / "vaerdistrom.toml")
    db = tmp_path_factory.mktemp("mined") / "baseline.duckdb"
    old = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = "ab" * 32
    try:
        load_all(cfg.model_copy(update={"warehouse": str(db)}), root)
    finally:
        if old is None:
            os.environ.pop(KEY_ENV)
        else:
            os.environ[KEY_ENV] = old
    con = connect(db)
    build_all(con, cfg, root)
    con.close()
    return db


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server (about 20 s to start) for every test of a session that runs a real flow."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def dashboard_municipality(sim_root, tmp_path_factory) -> Path:
    """A small municipality (about 20,000 rows) after two nights, yesterday's exports then tonight's, published:
    what the dashboard reads."""
    from flows.pipeline import run_night
    from warehouse.config import load_config
    from warehouse.pseudonym import KEY_ENV

    small = _simulate(sim_root, "dashboards", citizens=1_500, seed=21, start=dt.date(2025, 1, 1))
    root = tmp_path_factory.mktemp("dash") / "m"
    shutil.copytree(small, root)
    csv = root / "sbsys" / "sagsaktiviteter.csv"
    whole = csv.read_bytes()
    lines = whole.splitlines(keepends=True)
    csv.write_bytes(b"".join(lines[:1 + (len(lines) - 1) * 6 // 10]))
    old = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = "ab" * 32
    try:
        cfg, base = load_config(root / "vaerdistrom.toml")
        assert run_night(cfg, base, dt.datetime(2026, 1, 10, 1, tzinfo=dt.timezone.utc)).status == "completed"
        csv.write_bytes(whole)
        assert run_night(cfg, base, dt.datetime(2026, 1, 11, 1, tzinfo=dt.timezone.utc)).status == "completed"
    finally:
        if old is None:
            os.environ.pop(KEY_ENV, None)
        else:
            os.environ[KEY_ENV] = old
    return root
