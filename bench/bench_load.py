"""Benchmark loading: rows per second and peak memory per format and size, with pm4py's path in the same run.

    .venv/bin/python bench/bench_load.py                       # 1M and 10M events (about 25 minutes)
    .venv/bin/python bench/bench_load.py --sizes 200000        # a quick look

Inputs: a simulated municipality's job-centre Parquet and ESDH CSV (cp1252, ';', Danish
dates), repeated with a new case number per copy until the size is reached, so each file
has the shape of a real export and no two rows are the same. XES: the same events written
as an XES log (one trace per case; 1M events only, see below), and BPIC15_1 when
../shared/data is there.

Ours: `warehouse.load.load_file` into a fresh DuckDB file (mapping, pseudonymisation,
quarantine checks, ids, dedupe against what is stored, cases, one transaction), then a
check that every row is stored once. pm4py's: pandas reads the file and
`pm4py.format_dataframe` prepares it (CSV, Parquet); `pm4py.read_xes` for XES. Each
measurement runs in its own child process (wall time including Python's start, peak
memory from wait4). Writes the 'Load' section of docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import ROOT, machine, run_child, simulate_into, size_args, write_section  # noqa: E402

BEGIN, END = "<!-- load:begin -->", "<!-- load:end -->"
BPIC = ROOT.parent / "shared" / "data" / "real" / "BPIC15_1.xes.gz"
XES_MAX = 1_000_000  # pm4py.read_xes holds the whole log as Python objects: 10M events would need ~50 GB

OURS = r"""
import sys
from pathlib import Path
from warehouse.config import load_config, Source
from warehouse.load import load_file
from warehouse.migrations import connect
from warehouse.pseudonym import Pseudonymiser
config, name, path, db = sys.argv[1:5]
if config == "xes":
    src = Source.model_validate({"kind": "xes", "path": path, "process": "p", "mapping": {
        "ts": "time:timestamp", "activity": "concept:name", "case_id": "case:concept:name",
        "lifecycle": "lifecycle:transition", "resource": "org:resource"}})
else:
    src = load_config(config)[0].sources[name]
con = connect(db)
r = load_file(con, src, name, Path(path), Pseudonymiser(bytes(32)))
stored = con.execute("select count(*), count(distinct event_id) from staging.events").fetchall()[0]
assert stored == (r.rows_loaded, r.rows_loaded) and r.rows_read == r.rows_loaded, (r, stored)
print(r.rows_read, r.rows_loaded)
"""

PM4PY = r"""
import sys, pandas as pd, pm4py
kind, path = sys.argv[1:3]
if kind == "csv":
    df = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str)
    df = pm4py.format_dataframe(df, case_id="Sagsnummer", activity_key="Aktivitet", timestamp_key="Udført",
                                timest_format="%d-%m-%Y %H:%M")
elif kind == "parquet":
    df = pd.read_parquet(path)
    df = pm4py.format_dataframe(df, case_id="forloebsid", activity_key="aktivitet", timestamp_key="tidspunkt")
else:
    df = pm4py.read_xes(path)
print(len(df))
"""

MAKE = r"""
import sys
import polars as pl
sim, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = pl.read_parquet(f"{sim}/momentum/sygedagpenge.parquet")
copies = -(-n // d.height)
big = pl.concat([d.with_columns(pl.col("forloebsid") + f"-{i}") for i in range(copies)]).head(n)
big.write_parquet(f"{out}/momentum.parquet", row_group_size=100_000)
c = pl.read_csv(f"{sim}/sbsys/sagsaktiviteter.csv", separator=";", encoding="cp1252", infer_schema=False)
copies = -(-n // c.height)
with open(f"{out}/sagsaktiviteter.csv", "wb") as fh:
    for i in range(copies):
        part = c.with_columns(pl.col("Sagsnummer") + f"-{i}").head(n - i * c.height)
        text = part.write_csv(separator=";", line_terminator="\r\n", include_header=(i == 0))
        fh.write(text.encode("cp1252"))
if n <= int(sys.argv[4]):
    x = big.sort("forloebsid", "tidspunkt", maintain_order=True).select(
        "forloebsid", "aktivitet", "livscyklus", "sagsbehandler",
        pl.col("tidspunkt").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").alias("t"))
    esc = lambda c: pl.col(c).str.replace_all("&", "&amp;").str.replace_all("<", "&lt;").str.replace_all('"', "&quot;")
    x = x.with_columns(first=pl.col("forloebsid") != pl.col("forloebsid").shift(1),
                       last=pl.col("forloebsid") != pl.col("forloebsid").shift(-1))
    lines = x.select(pl.concat_str([
        pl.when(pl.col("first").fill_null(True))
        .then(pl.concat_str([pl.lit('<trace><string key="concept:name" value="'), esc("forloebsid"), pl.lit('"/>')]))
        .otherwise(pl.lit("")),
        pl.lit('<event><string key="concept:name" value="'), esc("aktivitet"),
        pl.lit('"/><string key="lifecycle:transition" value="'), esc("livscyklus"),
        pl.lit('"/><string key="org:resource" value="'), esc("sagsbehandler"),
        pl.lit('"/><date key="time:timestamp" value="'), pl.col("t"), pl.lit('"/></event>'),
        pl.when(pl.col("last").fill_null(True)).then(pl.lit("</trace>")).otherwise(pl.lit("")),
    ]).alias("l"))["l"]
    with open(f"{out}/events.xes", "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1849-2016">\n')
        fh.write("\n".join(lines.to_list()))
        fh.write("\n</log>\n")
"""


def inputs(work: Path, sim: Path, n: int) -> list[tuple[str, str, str, Path]]:
    """The files of `n` events each (made from the simulation `sim` by MAKE, written to work/make.py first), as
    (label, kind, source name, path): the ESDH CSV, the job centre's Parquet and, up to XES_MAX, its XES."""
    data = work / f"n{n}"
    data.mkdir()
    subprocess.run(
        [sys.executable, str(work / "make.py"), str(sim), str(data), str(n), str(XES_MAX)], check=True, cwd=ROOT
    )
    cases = [
        ("CSV (ESDH export, cp1252)", "csv", "sbsys", data / "sagsaktiviteter.csv"),
        ("Parquet (job centre)", "parquet", "momentum", data / "momentum.parquet"),
    ]
    if n <= XES_MAX:
        cases.append(("XES (job centre events)", "xes", "xes", data / "events.xes"))
    return cases


def main() -> None:
    args = size_args(__doc__)
    sizes = args.sizes
    work = Path(tempfile.mkdtemp(prefix="vaerdistrom-load-bench-"))
    py = sys.executable
    rows = []
    try:
        sim = simulate_into(work)
        (work / "ours.py").write_text(OURS)
        (work / "pm4py_path.py").write_text(PM4PY)
        (work / "make.py").write_text(MAKE)
        for n in sizes:
            cases = inputs(work, sim, n)
            if n == sizes[0] and BPIC.exists():
                cases.append(("XES (BPIC15_1, real)", "xes", "real", BPIC))
            for label, kind, name, path in cases:
                config = "xes" if kind == "xes" else str(sim / "vaerdistrom.toml")
                db = work / f"{name}-{n}.duckdb"
                s_ours, m_ours = run_child(
                    [py, str(work / "ours.py"), config, name, str(path), str(db)], work / "log.txt"
                )
                got = int((work / "log.txt").read_text().split()[0])
                s_pm, m_pm = run_child([py, str(work / "pm4py_path.py"), kind, str(path)], work / "log.txt")
                rows.append((label, got, s_ours, m_ours, s_pm, m_pm))
                print(rows[-1], flush=True)
                db.unlink(missing_ok=True)
            shutil.rmtree(work / f"n{n}", ignore_errors=True)  # the inputs of this size
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = [
        "| format | events | vaerdistrom s | events/s | peak MB | pm4py path s | events/s | peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, n, so, mo, sp, mp in rows:
        table.append(
            f"| {label} | {n:,} | {so:.1f} | {n / so:,.0f} | {mo:,.0f} | {sp:.1f} | {n / sp:,.0f} | {mp:,.0f} |"
        )
    section = "\n".join(
        [
            BEGIN,
            "## Load",
            "",
            f"Measured {dt.date.today().isoformat()} on {machine()} with `bench/bench_load.py`.",
            "Each time is a child process's wall time, Python's start and imports included. Ours maps to the",
            "canonical schema, pseudonymises, checks and quarantines, computes ids, leaves out what is stored,",
            "builds the cases and commits one transaction, then the benchmark checks every row is stored once;",
            f"pm4py's path only reads and formats a DataFrame. XES is measured up to {XES_MAX:,} events: "
            "pm4py.read_xes",
            "keeps the whole log as Python objects.",
            "",
            *table,
            "",
            END,
        ]
    )
    print(section)
    if not args.no_write:
        write_section(section, BEGIN, END)


if __name__ == "__main__":
    main()
