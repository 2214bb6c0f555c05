"""Benchmark discovery and conformance on a 1M-event process, with pm4py's whole-log calls in the same run.

    .venv/bin/python bench/bench_conformance.py                    # about 25 minutes
    .venv/bin/python bench/bench_conformance.py --rows 600000 --copies 3 --no-write   # a quick look

Input: a simulated municipality (--rows rows, seed 1) loaded into DuckDB with its variants
built; the process with the most completed events is the log (about 1M events at the
default 4.5M rows). Each measurement runs in its own child process (wall time includes
Python's start; peak memory from wait4), timed inside the child too:

- discovery: ours reads the process's variants from `marts.case_variants` and runs IMf
  (noise 0.2) on their counts; pm4py reads the events into pandas and runs
  `pm4py.discover_petri_net_inductive` (noise 0.2) on the whole log. Both again at about
  10M events, made of --copies copies of the process's cases with new case numbers (the
  copies repeat the variants: a real 10M log has more rare ones).
- conformance against the model ours discovered (one BPMN file, the same net for both):
  ours is `mining.conformance.build_conformance` (token replay of every variant, precision,
  alignments of the most frequent variants within the time budget), once with no time to
  align (token-based fitness and precision: the check the 10x target is about), once
  with the budget (the first conformance) and once more (the next run, checked variants
  kept); all that in two children, the variants aligned in one process and by the pool of
  worker processes (one per usable core, the default), side by side, each with the CPU
  seconds its first conformance took and the machine's load average as it began; pm4py is
  `pm4py.fitness_token_based_replay` and `pm4py.precision_token_based_replay` on the
  whole log. Fitness is compared method for method.

Writes the 'Discovery and conformance' section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import machine, run_child, simulate_into, write_section  # noqa: E402

BEGIN, END = "<!-- conformance:begin -->", "<!-- conformance:end -->"

MAKE = r"""
import os, sys, json
from pathlib import Path
from warehouse.config import load_config
from warehouse.load import load_all
from warehouse.migrations import connect
sys.path.insert(0, "bench")
from bench_simulate import COPY_EVENTS
from mining.engine import build
sim, db, copies = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
os.environ["VAERDISTROM_PSEUDONYM_KEY"] = "00" * 32
cfg, root = load_config(sim / "vaerdistrom.toml")
load_all(cfg.model_copy(update={"warehouse": db}), root)
con = connect(db)
process, n = con.execute("select process, count(*) from staging.events where case_id is not null and "
                         "lower(coalesce(lifecycle, 'complete')) != 'start' group by all order by 2 desc limit 1"
                         ).fetchall()[0]
if copies > 1:
    con.execute("delete from staging.events where process is distinct from ?", [process]).fetchall()
    con.execute("create table main.copy_of as select r.i from range(1, ?) as r(i)", [copies]).fetchall()
    con.execute(COPY_EVENTS).fetchall()
    con.execute("drop table main.copy_of")
build(con, ["case_variants", "value_stream_cases"])
n = con.execute("select count(*) from staging.events where process = ? and lower(coalesce(lifecycle, 'complete')) "
                "!= 'start'", [process]).fetchall()[0][0]
print(json.dumps({"process": process, "events": n}))
"""

OURS_DISCOVER = r"""
import sys, time, json
from pathlib import Path
from warehouse.migrations import connect
from mining.discovery import discover, write
import pm4py  # imported before the clock starts, as in pm4py's child
db, process, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
con = connect(db)
start = time.perf_counter()
model = discover(con, process, 0.2)
seconds = time.perf_counter() - start
write(model, out)
print(json.dumps({"seconds": seconds, "variants": model.n_variants, "cases": model.n_cases,
                  "transitions": len(model.net.transitions)}))
"""

OURS_CONFORMANCE = r"""
import os, resource, sys, time, json
from pathlib import Path
from warehouse.migrations import connect
from mining.alignment_pool import pool_size
from mining.conformance import Intended, build_conformance
import pm4py  # imported before the clock starts, as in pm4py's child
db, process, bpmn, budget = sys.argv[1], sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])
workers = int(sys.argv[5]) if sys.argv[5] != "pool" else None  # None: one worker per usable core
load = os.getloadavg()[0]  # what else ran: the machine's 1-minute load average as the child starts
con = connect(db)
start = time.perf_counter()  # no time to align: token-based fitness and precision, read and stored as a night does
build_conformance(con, {process: Intended(bpmn, 0, budget)}, reuse=False, workers=workers)
fast = time.perf_counter() - start
quick = con.sql("select * from marts.conformance_models").to_arrow_table().to_pylist()[0]
def cpu():  # CPU seconds of this process and of its workers (joined)
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF,
                                                                         resource.RUSAGE_CHILDREN)))
start, cpu_start = time.perf_counter(), cpu()  # the first conformance: every variant aligned (within the budget)
warnings = build_conformance(con, {process: Intended(bpmn, budget, budget)}, reuse=False, workers=workers)
seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
row = con.sql("select * from marts.conformance_models").to_arrow_table().to_pylist()[0]
start = time.perf_counter()  # the next run against the same model: what was checked is kept
build_conformance(con, {process: Intended(bpmn, budget, budget)}, reuse=True, workers=workers)
again = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "again": again, "warnings": warnings, "fast": fast, "load": load,
                  "cpu_seconds": cpu_seconds,
                  "processes": pool_size(row["n_variants"], workers),
                  "fast_fitness": quick["fitness"], "fast_method": quick["fitness_method"],
                  "fast_precision": quick["precision"]} | {k: row[k] for k in (
    "n_variants", "n_variants_aligned", "share_cases_aligned", "fitness_method", "fitness", "alignment_fitness",
    "token_fitness", "precision", "alignment_seconds", "replay_seconds", "precision_seconds")}))
"""

PM4PY = r"""
import sys, time, json, duckdb, pm4py
from pm4py.util import constants
constants.SHOW_PROGRESS_BAR = False
db, process, bpmn, what = sys.argv[1:5]
start = time.perf_counter()
con = duckdb.connect(db, read_only=True)
df = con.sql("select case_id, activity, ts from staging.events where process = $p and "
             "lower(coalesce(lifecycle, 'complete')) != 'start' order by source, source_seq",
             params={"p": process}).df()
con.close()
df = pm4py.format_dataframe(df, case_id="case_id", activity_key="activity", timestamp_key="ts")
out = {"load": time.perf_counter() - start, "events": len(df)}
if what == "discover":
    t = time.perf_counter()
    net, im, fm = pm4py.discover_petri_net_inductive(df, noise_threshold=0.2)
    out["discover"] = time.perf_counter() - t
    out["transitions"] = len(net.transitions)
else:
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(bpmn))
    t = time.perf_counter()
    out["token_fitness"] = pm4py.fitness_token_based_replay(df, net, im, fm)["log_fitness"]
    out["token_replay"] = time.perf_counter() - t
    if what == "conformance+precision":
        t = time.perf_counter()
        out["precision"] = pm4py.precision_token_based_replay(df, net, im, fm)
        out["precision_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        out["alignment_fitness"] = pm4py.fitness_alignments(df, net, im, fm)["log_fitness"]
        out["alignments"] = time.perf_counter() - t
print(json.dumps(out))
"""


def last_json(log: Path) -> dict:
    return json.loads(log.read_text().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=4_500_000, help="rows the simulated municipality exports")
    parser.add_argument("--copies", type=int, default=10, help="copies of the process for the large discovery run")
    parser.add_argument("--budget", type=float, default=60.0, help="conformance_seconds and precision_seconds")
    parser.add_argument("--sim", type=Path, help="an existing simulation to use instead of simulating")
    parser.add_argument(
        "--no-pm4py-precision", action="store_true", help="skip pm4py's precision and alignments (slow)"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vaerdistrom-conformance-bench-"))
    py = sys.executable
    log = work / "log.txt"
    result: dict = {}
    try:
        sim = args.sim or simulate_into(work, args.rows)
        scripts = {}
        for name, text in (
            ("make", MAKE),
            ("discover", OURS_DISCOVER),
            ("conformance", OURS_CONFORMANCE),
            ("pm4py", PM4PY),
        ):
            scripts[name] = work / f"child_{name}.py"
            scripts[name].write_text(text)
        for label, copies in (("1x", 1), ("copies", args.copies)):
            db = work / f"w{copies}.duckdb"
            run_child([py, str(scripts["make"]), str(sim), str(db), str(copies)], log)
            made = last_json(log)
            process, models = made["process"], work / f"models{copies}"
            wall, mb = run_child([py, str(scripts["discover"]), str(db), process, str(models)], log)
            ours = last_json(log) | {"wall": wall, "mb": mb}
            wall, mb = run_child([py, str(scripts["pm4py"]), str(db), process, "", "discover"], log)
            theirs = last_json(log) | {"wall": wall, "mb": mb}
            result[f"discover_{label}"] = {"events": made["events"], "process": process, "ours": ours, "pm4py": theirs}
            print(label, result[f"discover_{label}"], flush=True)
            if copies == 1:
                bpmn = str(models / f"{process}.bpmn")
                ours = {}
                for how in ("1", "pool"):  # the variants aligned in one process, then by the pool
                    cmd = [py, str(scripts["conformance"]), str(db), process, bpmn, str(args.budget), how]
                    wall, mb = run_child(cmd, log)
                    ours[how] = last_json(log) | {"wall": wall, "mb": mb}
                what = "conformance" if args.no_pm4py_precision else "conformance+precision"
                wall, mb = run_child([py, str(scripts["pm4py"]), str(db), process, bpmn, what], log)
                theirs = last_json(log) | {"wall": wall, "mb": mb}
                result["conformance"] = {
                    "events": made["events"],
                    "process": process,
                    "ours": ours["pool"],
                    "one_process": ours["1"],
                    "pm4py": theirs,
                }
                print(result["conformance"], flush=True)
            db.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=1))
    if not args.no_write:
        write_section(section(result, args), BEGIN, END)


def section(r: dict, args: argparse.Namespace) -> str:
    """The benchmark's results as a markdown section."""
    d1, dn, c = r["discover_1x"], r["discover_copies"], r["conformance"]
    o, one, p = c["ours"], c["one_process"], c["pm4py"]
    ours_replay = o["replay_seconds"]
    lines = [
        BEGIN,
        "## Discovery and conformance",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} with `bench/bench_conformance.py`: a simulated "
        f"municipality of {args.rows:,} rows (seed 1), its biggest process ({d1['process']}, "
        f"{d1['events']:,} completed events) as the log. Seconds are timed inside each child; wall time "
        "includes Python's start and, for pm4py, reading the events into pandas.",
        "",
        "| discovery (IMf, noise 0.2) | events | variants | ours: from the variants mart | pm4py: whole log "
        "(+ its load) | peak memory ours / pm4py (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, d in (("the process", d1), (f"{args.copies} copies of it", dn)):
        lines.append(
            f"| {label} | {d['events']:,} | {d['ours']['variants']:,} | {d['ours']['seconds']:.2f} s | "
            f"{d['pm4py']['discover']:.1f} s (+ {d['pm4py']['load']:.1f} s) | "
            f"{d['ours']['mb']:.0f} / {d['pm4py']['mb']:.0f} |"
        )
    both = (one, o)
    lines += [
        "",
        f"Conformance of the {c['events']:,}-event log against the model ours discovered "
        f"({o['n_variants']:,} variants), ours run twice, each in its own child: the variants aligned in one "
        f"process, and by the pool of worker processes ({o['processes']}, one per usable core: the default):",
        "",
        f"| step | ours, one process | ours, {o['processes']} processes | pm4py, whole log |",
        "|---|---:|---:|---:|",
        "| token-based fitness | "
        + " | ".join(f"{x['replay_seconds']:.2f} s: {fmt(x['token_fitness'])}" for x in both)
        + f" | {p['token_replay']:.1f} s: {fmt(p['token_fitness'])} |",
        "| precision (ETConformance) | "
        + " | ".join(f"{x['precision_seconds']:.2f} s: {fmt(x['precision'])}" for x in both)
        + (f" | {p['precision_seconds']:.1f} s: {fmt(p['precision'])} |" if "precision" in p else " | not run |"),
        f"| alignments (budget {args.budget:g} s, most frequent variants first) | "
        + " | ".join(aligned(x) for x in both)
        + " | "
        + (f"{p['alignments']:.1f} s: {fmt(p['alignment_fitness'])} |" if "alignments" in p else "not run |"),
        "| token-based fitness and precision, read from and written to the warehouse (`build_conformance`, "
        "no time to align) | "
        + " | ".join(f"{x['fast']:.2f} s: {fmt(x['fast_fitness'])}, precision {fmt(x['fast_precision'])}" for x in both)
        + f" | {p['token_replay'] + p.get('precision_seconds', 0):.1f} s |",
        "| the first conformance (`build_conformance`, the whole check) | "
        + " | ".join(f"{x['seconds']:.1f} s" for x in both)
        + f" | {p['wall'] - p['load']:.1f} s (+ {p['load']:.1f} s reading the events) |",
        "| the next run against the same model (checked variants kept) | "
        + " | ".join(f"{x['again']:.1f} s" for x in both)
        + " | the same again |",
        "",
        f"Token replay of the variants is {p['token_replay'] / ours_replay:.0f}x faster than pm4py's whole-log token "
        f"replay, with fitness {abs(o['token_fitness'] - p['token_fitness']):.1e} apart; the whole check without "
        f"alignments, warehouse reads and writes included, is {p['token_replay'] / o['fast']:.0f}x faster than "
        f"pm4py's token replay alone (target: 10x). The pool aligned in "
        f"{o['alignment_seconds'] / one['alignment_seconds']:.0%} of one process's time, and the first conformance "
        f"took {o['seconds'] / one['seconds']:.0%} of it (target: at most half), with {o['cpu_seconds']:.1f} CPU "
        f"seconds against {one['cpu_seconds']:.1f} (load average as each began: {one['load']:.1f} one process, "
        f"{o['load']:.1f} the pool)"
        + (
            f"; alignment fitness {abs(o['alignment_fitness'] - p['alignment_fitness']):.1e} apart from pm4py's"
            if "alignments" in p and o["alignment_fitness"] is not None
            else ""
        )
        + f". Reported fitness: {o['fitness_method']}, {fmt(o['fitness'])}.",
        END,
    ]
    return "\n".join(lines)


def aligned(x: dict) -> str:
    """A run's alignments: seconds, how many variants and cases, and fitness when every variant was aligned."""
    return (
        f"{x['alignment_seconds']:.1f} s: {x['n_variants_aligned']:,} of {x['n_variants']:,} variants, "
        f"{x['share_cases_aligned']:.1%} of cases"
        + (f", fitness {fmt(x['alignment_fitness'])}" if x["fitness_method"] == "alignment" else "")
    )


def fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4f}"


if __name__ == "__main__":
    main()
