"""Benchmark the SQL connector: rows per second from PostgreSQL into the warehouse, against pandas.read_sql.

    .venv/bin/python bench/bench_sql.py                      # 1M rows, about 3 minutes
    .venv/bin/python bench/bench_sql.py --rows 100000 --no-write

Input: the simulator's sickness-benefit events (seed 1) copied with new case numbers, citizens
and ids until the table in the machine's PostgreSQL (VAERDISTROM_TEST_POSTGRES, default
postgresql://postgres@127.0.0.1:5432/test) holds --rows rows, shaped like a case system's
event table. Each run is a child process (wall time and peak memory of that child, Python's
start and imports included; seconds inside the child beside it):
- vaerdistrom: `load_pull` of the whole table into an empty warehouse (mapping, pseudonymising,
  CPR scrubbing, ids, cases, one transaction);
- the connector alone: the same pull's Arrow batches read and turned into frames, not loaded;
- pandas.read_sql of the same select through SQLAlchemy and psycopg (the common way), into one
  DataFrame and nothing more;
- a night: 1% new rows added to the table, pulled into the warehouse of the first run.

Writes the 'SQL connector' section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import machine, run_child, write_section  # noqa: E402

BEGIN, END = "<!-- sql:begin -->", "<!-- sql:end -->"
TABLE = "bench_sagshaendelser"

CHILD = r"""
import json, os, sys, time
from pathlib import Path
what, dsn, warehouse = sys.argv[1], sys.argv[2], sys.argv[3]
os.environ["BENCH_DSN"] = dsn
from warehouse.config import Source
src = Source.model_validate({
    "kind": "sql", "process": "sygedagpenge", "channel": "case_system", "personal": ["cpr"], "timezone": "UTC",
    "database": {"dsn_env": "BENCH_DSN", "table": "bench_sagshaendelser", "watermark": "haendelse_id"},
    "mapping": {"case_id": "forloebsid", "activity": "aktivitet", "ts": "tidspunkt", "lifecycle": "livscyklus",
                "resource": "sagsbehandler", "org_unit": "enhed", "citizen_key": "cpr", "source_key": "haendelse_id"}})
began = time.perf_counter()
if what in ("ours", "night"):
    from warehouse.migrations import connect
    from warehouse.pseudonym import Pseudonymiser
    from warehouse.load import load_pull
    con = connect(warehouse)
    r = load_pull(con, src, "momentum_db", Pseudonymiser(b"b" * 32))
    rows, new = r.rows_read, r.rows_new
    stored = con.execute("select count(*) from staging.events").fetchall()[0][0]
    con.close()
elif what == "connector":
    from connectors.sql import SqlPull, dialect_of, pull_query
    pull = SqlPull(dsn, pull_query(dialect_of(dsn), table="bench_sagshaendelser", watermark="haendelse_id"),
                   watermark="haendelse_id", since=None, batch_rows=50_000, where="bench")
    rows = sum(chunk.frame.height for chunk in pull)
    new = stored = None
else:
    import pandas as pd
    import sqlalchemy
    engine = sqlalchemy.create_engine(dsn.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as c:
        frame = pd.read_sql("select * from bench_sagshaendelser order by haendelse_id", c)
    rows, new, stored = len(frame), None, None
print(json.dumps({"seconds": time.perf_counter() - began, "rows": rows, "new": new, "stored": stored}))
"""


def fill(dsn: str, rows: int, work: Path) -> tuple[int, int]:
    """The table with `rows` rows copied from a simulated municipality's events; (rows, columns)."""
    import polars as pl
    import psycopg

    from simulator.run import simulate
    from simulator.spec import SimulationSpec

    out = work / "sim"
    simulate(SimulationSpec(out=out, citizens=4_000, months=12, seed=1, processes=("sygedagpenge",)))
    base = pl.read_parquet(out / "momentum" / "sygedagpenge.parquet").drop("ydelse", "kategori")
    copies = -(-rows // base.height)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f"drop table if exists {TABLE}")
        c.execute(f"drop table if exists {TABLE}_base")
        c.execute(
            f"create table {TABLE}_base (forloebsid text, cpr text, aktivitet text, livscyklus text, "
            "tidspunkt timestamptz, sagsbehandler text, enhed text, foerste_fravaersdag date, bemaerkning text)"
        )
        with c.cursor().copy(f"copy {TABLE}_base from stdin") as copy:
            for r in base.iter_rows():
                copy.write_row(r)
        c.execute(f"""create table {TABLE} as
            select (row_number() over (order by k, b.tidspunkt, b.forloebsid))::bigint as haendelse_id,
                   b.forloebsid || '-' || k as forloebsid, b.cpr || '-' || k as cpr, b.aktivitet, b.livscyklus,
                   b.tidspunkt, b.sagsbehandler, b.enhed, b.foerste_fravaersdag, b.bemaerkning,
                   b.tidspunkt + interval '5 minutes' as opdateret
            from {TABLE}_base as b, generate_series(1, {copies}) as k""")
        c.execute(f"delete from {TABLE} where haendelse_id > {rows}")
        c.execute(f"alter table {TABLE} add primary key (haendelse_id)")
        c.execute(f"drop table {TABLE}_base")
        c.execute(f"vacuum analyze {TABLE}")
        n = c.execute(f"select count(*) from {TABLE}").fetchone()[0]
    return n, 11


def add_night(dsn: str, rows: int) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f"""insert into {TABLE} select haendelse_id + (select max(haendelse_id) from {TABLE}),
                      forloebsid || '-n', cpr, aktivitet, livscyklus, tidspunkt + interval '1 day', sagsbehandler,
                      enhed, foerste_fravaersdag, bemaerkning, opdateret + interval '1 day'
                      from {TABLE} where haendelse_id <= {rows}""")


def section(result: dict) -> str:
    runs = result["runs"]
    lines = [
        BEGIN,
        "## SQL connector",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} with `bench/bench_sql.py`: a PostgreSQL "
        f"{result['server']} table of {result['rows']:,} case events (the simulator's sickness-benefit events copied "
        "with new cases and citizens; 11 columns) on this machine, read over TCP. Each run is a child process: wall "
        "time and peak memory of that child (Python's start and imports included), and the seconds inside it. "
        "vaerdistrom loads the pull into an empty warehouse (mapping, pseudonymising, CPR scrubbing, ids, cases, one "
        "transaction); pandas.read_sql (SQLAlchemy + psycopg) only reads the same select into a DataFrame.",
        "",
        "| run | rows | wall s | in child s | rows/s (in child) | peak MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    names = {
        "ours": "vaerdistrom: pull into the warehouse",
        "connector": "the connector alone (read, not loaded)",
        "pandas": "pandas.read_sql",
        "night": f"a night: {result['night_rows']:,} new rows (1%)",
    }
    for key in ("ours", "connector", "pandas", "night"):
        r = runs[key]
        lines.append(
            f"| {names[key]} | {r['rows']:,} | {r['wall']:.1f} | {r['seconds']:.1f} | "
            f"{r['rows'] / r['seconds']:,.0f} | {r['peak_mb']:,.0f} |"
        )
    ours, pandas = runs["ours"], runs["pandas"]
    lines += [
        "",
        f"Loading into the warehouse runs at {ours['rows'] / ours['seconds']:,.0f} rows/s, "
        f"{(ours['rows'] / ours['seconds']) / (pandas['rows'] / pandas['seconds']):.1f}x pandas.read_sql's "
        f"{pandas['rows'] / pandas['seconds']:,.0f} rows/s, which only reads; the connector alone reads "
        f"{runs['connector']['rows'] / runs['connector']['seconds']:,.0f} rows/s in "
        f"{runs['connector']['peak_mb']:,.0f} MB (it streams batches of 50,000 rows). The load's peak of "
        f"{ours['peak_mb']:,.0f} MB (pandas: {pandas['peak_mb']:,.0f} MB) is DuckDB staging the batch, "
        "which the warehouse's memory_limit caps (2 GB by default; it spills to disk beyond). "
        f"A night's pull of {result['night_rows']:,} new rows (the night run reads "
        f"{runs['night']['rows']:,}: the new ones and the last pull's top) takes "
        f"{runs['night']['seconds']:.1f} s.",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    dsn = os.environ.get("VAERDISTROM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    work = Path(tempfile.mkdtemp(prefix="vaerdistrom-sql-bench-"))
    try:
        rows, _ = fill(dsn, args.rows, work)
        import psycopg

        with psycopg.connect(dsn) as c:
            server = c.execute("show server_version").fetchone()[0].split()[0]
        script = work / "child.py"
        script.write_text(CHILD)
        warehouse = work / "bench.duckdb"
        runs = {}
        for key in ("pandas", "connector", "ours"):
            log = work / f"{key}.txt"
            wall, peak = run_child([sys.executable, str(script), key, dsn, str(warehouse)], log)
            runs[key] = json.loads(log.read_text().splitlines()[-1]) | {"wall": wall, "peak_mb": peak}
            print(key, runs[key], flush=True)
        assert runs["ours"]["stored"] == rows == runs["pandas"]["rows"] == runs["connector"]["rows"]
        night = rows // 100
        add_night(dsn, night)
        log = work / "night.txt"
        wall, peak = run_child([sys.executable, str(script), "night", dsn, str(warehouse)], log)
        runs["night"] = json.loads(log.read_text().splitlines()[-1]) | {"wall": wall, "peak_mb": peak}
        assert runs["night"]["new"] == night and runs["night"]["stored"] == rows + night
        print("night", runs["night"], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(f"drop table if exists {TABLE}")
    result = {"rows": rows, "server": server, "runs": runs, "night_rows": night}
    print(json.dumps(result, indent=1))
    if not args.no_write:
        write_section(section(result), BEGIN, END)


if __name__ == "__main__":
    main()
