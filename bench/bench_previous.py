"""Benchmark a load against the previous version: the same files loaded by this checkout and by an earlier commit,
side by side in one run, so a change's cost (or gain) on the loader has a number.

    .venv/bin/python bench/bench_previous.py --previous 02f8e17            # 1M events per format (about 5 minutes)
    .venv/bin/python bench/bench_previous.py --previous HEAD~3 --sizes 200000 --no-write

Inputs as `bench_load.py` makes them (the ESDH CSV, the job centre's Parquet, its events as XES). The earlier
commit is checked out into a temporary git worktree and put first on PYTHONPATH for its children. Each load
runs in its own child process (wall time with Python's start, peak memory from wait4), into a fresh DuckDB
file, and checks every row is stored once. Writes the 'Load against the previous version' section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import MAKE, OURS, inputs  # noqa: E402
from bench_simulate import ROOT, machine, run_child, simulate_into, write_section  # noqa: E402

BEGIN, END = "<!-- previous:begin -->", "<!-- previous:end -->"


def timed_load(
    python: str, script: Path, config: str, name: str, path: Path, db: Path, log: Path, pythonpath: str | None
) -> tuple[float, float, int]:
    """(seconds, peak MB, rows) of one load in a child, with `pythonpath` first on its path (None: this checkout)."""
    saved = os.environ.get("PYTHONPATH")
    if pythonpath:
        os.environ["PYTHONPATH"] = pythonpath
    try:
        seconds, mb = run_child([python, str(script), config, name, str(path), str(db)], log)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    return seconds, mb, int(log.read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--previous", required=True, help="the earlier commit (any git revision)")
    parser.add_argument("--sizes", default="1000000", help="comma-separated event counts")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rev = subprocess.run(
        ["git", "rev-parse", "--short", args.previous], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="vaerdistrom-previous-bench-"))
    old = work / "previous"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old), rev], check=True, cwd=ROOT)
    py = sys.executable
    rows = []
    try:
        sim = simulate_into(work)
        (work / "ours.py").write_text(OURS)
        (work / "make.py").write_text(MAKE)
        for n in sizes:
            for label, kind, name, path in inputs(work, sim, n):
                config = "xes" if kind == "xes" else str(sim / "vaerdistrom.toml")
                now = timed_load(
                    py, work / "ours.py", config, name, path, work / f"{name}-{n}-now.duckdb", work / "log.txt", None
                )
                before = timed_load(
                    py,
                    work / "ours.py",
                    config,
                    name,
                    path,
                    work / f"{name}-{n}-before.duckdb",
                    work / "log.txt",
                    str(old),
                )
                assert now[2] == before[2], (label, now, before)
                rows.append((label, n, now, before))
                print(
                    f"{label:<28} {n:>10,}  this {now[0]:6.1f} s {now[1]:6.0f} MB   "
                    f"{rev} {before[0]:6.1f} s {before[1]:6.0f} MB",
                    flush=True,
                )
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old)], check=False, cwd=ROOT)
        shutil.rmtree(work, ignore_errors=True)
    if args.no_write:
        return
    lines = [
        BEGIN,
        "## Load against the previous version",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} with `bench/bench_previous.py --previous {rev}`: "
        f"the same files loaded by this version ({head}) and by {rev}, each in its own child process, "
        "alternately, in one run.",
        "",
        f"| format | events | this version s | peak MB | {rev} s | peak MB | this / {rev} |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, n, now, before in rows:
        lines.append(
            f"| {label} | {n:,} | {now[0]:.1f} | {now[1]:,.0f} | {before[0]:.1f} | {before[1]:,.0f} | "
            f"{now[0] / before[0]:.2f} |"
        )
    lines += ["", END]
    write_section("\n".join(lines), BEGIN, END)


if __name__ == "__main__":
    main()
