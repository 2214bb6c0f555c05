"""Benchmark mining: every mart of a 1M- and a 10M-event warehouse, with pm4py doing the same operations in the
same run.

    .venv/bin/python bench/bench_mine.py                       # 1M and 10M events (about 12 minutes)
    .venv/bin/python bench/bench_mine.py --sizes 200000        # a quick look

Input: a simulated municipality (300,000 rows) loaded into DuckDB, its events and contacts
copied with new case numbers and citizens until the size is reached or passed (so each copy has the
shape of a real municipality's year and no two cases are the same).

Ours, each in its own child process on the same warehouse file, in this order: (a) the sequence
from scratch (`event_sequence`: every event sorted once, numbered in its case, with the step that
follows it: the counterpart of pm4py's `format_dataframe`, which sorts by case and time);
(b) the operations pm4py does here, from scratch over that stored sequence (the directly-follows
graph with its performance, start and end activities, variants, rework with the activity instances
it counts); (c) `mining.build.build_all`: every mart from scratch, the sequence and the alignments
included; (d) the night after: the last day's events (held back) arrive as a new batch and every
mart is brought up to date. pm4py: the events read from the warehouse into pandas and
`pm4py.format_dataframe`d (its load), then `discover_dfg`, `discover_performance_dfg`,
`get_variants` and `get_rework_cases_per_activity` (its operations), timed inside the child. Wall
time of each child includes Python's start; peak memory from wait4. Writes the 'Mining' section
of docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import machine, run_child, simulate_into, size_args, write_section  # noqa: E402

BEGIN, END = "<!-- mine:begin -->", "<!-- mine:end -->"

MAKE = r"""
import os, sys
from pathlib import Path
from warehouse.config import load_config
from warehouse.load import load_all
from warehouse.migrations import connect
sys.path.insert(0, "bench")
from bench_simulate import COPY_EVENTS
sim, db, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
os.environ["VAERDISTROM_PSEUDONYM_KEY"] = "00" * 32
cfg, root = load_config(sim / "vaerdistrom.toml")
load_all(cfg.model_copy(update={"warehouse": db}), root)
con = connect(db)
have = con.execute("select count(*) from staging.events").fetchall()[0][0]
copies = -(-n // have)
con.execute("create table main.copy_of as select r.i from range(1, ?) as r(i)", [copies]).fetchall()
con.execute(COPY_EVENTS).fetchall()
con.execute("insert into staging.contacts select md5(k.contact_id::varchar || '-' || c.i)::uuid, k.source, k.ts, "
            "k.channel, k.direction, k.citizen_key || '-' || c.i, k.case_ref || '-' || c.i, k.org_unit, k.resource, "
            "k.duration_seconds, k.attributes, k.source_seq + c.i * 1000000000, k.batch_id "
            "from staging.contacts as k, main.copy_of as c").fetchall()
con.execute("drop table main.copy_of")
# the last day's events arrive in tonight's batch: held back now, loaded by the 'night' measurement
con.execute("create table main.tonight as select * from staging.events "
            "where ts > (select max(ts) - interval 1 day from staging.events)").fetchall()
con.execute("delete from staging.events where ts > (select max(ts) - interval 1 day from staging.events)").fetchall()
con.execute("checkpoint")
print(con.execute("select count(*) from staging.events").fetchall()[0][0] +
      con.execute("select count(*) from main.tonight").fetchall()[0][0])
"""

OURS = r"""
import sys, time, json
from warehouse.config import load_config
from warehouse.migrations import connect
from mining.build import build_all
from mining.engine import build
from mining.rules import write_rules
config, db, what = sys.argv[1:4]
cfg, root = load_config(config)
con = connect(db)
SAME = ["dfg", "dfg_endpoints", "variants", "rework"]  # with what they read; the stored sequence taken as built
if what == "night":  # tonight's batch arrives; the marts were built last night
    batch = con.execute("select nextval('meta.batch_ids')").fetchall()[0][0]
    con.execute("insert into meta.batches (batch_id, source, started_at, status) values (?, 'tonight', now(), 'done')",
                [batch])
    con.execute("insert into staging.events by name select * replace (? as batch_id) from main.tonight", [batch])
    n = con.execute("select count(*), count(distinct case_id) from main.tonight").fetchall()[0]
    print(json.dumps({"night_events": n[0], "night_cases": n[1]}))
if what in ("sequence", "same"):
    write_rules(con, dict(cfg.processes))
start = time.perf_counter()
if what == "sequence":
    seconds = build(con, ["event_sequence"], incremental=False)
elif what == "same":
    seconds = build(con, SAME, incremental=False, skip=frozenset({"event_sequence"}))
else:
    seconds = build_all(con, cfg, root, incremental=what == "night", after=lambda m: print("built", m, flush=True))
print(json.dumps({"total": time.perf_counter() - start, "steps": seconds}))
"""

PM4PY = r"""
import sys, time, json, duckdb, pm4py
db = sys.argv[1]
start = time.perf_counter()
con = duckdb.connect(db, read_only=True)
df = con.sql("select process || '|' || case_id as case_id, activity, ts, resource from staging.events "
             "where case_id is not null order by source, source_seq").df()
con.close()
df = pm4py.format_dataframe(df, case_id="case_id", activity_key="activity", timestamp_key="ts")
loaded = time.perf_counter()
steps = {}
for name, fn in [("dfg", pm4py.discover_dfg), ("performance_dfg", pm4py.discover_performance_dfg),
                 ("variants", pm4py.get_variants), ("rework", pm4py.get_rework_cases_per_activity)]:
    t = time.perf_counter()
    fn(df)
    steps[name] = time.perf_counter() - t
print(json.dumps({"load": loaded - start, "operations": time.perf_counter() - loaded, "steps": steps,
                  "events": len(df)}))
"""


def main() -> None:
    args = size_args(__doc__)
    sizes = args.sizes
    work = Path(tempfile.mkdtemp(prefix="vaerdistrom-mine-bench-"))
    py = sys.executable
    rows = []
    try:
        sim = simulate_into(work)
        for name, text in (("make.py", MAKE), ("ours.py", OURS), ("pm4py_ops.py", PM4PY)):
            (work / name).write_text(text)
        log = work / "log.txt"
        for n in sizes:
            db = work / f"w{n}.duckdb"
            run_child([py, str(work / "make.py"), str(sim), str(db), str(n)], log)
            events = int(log.read_text().split()[-1])
            config = str(sim / "vaerdistrom.toml")

            def ours(what: str, config: str = config, db: Path = db) -> tuple[dict, float]:
                seconds, mb = run_child([py, str(work / "ours.py"), config, str(db), what], log)
                lines = log.read_text().splitlines()
                return json.loads(lines[-1]) | (json.loads(lines[-2]) if what == "night" else {}), mb

            sequence, m_sequence = ours("sequence")  # the one sort, from scratch
            same, m_same = ours("same")  # pm4py's operations, from scratch over the stored sequence
            every, m_all = ours("all")  # every mart, from scratch (last night's build)
            night, m_night = ours("night")  # tonight's batch: every mart brought up to date
            s_pm, m_pm = run_child([py, str(work / "pm4py_ops.py"), str(db)], log)
            pm = json.loads(log.read_text().splitlines()[-1])
            rows.append(
                {
                    "events": events,
                    "sequence": sequence,
                    "same": same,
                    "all": every,
                    "night": night,
                    "pm4py": pm,
                    "ours_mb": max(m_sequence, m_same, m_all, m_night),
                    "pm4py_mb": m_pm,
                    "marts": len(every["steps"]) - 2,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
            db.unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = [
        "| events | pm4py: load (format_dataframe sorts) s | pm4py operations s | peak MB | ours: the sequence from "
        "scratch (one sort) s | ours: the same operations over it s | speed-up | ours: every mart from scratch s | "
        "of which the alignments s | tonight's batch: events (cases) | tonight: every mart s | tonight: the "
        "sequence and the same operations s | peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    same_names = ["event_sequence", "dfg", "dfg_endpoints", "variants", "activity_instances", "rework"]
    for r in rows:
        pm_ops = r["pm4py"]["operations"]
        night_same = sum(v for k, v in r["night"]["steps"].items() if k in same_names)
        table.append(
            f"| {r['events']:,} | {r['pm4py']['load']:.1f} | {pm_ops:.1f} | {r['pm4py_mb']:,.0f} | "
            f"{r['sequence']['total']:.1f} | {r['same']['total']:.2f} | {pm_ops / r['same']['total']:.1f}x | "
            f"{r['all']['total']:.1f} | {r['all']['steps'].get('conformance_variants', 0):.1f} | "
            f"{r['night']['night_events']:,} ({r['night']['night_cases']:,}) | {r['night']['total']:.1f} | "
            f"{night_same:.1f} | {r['ours_mb']:,.0f} |"
        )
    steps = [
        "| events | build | " + " | ".join(rows[-1]["all"]["steps"]) + " |",
        "|---:|---|" + "---:|" * len(rows[-1]["all"]["steps"]),
    ]
    for r in rows:
        for label, key in (("every mart", "all"), ("tonight", "night")):
            steps.append(
                f"| {r['events']:,} | {label} | " + " | ".join(f"{v:.2f}" for v in r[key]["steps"].values()) + " |"
            )
    section = "\n".join(
        [
            BEGIN,
            "## Mining",
            "",
            f"Measured {dt.date.today().isoformat()} on {machine()} with `bench/bench_mine.py`.",
            "A simulated municipality's year, copied with new case numbers and citizens up to the size; its last",
            "day's events are held back as tonight's batch. pm4py: `discover_dfg`, `discover_performance_dfg`,",
            "`get_variants`, `get_rework_cases_per_activity` on the events read from the warehouse into pandas and",
            "`format_dataframe`d (its load, which sorts by case and time, timed apart). Ours, each in a child",
            "process: the sequence from scratch (every event sorted once and numbered in its case: what the loads",
            "and nights keep up to date case by case, and what `format_dataframe` is to pm4py); the same operations",
            "from scratch over that stored sequence (DFG with performance and case counts, start and end",
            "activities, variants, the activity instances and rework); every mart from scratch (last night's",
            "build, the sequence and the alignments included); then tonight's batch arrives and every mart is",
            "brought up to date (the per-case marts for the touched cases only, the rest rebuilt). Seconds inside",
            "the child; peak memory of the largest child.",
            "",
            *table,
            "",
            "Seconds per step:",
            "",
            *steps,
            "",
            END,
        ]
    )
    print(section)
    if not args.no_write:
        write_section(section, BEGIN, END)


if __name__ == "__main__":
    main()
