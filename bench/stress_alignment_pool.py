"""Stress check of the alignment pool: many calls with tiny budgets while busy loops crowd the cores; none may hang.

    nice -n 19 .venv/bin/python bench/stress_alignment_pool.py               # 30 calls beside 4 busy loops
    nice -n 19 .venv/bin/python bench/stress_alignment_pool.py --runs 5 --busy 0

The receipt log (../shared/data/real/receipt_wabo.xes.gz) against nets pm4py's IMf discovered from it (noise
0.2: about 50 s to align its 116 variants in one process, a few variants a second; noise 0.5: about 2 s, chunks
answered and handed out all the time), aligned by two workers with budgets of 0.05-1 s, grace periods of 0-1 s
and 0-1 s for a worker to exit when told: some calls end with every worker answering and exiting, others with
workers terminated (then killed) wherever they are: searching, answering or exiting. Each call is guarded by
SIGALRM: a call that has not returned in --hang seconds is a hang and stops the check. Prints one line a call and
a summary; exit code 1 on a hang or a worker left behind.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import signal
import subprocess
import sys
import time
from multiprocessing.process import BaseProcess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mining import alignment_pool  # noqa: E402
from mining.conformance_checks import variant_check  # noqa: E402

LOG = ROOT.parent / "shared" / "data" / "real" / "receipt_wabo.xes.gz"
BUSY = "while True: pass"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--busy", type=int, default=4, help="busy Python loops beside the pool")
    parser.add_argument("--hang", type=int, default=60, help="seconds after which a call counts as hanging")
    args = parser.parse_args()
    import pm4py

    log = pm4py.read_xes(str(LOG))
    counts = pm4py.get_variants(log)
    keys = sorted(counts, key=lambda v: (-counts[v], v))
    checks = {}
    for noise in (0.2, 0.5):
        check = variant_check(*pm4py.discover_petri_net_inductive(log, noise_threshold=noise))
        assert check is not None
        checks[noise] = check
    terminated = [0]
    terminate = BaseProcess.terminate

    def counted(self: BaseProcess) -> None:
        terminated[0] += 1
        terminate(self)

    BaseProcess.terminate = counted  # type: ignore[method-assign]

    def ring(signum, frame):
        raise TimeoutError(f"a call still running after {args.hang} s: hangs")

    signal.signal(signal.SIGALRM, ring)
    rng = random.Random(1)
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(args.busy)]
    failed = False
    try:
        time.sleep(1)
        for run in range(args.runs):
            noise, budget, grace = (
                rng.choice([0.2, 0.5]),
                rng.choice([0.05, 0.2, 0.5, 1.0]),
                rng.choice([0.0, 0.01, 0.2, 1.0]),
            )
            alignment_pool.GRACE_SECONDS, alignment_pool.STOP_SECONDS = grace, rng.choice([0.0, 0.01, 1.0])
            before = terminated[0]
            signal.alarm(args.hang)
            start = time.monotonic()
            found = alignment_pool.align_in_pool(checks[noise], keys, time.monotonic() + budget, 2)
            seconds = time.monotonic() - start
            signal.alarm(0)
            left = multiprocessing.active_children()
            failed |= bool(left)
            stop = alignment_pool.STOP_SECONDS
            print(
                f"run {run + 1:2}: IMf {noise}, budget {budget:4} s, grace {grace:4} s, stop {stop:4} s: "
                f"{len(found):3} of {len(keys)} variants aligned in {seconds:5.2f} s, "
                f"{terminated[0] - before} worker(s) terminated" + (f", {len(left)} left behind" if left else ""),
                flush=True,
            )
    except TimeoutError as e:
        print(e, flush=True)
        failed = True
    finally:
        for p in busy:
            p.kill()
            p.wait()
    print(f"{'FAILED' if failed else 'ok'}: {args.runs} calls beside {args.busy} busy loops, no hang")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
