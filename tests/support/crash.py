"""A night run in a process of its own that SIGKILLs itself at a chosen step, as a power cut would: the crash
tests' child. Production code has no kill points; this hands `run_night` a step hook that kills.

    python tests/support/crash.py ROOT NOW [STEP]

ROOT: the municipality's folder (its `vaerdistrom.toml`); NOW: the run's time (ISO 8601); STEP, one of `STEPS`:
where to die; none: the night runs whole.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from flows.pipeline import StepHook, no_step, run_night
from warehouse.config import load_config

STEPS = {  # where the crash tests stop a night: a step the night reports, and how many before it must have come
    "load:rows": ("load:rows", "load:file", 1),  # in the middle of a file, once another file of the run was stored
    "mine:marts": ("mine:", "mine:", 5),  # once the fifth mart is built
    "publish:written": ("publish:written", "publish:written", 1),  # the snapshot written, not yet swapped in
}


def killing_at(step: str) -> StepHook:
    """A step hook that SIGKILLs this process at `step` (a key of `STEPS`)."""
    prefix, counted, needed = STEPS[step]
    seen: Counter = Counter()

    def on_step(name: str) -> None:
        seen[counted] += name.startswith(counted)
        if name.startswith(prefix) and seen[counted] >= needed:
            os.kill(os.getpid(), signal.SIGKILL)

    return on_step


def main(root: Path, now: str, step: str | None = None) -> None:
    cfg, base = load_config(root / "vaerdistrom.toml")
    run_night(cfg, base, dt.datetime.fromisoformat(now), on_step=killing_at(step) if step else no_step)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], *sys.argv[3:])
