"""Where one machine ends: a municipality of 10M and 30M events on this machine (time, memory, disk).

    .venv/bin/python bench/bench_scale.py                       # 10M and 30M events (about 40 minutes)
    .venv/bin/python bench/bench_scale.py --sizes 1000000       # a quick look

Input: the mining benchmark's (`bench/bench_mine.py`): a simulated municipality's year copied with new case numbers
and citizens up to the size, its last day held back as tonight's batch. Each step runs in its own child process on
the same warehouse file, timed from outside (wall time, peak resident memory from wait4) while the parent samples,
every half second, the bytes on disk: the warehouse file and DuckDB's spill files beside it (`<file>.tmp/`).

Steps: the events as loaded (the disk they take); every mart from scratch (`mining.build.build_all`: the first
import, `mine --full`); tonight's batch (every mart brought up to date). pm4py is not run here: at 10M events it
holds 6.5 GB (docs/benchmarks.md), at 30M it would need about three times that. Writes the 'Measured' section of
docs/scale.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mine import MAKE, OURS  # noqa: E402
from bench_simulate import ROOT, machine, run_child, simulate_into, size_args, write_section  # noqa: E402

BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"
DOC = ROOT / "docs" / "scale.md"


def disk_bytes(db: Path) -> int:
    """The warehouse file, its write-ahead log and DuckDB's spill files beside it, in bytes."""
    paths = [db, db.with_name(db.name + ".wal")]
    spill = db.with_name(db.name + ".tmp")
    with contextlib.suppress(OSError):  # the spill folder removed while we looked
        paths += [p for p in spill.rglob("*") if p.is_file()]
    total = 0
    for p in paths:
        with contextlib.suppress(OSError):  # a spill file removed while we looked
            total += p.stat().st_size
    return total


class DiskPeak:
    """The most bytes `disk_bytes(db)` showed while the block ran (sampled every half second)."""

    def __init__(self, db: Path) -> None:
        self.db, self.peak, self._stop = db, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, disk_bytes(self.db))

    def __enter__(self) -> DiskPeak:
        self.peak = disk_bytes(self.db)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, disk_bytes(self.db))


def failure(log: str) -> str:
    """What stopped a step: the mart it was building and DuckDB's error, from the child's output."""
    built = [line.split()[1] for line in log.splitlines() if line.startswith("built ")]
    error = next((line for line in reversed(log.splitlines()) if "Error" in line), "failed")
    return f"after {built[-1] if built else 'the start'}: {error.strip()[:160]}"


def main() -> None:
    args = size_args(__doc__)
    if args.sizes == [1_000_000, 10_000_000]:  # size_args' default: this benchmark's is 10M and 30M
        args.sizes = [10_000_000, 30_000_000]
    work = Path(tempfile.mkdtemp(prefix="vaerdistrom-scale-bench-"))
    py = sys.executable
    rows = []
    try:
        sim = simulate_into(work)
        (work / "make.py").write_text(MAKE)
        (work / "ours.py").write_text(OURS)
        log = work / "log.txt"
        config = str(sim / "vaerdistrom.toml")
        for n in args.sizes:
            db = work / f"w{n}.duckdb"
            make_s, make_mb = run_child([py, str(work / "make.py"), str(sim), str(db), str(n)], log)
            events = int(log.read_text().split()[-1])
            loaded = disk_bytes(db)
            steps = {}
            for what in ("all", "night"):
                with DiskPeak(db) as disk:
                    try:
                        seconds, mb = run_child([py, str(work / "ours.py"), config, str(db), what], log)
                    except SystemExit:  # where one machine ends: say how, and measure no further at this size
                        steps[what] = {"failed": failure(log.read_text()), "disk_peak": disk.peak}
                        break
                lines = log.read_text().splitlines()
                steps[what] = {
                    "seconds": seconds,
                    "mb": mb,
                    "disk_peak": disk.peak,
                    "disk_after": disk_bytes(db),
                    "steps": json.loads(lines[-1])["steps"],
                }
                if what == "night":
                    steps[what] |= json.loads(lines[-2])
            rows.append({"events": events, "loaded_bytes": loaded, "make_s": make_s, "make_mb": make_mb} | steps)
            print(json.dumps(rows[-1]), flush=True)
            db.unlink(missing_ok=True)
            shutil.rmtree(db.with_name(db.name + ".tmp"), ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    gb = 1024**3
    table = [
        "| events | the events on disk GB | every mart from scratch s | peak memory MB | peak disk GB (with spill) | "
        "warehouse after GB | tonight: events | tonight s | tonight peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "failed" in r["all"]:
            table.append(
                f"| {r['events']:,} | {r['loaded_bytes'] / gb:.2f} | failed {r['all']['failed']} | | "
                f"{r['all']['disk_peak'] / gb:.2f} | | | | |"
            )
            continue
        a, t = r["all"], r["night"]
        tonight = (
            f"{t['night_events']:,} | {t['seconds']:.0f} | {t['mb']:,.0f}"
            if "failed" not in t
            else f"| failed {t['failed']} |"
        )
        table.append(
            f"| {r['events']:,} | {r['loaded_bytes'] / gb:.2f} | {a['seconds']:.0f} | {a['mb']:,.0f} | "
            f"{a['disk_peak'] / gb:.2f} | {a['disk_after'] / gb:.2f} | {tonight} |"
        )
    done = [r for r in rows if "steps" in r["all"]]
    biggest = sorted(done[-1]["all"]["steps"].items(), key=lambda kv: -kv[1])[:8] if done else []
    slow = [
        "| events | " + " | ".join(k for k, _ in biggest) + " |",
        "|---:|" + "---:|" * len(biggest),
    ]
    for r in done:
        cells = " | ".join(f"{r['all']['steps'].get(k, 0):.1f}" for k, _ in biggest)
        slow.append(f"| {r['events']:,} | {cells} |")
    section = "\n".join(
        [
            BEGIN,
            f"Measured {dt.date.today().isoformat()} on {machine()} with `bench/bench_scale.py` (DuckDB's memory",
            "limit as configured, 2 GB by default; it spills to disk beyond it). Wall seconds of each child, Python's",
            "start included; peak resident memory from wait4; disk sampled every half second.",
            "",
            *table,
            "",
            "The slowest marts of every mart from scratch, seconds:",
            "",
            *slow,
            "",
            END,
        ]
    )
    print(section)
    if not args.no_write:
        write_section(section, BEGIN, END, DOC)


if __name__ == "__main__":
    main()
