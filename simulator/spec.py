"""What a simulation makes: its size, period, seed, scenario and processes, checked before anything is written.

`TEMPLATES` names every process the simulated municipality can run; a spec picks some of them.
"""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from simulator.templates import byggesag, helhedsplan, pladsanvisning, sygedagpenge, visitation
from simulator.templates.common import ProcessTemplate
from vaerdistrom.errors import UsageError

TEMPLATES: dict[str, ProcessTemplate] = {
    t.key: t
    for t in (
        visitation.TEMPLATE,
        pladsanvisning.TEMPLATE,
        sygedagpenge.TEMPLATE,
        byggesag.TEMPLATE,
        helhedsplan.TEMPLATE,
    )
}
SCENARIOS = ("baseline", "improved")


class SimulationError(UsageError, ValueError):
    """A bad argument or an unusable output folder, said in one line."""


@dataclass(frozen=True)
class SimulationSpec:
    """What to simulate. Exactly one of `citizens` and `events` sets the size."""

    out: Path
    municipality: str = "Eksempel Kommune"
    citizens: int | None = None
    events: int | None = None
    start: dt.date = dt.date(2025, 1, 1)
    months: int = 12
    seed: int = 1
    scenario: str = "baseline"
    processes: tuple[str, ...] = tuple(TEMPLATES)
    deviations: bool = True

    @property
    def end(self) -> dt.date:
        """First day after the simulated period."""
        y, m = divmod(self.start.month - 1 + self.months, 12)
        year, month = self.start.year + y, m + 1
        return dt.date(year, month, min(self.start.day, pycal.monthrange(year, month)[1]))


def validate(spec: SimulationSpec) -> None:
    """Raise SimulationError (one line) for anything the run cannot do."""
    if (spec.citizens is None) == (spec.events is None):
        raise SimulationError("give exactly one of --citizens and --events")
    if spec.citizens is not None and not 1 <= spec.citizens <= 50_000_000:
        raise SimulationError(f"--citizens must be between 1 and 50,000,000, got {spec.citizens}")
    if spec.events is not None and not 100 <= spec.events <= 2_000_000_000:
        raise SimulationError(f"--events must be between 100 and 2,000,000,000, got {spec.events}")
    if not 1 <= spec.months <= 120:
        raise SimulationError(f"--months must be between 1 and 120, got {spec.months}")
    if not 1950 <= spec.start.year <= 2090:
        raise SimulationError(f"--start must be between 1950 and 2090, got {spec.start}")
    if spec.scenario not in SCENARIOS:
        raise SimulationError(f"unknown --scenario {spec.scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    unknown = [p for p in spec.processes if p not in TEMPLATES]
    if unknown:
        raise SimulationError(f"unknown process {', '.join(map(repr, unknown))}; choose from: {', '.join(TEMPLATES)}")
    if not spec.processes:
        raise SimulationError("--processes names no process")
    if not spec.municipality.strip():
        raise SimulationError("--municipality must not be empty")
    _check_out(spec.out)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SimulationError(f"--out {out} exists and is not a folder")
    if out.exists():
        entries = {p.name for p in out.iterdir()}
        if entries and not (out / "ground_truth" / "ground_truth.json").exists():
            raise SimulationError(f"--out {out} is not empty and holds no earlier simulation; choose an empty folder")
    probe = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    if not os.access(probe, os.W_OK | os.X_OK):
        raise SimulationError(f"--out {out} is not writable (no write permission on {probe})")
