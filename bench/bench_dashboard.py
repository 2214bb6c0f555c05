"""Benchmark the dashboard in a real browser: how long a page interaction takes on a 10M-event snapshot.

    .venv/bin/python bench/bench_dashboard.py                 # about 15 minutes
    .venv/bin/python bench/bench_dashboard.py --copies 2 --no-write   # a quick look

Input: a simulated municipality of --rows rows (seed 1) after one nightly run, whose events,
cases and contacts are then copied --copies times over with new case numbers and citizens
(the copies repeat the municipality's variants), mined again whole and published. The
dashboard (`vaerdistrom dashboard`) serves that snapshot; Playwright drives Debian's chromium.

An interaction is timed from the browser's action until the app has drawn the whole page
(the run marker `dashboards.app` writes last). Interactions, in order: every page in both
languages by its address (a new session each: the first visit computes and caches what the
page reads), the same pages with a process and a period in the address (computed again from
the kept cases), and in-page changes: a process chosen in the sidebar, the process map's
overlay (frequency or waiting time), the language switch. Reported: p50, p95 and max over all of them, and per kind.

Writes the 'Dashboard' section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import machine, run_child, simulate_into, write_section  # noqa: E402

BEGIN, END = "<!-- dashboard:begin -->", "<!-- dashboard:end -->"
PAGES = ["overblik", "procesflow", "flaskehalse", "omarbejde", "henvendelser", "borgerrejse", "afvigelser",
         "sammenlign", "sager"]

MAKE = r"""
import datetime as dt, json, os, sys
from pathlib import Path
os.environ["VAERDISTROM_PSEUDONYM_KEY"] = "00" * 32
from flows import pipeline
from mining.build import build_all
from warehouse.config import load_config
from warehouse.migrations import connect
from warehouse.publish import publish
from mining.marts import MARTS
sim, copies = Path(sys.argv[1]), int(sys.argv[2])
cfg, root = load_config(sim / "vaerdistrom.toml")
pipeline.run_night(cfg, root, dt.datetime(2026, 1, 10, 1, tzinfo=dt.timezone.utc))
con = connect(root / cfg.warehouse, cfg.memory_limit)
con.execute("create or replace table main.copy_of as select r.i from range(1, ?) as r(i)", [copies])
con.execute("insert into staging.events by name select md5(e.event_id::varchar || '-' || c.i)::uuid as event_id, "
            "e.case_id || '-' || c.i as case_id, e.citizen_key || '-' || c.i as citizen_key, "
            "e.source_seq + c.i * 1000000000 as source_seq, e.* exclude (event_id, case_id, citizen_key, source_seq) "
            "from staging.events as e, main.copy_of as c")
con.execute("insert into staging.cases by name select c.case_id || '-' || k.i as case_id, "
            "c.citizen_key || '-' || k.i as citizen_key, c.* exclude (case_id, citizen_key) "
            "from staging.cases as c, main.copy_of as k")
con.execute("insert into staging.contacts by name select md5(x.contact_id::varchar || '-' || k.i)::uuid as "
            "contact_id, x.citizen_key || '-' || k.i as citizen_key, x.case_ref || '-' || k.i as case_ref, "
            "x.source_seq + k.i * 1000000000 as source_seq, x.* exclude (contact_id, citizen_key, case_ref, "
            "source_seq) from staging.contacts as x, main.copy_of as k")
con.execute("drop table main.copy_of")
build_all(con, cfg, root, incremental=False)
publish(con, root / cfg.nightly.published, per_case=frozenset(m for m, x in MARTS.items() if x.per_case))
events = con.execute("select count(*) from staging.events").fetchall()[0][0]
cases = con.execute("select count(*) from marts.case_variants").fetchall()[0][0]
con.close()
print(json.dumps({"events": events, "cases": cases}))
"""


def _serve(config: Path, port: int) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("vaerdistrom")
    proc = subprocess.Popen([str(exe), "dashboard", "--config", str(config), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the dashboard did not start")
            time.sleep(0.5)


def measure(url: str, processes: list[str], first: dt.date, last: dt.date) -> list[dict]:
    """Every interaction's seconds, from the browser's action to the page's run marker."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})

        def timed(kind: str, what: str, action, run: int) -> None:
            start = time.perf_counter()
            action()
            page.wait_for_selector(f"#vaerdistrom-run-{run}", state="attached", timeout=600_000)
            out.append({"kind": kind, "what": what, "seconds": time.perf_counter() - start})
            print(kind, what, round(out[-1]["seconds"], 2), flush=True)

        middle = first + (last - first) / 2
        for lang in ("da", "en"):
            for side in PAGES:
                timed("open a page", f"{side} ({lang})", lambda: page.goto(f"{url}/?side={side}&lang={lang}"), 1)
        for side in PAGES:
            query = f"side={side}&lang=da&process={processes[0]}&from={first}&to={middle}"
            timed("filtered by address", f"{side}: {processes[0]}, {first}..{middle}",
                  lambda: page.goto(f"{url}/?{query}"), 1)
        page.goto(f"{url}/?side=overblik&lang=da")
        page.wait_for_selector("#vaerdistrom-run-1", state="attached", timeout=600_000)
        run = 1
        for process in processes[1:4]:
            def choose() -> None:
                page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
                page.get_by_role("option", name=process).click()
            run += 1
            timed("in the page", f"process {process} chosen in the sidebar", choose, run)
        run += 1
        timed("in the page", "language switched", lambda: page.get_by_text("English", exact=True).click(), run)
        run += 1
        timed("in the page", "to Procesflow", lambda: page.locator("[data-testid='stSidebar']").get_by_text(
            "Process flow", exact=True).click(), run)
        for label in ("Waiting time (median)", "Frequency", "Waiting time (median)"):
            run += 1
            timed("in the page", f"process map: {label.lower()}",
                  lambda: page.get_by_text(label, exact=True).click(), run)
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the simulated municipality")
    parser.add_argument("--copies", type=int, default=10, help="copies of its events, cases and contacts")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vaerdistrom-dashboard-bench-"))
    log = work / "log.txt"
    try:
        sim = simulate_into(work, args.rows)
        script = work / "make.py"
        script.write_text(MAKE)
        seconds, _ = run_child([sys.executable, str(script), str(sim), str(args.copies)], log)
        made = json.loads(log.read_text().splitlines()[-1]) | {"seconds": seconds}
        print(made, flush=True)
        import duckdb

        con = duckdb.connect(str(sim / "published" / "vaerdistrom.duckdb"), read_only=True)
        processes = [p for (p,) in con.execute("select process from marts.case_variants group by 1 "
                                               "order by count(*) desc").fetchall()]
        first, last = con.execute("select min(started_at), max(ended_at) from marts.case_variants").fetchall()[0]
        size = os.path.getsize(sim / "published" / "vaerdistrom.duckdb")
        con.close()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = _serve(sim / "vaerdistrom.toml", port)
        try:
            timings = measure(f"http://127.0.0.1:{port}", processes, first.date(), last.date())
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"made": made, "snapshot_mb": size / 2**20, "timings": timings, "rows": args.rows,
              "copies": args.copies}
    print(json.dumps(result, indent=1))
    if not args.no_write:
        write_section(section(result), BEGIN, END)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def section(r: dict) -> str:
    t = r["timings"]
    all_s = [x["seconds"] for x in t]
    lines = [BEGIN, "## Dashboard", "",
             f"Measured {dt.date.today().isoformat()} on {machine()} with `bench/bench_dashboard.py`: a simulated "
             f"municipality of {r['rows']:,} rows (seed 1) copied {r['copies']} times over, "
             f"{r['made']['events']:,} events in {r['made']['cases']:,} cases, mined and published "
             f"({r['snapshot_mb']:,.0f} MB snapshot). `vaerdistrom dashboard` in Debian's chromium (Playwright); an "
             "interaction is timed from the action until the app has drawn the whole page.", "",
             "| interactions | n | p50 (s) | p95 (s) | max (s) |", "|---|---:|---:|---:|---:|"]
    kinds = list(dict.fromkeys(x["kind"] for x in t))
    for kind in kinds + ["all"]:
        s = all_s if kind == "all" else [x["seconds"] for x in t if x["kind"] == kind]
        lines.append(f"| {kind} | {len(s)} | {statistics.median(s):.2f} | {_p(s, 0.95):.2f} | {max(s):.2f} |")
    slow = sorted(t, key=lambda x: -x["seconds"])[:5]
    lines += ["", f"p95 over all interactions: {_p(all_s, 0.95):.2f} s (target: 1 s or less). Slowest: "
              + ", ".join(f"{x['what']} {x['seconds']:.1f} s" for x in slow) + ".", END]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
