"""Benchmark the simulator: events per second and peak memory, 1M and 10M events.

pm4py's play-out of the same intended processes (BPMN -> Petri net -> basic play-out,
then written to CSV) runs in the same benchmark as the side-by-side reference: it is the
only event-log generator pm4py has. Each measurement runs in its own child process so
its peak resident memory (ru_maxrss from wait4) is its own.

    .venv/bin/python bench/bench_simulate.py                 # 1M and 10M, pm4py at 1M
    .venv/bin/python bench/bench_simulate.py --sizes 200000  # a quick look

Writes the 'Simulator' section of docs/benchmarks.md (replacing an earlier one).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- simulator:begin -->", "<!-- simulator:end -->"

PM4PY_CHILD = r"""
import sys, time, pm4py, pandas as pd
from pathlib import Path
bpmn_dir, target, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
mix = {"visitation": 0.35, "sygedagpenge": 0.35, "byggesag": 0.23, "helhedsplan": 0.07}
t0 = time.perf_counter()
frames, events = [], 0
for process, share in mix.items():
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(bpmn_dir / f"{process}.bpmn")))
    want = int(target * share)
    probe = pm4py.convert_to_dataframe(pm4py.play_out(net, im, fm, parameters={"noTraces": 200}))
    per_trace = len(probe) / probe["case:concept:name"].nunique()
    got = 0
    while got < want:
        traces = max(1, int((want - got) / per_trace * 1.05) + 1)
        df = pm4py.convert_to_dataframe(pm4py.play_out(net, im, fm, parameters={"noTraces": traces}))
        df = df.head(want - got)
        got += len(df)
        frames.append(df[["case:concept:name", "concept:name", "time:timestamp"]])
    events += got
pd.concat(frames).to_csv(out, index=False)
print(events, time.perf_counter() - t0)
"""


# Copies of every event with new case numbers and citizens (copy i of main.copy_of(i)): a bigger log of the same
# shape, for the benchmarks that need more events than one simulation gives.
COPY_EVENTS = (
    "insert into staging.events select md5(e.event_id::varchar || '-' || c.i)::uuid, e.source, e.process, "
    "e.case_id || '-' || c.i, e.activity, e.ts, e.lifecycle, e.resource, e.org_unit, e.channel, e.direction, "
    "e.citizen_key || '-' || c.i, e.attributes, e.source_seq + c.i * 1000000000, e.batch_id, e.start_ts "
    "from staging.events as e, main.copy_of as c"
)


def size_args(doc: str) -> argparse.Namespace:
    """--sizes (event counts, default 1M and 10M) and --no-write, as the load and mining benchmarks take them."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated event counts")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    return args


def simulate_into(work: Path, events: int = 300_000) -> Path:
    """A simulated municipality (seed 1) in work/sim, as the benchmarks' input; returns its folder."""
    sim = work / "sim"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("vaerdistrom")),
            "simulate",
            "--out",
            str(sim),
            "--events",
            str(events),
            "--seed",
            "1",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return sim


def run_child(cmd: list[str], log: Path) -> tuple[float, float]:
    """Run `cmd`; return (seconds, peak resident memory in MB of that child)."""
    with log.open("wb") as fh:
        began = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{log.read_text(errors='replace')[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def write_section(section: str, begin: str, end: str, doc: Path = DOC) -> None:
    """Put `section` (which starts with `begin` and ends with `end`) into `doc` (docs/benchmarks.md), replacing the
    old one."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n\n"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--pm4py-size", type=int, default=1_000_000, help="events for pm4py's play-out (0 to skip)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("vaerdistrom"))
    work = Path(tempfile.mkdtemp(prefix="vaerdistrom-bench-"))
    rows = []
    try:
        for size in args.sizes:
            out = work / f"sim-{size}"
            seconds, peak = run_child(
                [exe, "simulate", "--out", str(out), "--events", str(size), "--seed", "1"], work / "log.txt"
            )
            truth = json.loads((out / "ground_truth" / "ground_truth.json").read_text(encoding="utf-8"))
            produced = truth["totals"]["rows"]
            disk = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
            rows.append(("vaerdistrom simulate", size, produced, seconds, peak, disk))
            print(rows[-1], flush=True)
            bpmn = work / "bpmn"
            if not bpmn.exists():
                shutil.copytree(out / "bpmn", bpmn)
            shutil.rmtree(out)
        if args.pm4py_size:
            child = work / "pm4py_child.py"
            child.write_text(PM4PY_CHILD)
            seconds, peak = run_child(
                [sys.executable, str(child), str(work / "bpmn"), str(args.pm4py_size), str(work / "pm4py.csv")],
                work / "log.txt",
            )
            disk = (work / "pm4py.csv").stat().st_size / 2**20
            rows.append(("pm4py.play_out + to_csv", args.pm4py_size, args.pm4py_size, seconds, peak, disk))
            print(rows[-1], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = [
        "| generator | requested | rows written | seconds | rows/s | peak memory (MB) | on disk (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size, produced, seconds, peak, disk in rows:
        table.append(
            f"| {name} | {size:,} | {produced:,} | {seconds:,.1f} | {produced / seconds:,.0f} | "
            f"{peak:,.0f} | {disk:,.0f} |"
        )
    section = "\n".join(
        [
            BEGIN,
            "## Simulator",
            "",
            f"Measured {dt.date.today().isoformat()} on {machine()} with `bench/bench_simulate.py`.",
            "Rows are everything the systems export (case events and contacts); time includes the",
            "ground truth, the BPMN files and sorting the contact logs. pm4py's play-out of the same",
            "intended BPMN models (random walks, no calendar, no contacts, one CSV) is the reference.",
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
