"""The nightly Prefect flow, for real, against one temporary Prefect server per session: its state, its
artifacts, retries of a source that is not ready, and the lock."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from support.simulations import KEY

from flows import pipeline
from flows.lock import run_lock
from warehouse.config import load_config


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("VAERDISTROM_PSEUDONYM_KEY", KEY)


def _config(small: Path, where: Path, extra: str = "") -> Path:
    shutil.copytree(small, where)
    config = where / "vaerdistrom.toml"
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return config


@pytest.mark.slow
def test_the_flow_runs_retries_a_source_that_is_not_ready_and_reports(
    prefect_harness,
    small,
    tmp_path,  # noqa: F811
    monkeypatch,
):
    from prefect.artifacts import Artifact

    from flows.nightly import nightly

    config = _config(small, tmp_path / "m", "\n[nightly]\nretries = 2\nretry_delay_seconds = 0\n")
    real, calls = pipeline.extract, []

    def flaky(cfg, root, name, loaded):
        calls.append(name)
        if name == "momentum" and calls.count(name) == 1:
            raise pipeline.SourceNotReady("sources.momentum: still being written")
        return real(cfg, root, name, loaded)

    monkeypatch.setattr(pipeline, "extract", flaky)
    state = nightly(str(config), return_state=True)
    assert state.is_completed(), state.message
    data = state.result()
    assert data["status"] == "completed" and data["failed_sources"] == []
    assert calls.count("momentum") == 2 and all(calls.count(s) == 1 for s in set(calls) - {"momentum"})
    cfg, root = load_config(config)
    con = duckdb.connect(str(root / cfg.warehouse), read_only=True)
    try:
        per_source = dict(
            con.execute(
                "select source, sum(rows_loaded - rows_already_loaded) from meta.batches group by all"
            ).fetchall()
        )
        kpis = con.execute("select process, n_cases from meta.kpi_history order by process").fetchall()
        assert data["rows_new"] == sum(per_source.values()) > 0
    finally:
        con.close()
    report = Artifact.get("vaerdistrom-night")
    assert report.data == (root / cfg.nightly.published / "last_run.md").read_text(encoding="utf-8")
    assert "| momentum | 1 |" in report.data
    table = Artifact.get("vaerdistrom-sources")
    import json

    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert {r["source"]: r["rows_new"] for r in rows} == per_source
    kpi_rows = Artifact.get("vaerdistrom-kpis").data
    kpi_rows = json.loads(kpi_rows) if isinstance(kpi_rows, str) else kpi_rows
    assert [(r["process"], r["n_cases"]) for r in kpi_rows] == kpis
    # a second run while one holds the warehouse ends Failed at once, naming the holder
    with run_lock(root / cfg.warehouse):
        locked = nightly(str(config), return_state=True)
    assert locked.is_failed() and "another vaerdistrom run holds" in locked.message
    # a source that keeps failing: the run loads the others, publishes, and ends Failed (the default policy)
    monkeypatch.setattr(
        pipeline,
        "extract",
        lambda cfg, root, name, loaded: (
            (_ for _ in ()).throw(pipeline.SourceNotReady(f"sources.{name}: down"))
            if name == "telefoni"
            else real(cfg, root, name, loaded)
        ),
    )
    failed = nightly(str(config), return_state=True)
    assert failed.is_failed() and "telefoni" in failed.message
    assert failed.result(raise_on_failure=False)["failed_sources"] == ["telefoni"]


@pytest.mark.slow
def test_municipalities_fan_out_over_a_local_dask_cluster(prefect_harness, small, sim_root, tmp_path):  # noqa: F811
    import os

    from support.simulations import simulate_into

    from flows.national import run_national, slug

    other = simulate_into(sim_root, "national-other", citizens=800, seed=22, municipality="Høje-Taastrup Kommune")
    configs = [_config(small, tmp_path / "a"), _config(other, tmp_path / "b")]
    state = run_national(configs, tmp_path / "national", workers=2)
    assert state.is_completed(), state.message
    results = state.result()
    assert [r["status"] for r in results] == ["completed", "completed"]
    assert all(r["worker_pid"] != os.getpid() for r in results)  # the nights ran in the cluster's processes
    national = duckdb.connect()
    rows = national.execute(
        "select municipality, process, n_cases, median_lead_time_days from read_parquet("
        f"'{tmp_path / 'national' / 'kpi_history' / '*' / '*.parquet'}', hive_partitioning = true) order by all"
    ).fetchall()
    expected = []
    for config in configs:
        cfg, root = load_config(config)
        snapshot = duckdb.connect(str(root / cfg.nightly.published / "vaerdistrom.duckdb"), read_only=True)
        expected += [
            (slug(cfg.municipality.name), *r)
            for r in snapshot.execute("select process, n_cases, median_lead_time_days from meta.kpi_history").fetchall()
        ]
        snapshot.close()
    assert rows == sorted(expected) and {r[0] for r in rows} == {
        "hoeje-taastrup-kommune",
        slug(load_config(configs[0])[0].municipality.name),
    }
    parts = {p.parent.name for p in (tmp_path / "national" / "value_stream_summary").glob("*/part-0.parquet")}
    assert parts == {f"municipality={r['partition']}" for r in results}
