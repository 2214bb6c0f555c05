"""Beyond one machine: one nightly run per municipality, fanned out over a Dask cluster with Prefect's
`DaskTaskRunner`, each adding its KPIs and key marts to a national Parquet dataset.

Each municipality keeps its own warehouse, so the runs share no writer and are independent
tasks; a worker runs the same steps as `vaerdistrom run` (`flows.pipeline.run_night`). The
national dataset is hive-partitioned Parquet, `OUT/<table>/municipality=<slug>/part-0.parquet`,
each file written under a temporary name and renamed into place, which DuckDB
(`read_parquet('OUT/kpi_history/*/*.parquet', hive_partitioning = true)`), polars or Spark read
as one table. Without an address the cluster is a local one (one process per worker); with
`address` it is an existing scheduler (`dask scheduler` on one machine, `dask worker ADDRESS`
on each of the others, every worker seeing the configs' folders at the same paths).
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

TABLES = (
    "meta.kpi_history",
    "marts.value_stream_summary",
    "marts.deadline_summary",
    "marts.contact_summary",
    "marts.bottlenecks",
    "marts.conformance_processes",
)


def slug(name: str) -> str:
    """A municipality's name as a partition value: 'Høje-Taastrup Kommune' -> 'hoeje-taastrup-kommune'."""
    text = name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


@task(name="municipality", cache_policy=NO_CACHE)
def municipality_night(config: str, out: str) -> dict:
    """One municipality's night, then its tables into the national dataset."""
    from flows import pipeline
    from warehouse.config import load_config
    from warehouse.quote import lit
    from warehouse.session import open_snapshot

    cfg, root = load_config(config)
    result = pipeline.run_night(cfg, root)
    part = slug(cfg.municipality.name)
    con = open_snapshot(root / cfg.nightly.published)
    try:
        have = {
            f"{s}.{t}"
            for s, t in con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        }
        for table in [t for t in TABLES if t in have]:
            folder = Path(out) / table.split(".")[1] / f"municipality={part}"
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".part-0.parquet.{os.getpid()}.tmp"
            con.execute(f"copy (select * from {table}) to {lit(str(tmp))} (format parquet)")
            os.replace(tmp, folder / "part-0.parquet")
    finally:
        con.close()
    return {
        "municipality": cfg.municipality.name,
        "partition": part,
        "status": result.status,
        "rows_new": sum(s.rows["rows_new"] for s in result.sources),
        "failed_sources": result.failed_sources,
        "worker_pid": os.getpid(),
    }


@flow(name="vaerdistrom-national")
def national(configs: list[str], out: str) -> list[dict]:
    """Every municipality's night, in parallel on the flow's task runner; one result per municipality."""
    futures = [municipality_night.submit(c, out) for c in configs]
    return [f.result() for f in futures]


def run_national(configs: list[Path], out: Path, workers: int = 2, address: str | None = None):
    """Run `national` on a Dask cluster: a local one with `workers` processes, or the scheduler at `address`.
    Returns the flow run's final state."""
    from prefect_dask import DaskTaskRunner

    runner = (
        DaskTaskRunner(address=address)
        if address
        else DaskTaskRunner(
            cluster_kwargs={"n_workers": workers, "processes": True, "threads_per_worker": 1, "dashboard_address": None}
        )
    )
    return national.with_options(task_runner=runner)(
        [str(c.resolve()) for c in configs], str(out.resolve()), return_state=True
    )
