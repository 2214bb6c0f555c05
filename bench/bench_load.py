"""Benchmark loading: rows per second and peak memory per format, with pm4py's path in the same run.

    .venv/bin/python bench/bench_load.py                  # a 1M-row simulated municipality + BPIC15_1
    .venv/bin/python bench/bench_load.py --events 200000  # a quick look

Ours: `warehouse.load.load_file` into a fresh DuckDB file (mapping, pseudonymisation,
quarantine checks, ids, one transaction). pm4py's: pandas reads the file and
`pm4py.format_dataframe` prepares it (CSV, Parquet); `pm4py.read_xes` for XES. Each
measurement runs in its own child process (peak memory from wait4). Writes the 'Load'
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import DOC, ROOT, machine, run_child  # noqa: E402

BEGIN, END = "<!-- load:begin -->", "<!-- load:end -->"
XES = ROOT.parent / "shared" / "data" / "real" / "BPIC15_1.xes.gz"

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
r = load_file(connect(db), src, name, Path(path), Pseudonymiser(bytes(32)))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="size of the simulated municipality")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vaerdistrom-load-bench-"))
    py = sys.executable
    rows = []
    try:
        sim = work / "sim"
        subprocess.run([str(Path(py).with_name("vaerdistrom")), "simulate", "--out", str(sim), "--events",
                        str(args.events), "--seed", "1"], check=True, capture_output=True, cwd=ROOT)
        (work / "ours.py").write_text(OURS)
        (work / "pm4py_path.py").write_text(PM4PY)
        cases = [("CSV (ESDH export, cp1252)", "csv", "sbsys", sim / "sbsys" / "sagsaktiviteter.csv"),
                 ("Parquet (job centre)", "parquet", "momentum", sim / "momentum" / "sygedagpenge.parquet")]
        if XES.exists():
            cases.append(("XES (BPIC15_1)", "xes", "real", XES))
        for label, kind, name, path in cases:
            config = "xes" if kind == "xes" else str(sim / "vaerdistrom.toml")
            db = work / f"{name}.duckdb"
            s_ours, m_ours = run_child([py, str(work / "ours.py"), config, name, str(path), str(db)],
                                       work / "log.txt")
            n = int((work / "log.txt").read_text().split()[0])
            s_pm, m_pm = run_child([py, str(work / "pm4py_path.py"), kind, str(path)], work / "log.txt")
            rows.append((label, n, s_ours, m_ours, s_pm, m_pm))
            print(rows[-1], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = ["| format | rows | vaerdistrom s | rows/s | peak MB | pm4py path s | rows/s | peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, n, so, mo, sp, mp in rows:
        table.append(f"| {label} | {n:,} | {so:.1f} | {n / so:,.0f} | {mo:,.0f} | {sp:.1f} | {n / sp:,.0f} | "
                     f"{mp:,.0f} |")
    section = "\n".join([
        BEGIN, "## Load", "",
        f"Measured {dt.date.today().isoformat()} on {machine()} with `bench/bench_load.py` "
        f"(a {args.events:,}-row simulated municipality; BPIC15_1 from ../shared/data).",
        "Each time includes starting Python and importing the libraries. Ours maps to the canonical schema,",
        "pseudonymises, checks and quarantines, computes ids and writes DuckDB in one transaction;",
        "pm4py's path only reads and formats a DataFrame.", "", *table, "", END])
    print(section)
    if not args.no_write:
        text = DOC.read_text(encoding="utf-8")
        if BEGIN in text:
            text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S)
        else:
            text = text.rstrip() + "\n\n" + section + "\n"
        DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
