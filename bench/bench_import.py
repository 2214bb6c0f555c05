"""`vaerdistrom import` of a real-sized XES log against pm4py reading the same file, in the same run.

The log is the real help-desk log (../shared/data/real/helpdesk.xes.gz, 21,348 events) written
`--copies` times with the case ids made unique (24 copies: 512,352 events in 109,920 cases),
so its shape (attributes, trace lengths, activities) is a real one. Each measurement runs in a
fresh process, in turns, `--rounds` times; the median is reported:

- `vaerdistrom import FILE` in an empty folder: infer, write the config, load, mine every mart,
  record, publish (the whole command, as a user runs it);
- `pm4py.read_xes` alone: its default reader (rustxes, when installed, as it is with
  vaerdistrom) and its own Python reader (`variant="iterparse"`);
- `pm4py.read_xes` plus pm4py's four operations that vaerdistrom's marts answer too: DFG,
  performance DFG, variants, rework per activity.

Usage: python bench/bench_import.py [--copies 24] [--rounds 3] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "real" / "helpdesk.xes.gz"
PM4PY_READ = "import pm4py, sys; log = pm4py.read_xes(sys.argv[1]{variant}); print(len(log))"
PM4PY_FOUR = (
    "import pm4py, sys; log = pm4py.read_xes(sys.argv[1]); pm4py.discover_dfg(log); "
    "pm4py.discover_performance_dfg(log); pm4py.get_variants(log); "
    "pm4py.get_rework_cases_per_activity(log); print(len(log))"
)


def make_log(out: Path, copies: int) -> int:
    """The help-desk log written `copies` times, each copy's case ids suffixed; returns the events written."""
    with gzip.open(SOURCE, "rt", encoding="utf-8") as fh:
        text = fh.read()
    first = text.index("<trace")
    last = text.rindex("</trace>") + len("</trace>")
    traces = text[first:last]
    with out.open("w", encoding="utf-8") as fh:
        fh.write(text[:first])
        for i in range(copies):
            fh.write(re.sub(r'(<trace>\s*<string key="concept:name" value=")([^"]*)"', rf'\1\2-{i}"', traces))
        fh.write(text[last:])
    return text.count("<event") * copies


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    r = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env={**os.environ, "VAERDISTROM_PSEUDONYM_KEY": "ab" * 32}
    )
    if r.returncode != 0:
        raise SystemExit(f"{command[:3]} failed: {r.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=24)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_import_"))
    log = tmp / "helpdesk_x.xes"
    n_events = make_log(log, args.copies)
    runs: dict[str, list[float]] = {
        k: []
        for k in (
            "vaerdistrom import",
            "pm4py.read_xes (rustxes)",
            "pm4py.read_xes (iterparse)",
            "pm4py.read_xes + four operations",
        )
    }
    exe = [sys.executable, "-m", "flows.cli"]
    for r in range(args.rounds):
        folder = tmp / f"import_{r}"
        folder.mkdir()
        runs["vaerdistrom import"].append(timed(exe + ["import", str(log)], folder))
        runs["pm4py.read_xes (rustxes)"].append(
            timed([sys.executable, "-c", PM4PY_READ.format(variant=""), str(log)], tmp)
        )
        runs["pm4py.read_xes (iterparse)"].append(
            timed([sys.executable, "-c", PM4PY_READ.format(variant=", variant='iterparse'"), str(log)], tmp)
        )
        runs["pm4py.read_xes + four operations"].append(timed([sys.executable, "-c", PM4PY_FOUR, str(log)], tmp))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in runs.items()), flush=True)
    lines = [
        f"`bench/bench_import.py --copies {args.copies} --rounds {args.rounds}`: {n_events:,} events "
        f"({log.stat().st_size / 1e6:,.0f} MB of XES), {os.cpu_count()} cores, each run a fresh process, "
        "median of the rounds (all rounds in brackets).",
        "",
        "| run | seconds | rounds |",
        "|---|---:|---|",
    ]
    for k, v in runs.items():
        lines.append(f"| {k} | {statistics.median(v):.1f} | {', '.join(f'{x:.1f}' for x in v)} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        text = args.write.read_text(encoding="utf-8")
        section = "## Import of a real-sized XES log\n\n" + table + "\n"
        if "## Import of a real-sized XES log" in text:
            text = re.sub(r"## Import of a real-sized XES log\n.*?(?=\n## |\Z)", section, text, flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n" + section
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
