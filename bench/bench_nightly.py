"""Benchmark the nightly run: a night with about 1% new rows against a full run, on a 1M-row municipality.

    .venv/bin/python bench/bench_nightly.py                      # about 6 minutes
    .venv/bin/python bench/bench_nightly.py --rows 200000 --no-write
    .venv/bin/python bench/bench_nightly.py --previous 5c05ee6   # and an earlier commit, side by side (12 minutes)

Input: a simulated municipality (--rows rows, seed 1). Each export file except the Excel
one is split in two files of the same format: the first 99% of its rows (yesterday's
export) and the last 1% (tonight's file); the config reads each source through a glob.
Measured, each in its own child process, with `flows.pipeline.run_night` (the steps the
Prefect flow runs, without Prefect's temporary server, which adds a constant 15-20 s):

- full: every file into an empty warehouse, mined from scratch, published;
- night: yesterday's files loaded and mined the night before; tonight only the new files
  are loaded, the marts brought up to date, the snapshot published.

With --previous REV, the same runs on the same files are measured with that commit's code too (a temporary git
worktree first on the children's PYTHONPATH), the versions taking turns, in one run.

Writes the 'Nightly run' section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_simulate import ROOT, machine, run_child, simulate_into, write_section  # noqa: E402

BEGIN, END = "<!-- nightly:begin -->", "<!-- nightly:end -->"
SHARE = 0.01

CHILD = r"""
import datetime as dt, json, os, sys, time
from pathlib import Path
from flows import pipeline
from warehouse.config import load_config
os.environ["VAERDISTROM_PSEUDONYM_KEY"] = "00" * 32
cfg, root = load_config(Path(sys.argv[1]) / "vaerdistrom.toml")
start = time.perf_counter()
r = pipeline.run_night(cfg, root, dt.datetime.fromisoformat(sys.argv[2]))
total = time.perf_counter() - start
import duckdb
con = duckdb.connect(str(root / cfg.warehouse), read_only=True)
checks = con.execute("select process, n_variants, n_variants_aligned, round(replay_seconds, 2), "
                     "round(precision_seconds, 2), round(alignment_seconds, 2) "
                     "from marts.conformance_models").fetchall()
con.close()
load = sum(s.seconds for s in r.sources)
mine = sum(r.seconds.values())
print(json.dumps({"total": total, "load": load, "mine": mine, "rest": total - load - mine, "status": r.status,
                  "rows_new": sum(s.rows["rows_new"] for s in r.sources),
                  "rows_read": sum(s.rows["rows_read"] for s in r.sources),
                  "slowest": sorted(r.seconds.items(), key=lambda kv: -kv[1])[:6], "conformance": checks}))
"""


def split(sim: Path, share: float) -> list[tuple[Path, Path]]:
    """Each export (not Excel) as <name>-1 (the first 1 - share of its rows) and <name>-2 (the rest), same format;
    the config's path becomes a glob over both. Returns the (yesterday, tonight) files."""
    import polars as pl

    config = sim / "vaerdistrom.toml"
    text = config.read_text(encoding="utf-8")
    pairs = []
    for line in [x for x in text.splitlines() if x.startswith("path = ")]:
        rel = line.split('"')[1]
        path = sim / rel
        if path.suffix == ".xlsx":
            continue
        first, second = path.with_name(f"{path.stem}-1{path.suffix}"), path.with_name(f"{path.stem}-2{path.suffix}")
        if path.suffix == ".parquet":
            df = pl.read_parquet(path)
            cut = int(len(df) * (1 - share))
            df.head(cut).write_parquet(first)
            df.slice(cut).write_parquet(second)
        else:
            lines = path.read_bytes().splitlines(keepends=True)
            header = 0 if path.suffix == ".jsonl" else 1
            cut = header + int((len(lines) - header) * (1 - share))
            first.write_bytes(b"".join(lines[:cut]))
            second.write_bytes(b"".join(lines[:header] + lines[cut:]))
        path.unlink()
        text = text.replace(line, f'path = "{Path(rel).parent / (path.stem + "-*" + path.suffix)}"')
        pairs.append((first, second))
    config.write_text(text, encoding="utf-8")
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--previous", help="an earlier commit measured the same way, side by side")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vaerdistrom-nightly-bench-"))
    child = work / "child.py"
    child.write_text(CHILD)
    log = work / "log.txt"
    py = sys.executable
    versions: dict[str, str | None] = {"this": None}
    if args.previous:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", args.previous], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.strip()
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(work / "previous"), rev], check=True, cwd=ROOT)
        versions[rev] = str(work / "previous")

    def run(folder: Path, night: dt.datetime, code: str | None) -> dict:
        env = dict(os.environ, **({"PYTHONPATH": code} if code else {}))
        saved = os.environ.copy()
        os.environ.clear()
        os.environ.update(env)
        try:
            wall, mb = run_child([py, str(child), str(folder), night.isoformat()], log)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return json.loads(log.read_text().splitlines()[-1]) | {"wall": wall, "mb": mb}

    try:
        sim = simulate_into(work, args.rows)
        pairs = split(sim, SHARE)
        night1, night2 = (dt.datetime(2026, 1, 10, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 11, 1, tzinfo=dt.UTC))
        result: dict = {"rows": args.rows, "versions": {label: {} for label in versions}}
        for label in versions:  # each version on its own copies of the same files
            shutil.copytree(sim, work / label / "full")
            shutil.copytree(sim, work / label / "days")
            for _, second in pairs:
                moved = work / label / "tonight" / second.relative_to(sim)
                moved.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(work / label / "days" / second.relative_to(sim), moved)
        # the versions take turns at each step, so what else the machine does weighs on both alike
        for step, folder, night in (("full", "full", night2), ("yesterday", "days", night1), ("night", "days", night2)):
            for label, code in versions.items():
                if step == "night":
                    for _, second in pairs:
                        rel = second.relative_to(sim)
                        shutil.move(work / label / "tonight" / rel, work / label / "days" / rel)
                result["versions"][label][step] = run(work / label / folder, night, code)
                print(label, step, round(result["versions"][label][step]["total"], 1), flush=True)
        result["load_average"] = os.getloadavg()[1]  # over the last 5 minutes: other work on the machine
        print(json.dumps(result, indent=1))
    finally:
        if args.previous:
            subprocess.run(["git", "worktree", "remove", "--force", str(work / "previous")], check=False, cwd=ROOT)
        shutil.rmtree(work, ignore_errors=True)
    if not args.no_write:
        write_section(section(result), BEGIN, END)


def section(r: dict) -> str:
    versions = r["versions"]
    this = versions["this"]
    share = this["night"]["rows_new"] / this["full"]["rows_new"]
    others = [v for v in versions if v != "this"]
    lines = [
        BEGIN,
        "## Nightly run",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} with `bench/bench_nightly.py"
        + (f" --previous {others[0]}" if others else "")
        + "`: a simulated "
        f"municipality of {r['rows']:,} rows (seed 1); every export but the Excel one split into yesterday's file "
        f"and tonight's ({share:.1%} of all rows new tonight). `flows.pipeline.run_night`, the steps of the "
        "Prefect flow without Prefect's temporary server (15-20 s more per run)."
        + (
            f" The same runs with commit {others[0]}'s code, on copies of the same files, in the same run, the two "
            "versions taking turns at each step."
            if others
            else ""
        )
        + (
            f" Load average over the last 5 minutes of the run: {r['load_average']:.1f}." if "load_average" in r else ""
        ),
        "",
        "| version | run | new rows | load (s) | mine (s) | record + publish (s) | total (s) | peak memory (MB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for version, runs in versions.items():
        name = "this version" if version == "this" else version
        for label, x in (
            ("full: every file, an empty warehouse", runs["full"]),
            ("night: tonight's files after last night's run", runs["night"]),
        ):
            lines.append(
                f"| {name} | {label} | {x['rows_new']:,} | {x['load']:.1f} | {x['mine']:.1f} | "
                f"{x['rest']:.1f} | {x['total']:.1f} | {x['mb']:.0f} |"
            )
    night, full = this["night"], this["full"]
    slow = ", ".join(f"{name} {sec:.1f} s" for name, sec in night["slowest"])
    lines += [
        "",
        f"The night costs {night['total'] / full['total']:.1%} of a full run (target: 10% or less). "
        f"Its slowest mining steps: {slow}.",
        END,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
