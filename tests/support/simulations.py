"""Simulated municipalities, made once per test session, and the warehouses and runs made from them.

The fixtures are registered in `tests/conftest.py`; `simulate_into` makes one more for a test module of its own.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from simulator.run import SimulationSpec, simulate

KEY = "ef" * 32  # the pseudonym key of the nightly runs on `small`


def simulate_into(root: Path, name: str, **kw) -> Path:
    """The simulation `kw` in the folder `root / name`."""
    out = root / name
    simulate(SimulationSpec(out=out, **kw))
    return out


@pytest.fixture(scope="session")
def sim_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sim")


@pytest.fixture(scope="session")
def baseline(sim_root) -> Path:
    """A 12-month baseline municipality of 6,000 citizens (about 90,000 rows)."""
    return simulate_into(sim_root, "baseline", citizens=6_000, seed=11, start=dt.date(2025, 1, 1))


@pytest.fixture(scope="session")
def improved(sim_root) -> Path:
    """The same municipality after the improvement (same seed)."""
    return simulate_into(sim_root, "improved", citizens=6_000, seed=11, scenario="improved", start=dt.date(2025, 1, 1))


@pytest.fixture(scope="session")
def long_run(sim_root) -> Path:
    """Three years with deviations, so that even year-long courses (helhedsplan) close."""
    return simulate_into(sim_root, "long", citizens=2_500, seed=7, months=36)


@pytest.fixture(scope="session")
def no_deviations(sim_root) -> Path:
    """Three years, no injected deviations: every closed case must fit its intended BPMN (a placement
    case closes when the child leaves the nursery at almost three)."""
    return simulate_into(sim_root, "nodev", citizens=1_500, seed=5, months=36, deviations=False)


@pytest.fixture(scope="session")
def small(sim_root) -> Path:
    """A small municipality (about 20,000 rows) for runs that are repeated many times (pseudonym key `KEY`)."""
    return simulate_into(sim_root, "nightly", citizens=1_500, seed=21, start=dt.date(2025, 1, 1))


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
def dashboard_municipality(sim_root, tmp_path_factory) -> Path:
    """A small municipality (about 20,000 rows) after two nights, yesterday's exports then tonight's, published:
    what the dashboard reads."""
    from flows.pipeline import run_night
    from warehouse.config import load_config
    from warehouse.pseudonym import KEY_ENV

    small = simulate_into(sim_root, "dashboards", citizens=1_500, seed=21, start=dt.date(2025, 1, 1))
    root = tmp_path_factory.mktemp("dash") / "m"
    shutil.copytree(small, root)
    csv = root / "sbsys" / "sagsaktiviteter.csv"
    whole = csv.read_bytes()
    lines = whole.splitlines(keepends=True)
    csv.write_bytes(b"".join(lines[: 1 + (len(lines) - 1) * 6 // 10]))
    old = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = "ab" * 32
    try:
        cfg, base = load_config(root / "vaerdistrom.toml")
        assert run_night(cfg, base, dt.datetime(2026, 1, 10, 1, tzinfo=dt.UTC)).status == "completed"
        csv.write_bytes(whole)
        assert run_night(cfg, base, dt.datetime(2026, 1, 11, 1, tzinfo=dt.UTC)).status == "completed"
    finally:
        if old is None:
            os.environ.pop(KEY_ENV, None)
        else:
            os.environ[KEY_ENV] = old
    return root
