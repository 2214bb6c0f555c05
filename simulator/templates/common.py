"""What every process template declares: parameters, deadline, staff, intended process.

Parameters carry where their value comes from: `S` sourced (a municipality, a law
or an agency; see ../shared/design/municipal-processes.md) or `E` an estimate used
as a default. Each has a baseline value and, where the improvement changes it, the
value in the `improved` scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.contacts import ContactParams
from simulator.engine import Case, Staff
from simulator.model import Node


@dataclass(frozen=True)
class Param:
    """One tunable figure of a template."""

    baseline: float
    improved: float | None = None  # None: the same in both scenarios
    source: str = "E"  # "S" sourced, "E" estimate
    unit: str = ""
    note: str = ""

    def value(self, scenario: str) -> float:
        if scenario == "improved" and self.improved is not None:
            return self.improved
        return self.baseline


class Values:
    """A template's parameters resolved for one scenario, read as attributes (`v.queue_wd`)."""

    def __init__(self, params: dict[str, Param], scenario: str) -> None:
        for name, p in params.items():
            setattr(self, name, p.value(scenario))


@dataclass(frozen=True)
class Deadline:
    """The published processing deadline (sagsbehandlingsfrist) of a service."""

    days: int
    working_days: bool
    from_activity: str
    to_activity: str
    label_da: str
    label_en: str
    source: str = "S"
    from_column: bool = False  # True: `from_activity` names a per-case date column, not an activity


@dataclass(frozen=True)
class Pool:
    """A group of staff: role, org unit, and how many per 1,000 citizens served (at least `minimum`)."""

    role: str
    org_unit: str
    per_thousand: float
    minimum: int = 1


@dataclass(frozen=True)
class ProcessTemplate:
    """A municipal service: how a case runs, who works on it, what was intended."""

    key: str
    code: str
    name_da: str
    name_en: str
    system: str
    intended: Node
    params: dict[str, Param]
    contacts: ContactParams
    contacts_improved: ContactParams
    deadline: Deadline
    bottleneck: tuple[str, str]
    pools: dict[str, Pool]
    owner_pool: str
    age_range: tuple[int, int]
    subtypes: tuple[tuple[str, float], ...]
    run: Callable[[Case, Values], None]
    planned_repeats: frozenset[str] = field(default_factory=frozenset)
    case_id: Callable[[int, int], str] = lambda n, year: f"{n}"
    rules: tuple[dict[str, object], ...] = ()  # rules the municipality checks its cases against (config `rules`)

    def contact_params(self, scenario: str) -> ContactParams:
        return self.contacts_improved if scenario == "improved" else self.contacts


# Ankestyrelsen 2022, social area: upheld 62.5 %, sent back 28.5 %, changed or annulled 9.0 % [S]
ANKESTYRELSEN = (("Stadfæstet", 0.625), ("Hjemvist", 0.285), ("Ændret", 0.090))


def complaint(
    c: Case, decider_pool: str, *, p_changed: float, reconsider_wd: float, ankestyrelsen_cd: float, system: Staff
) -> bool:
    """Complaint after a refusal: reconsideration, then Ankestyrelsen. Returns True if granted in the end.

    A changed decision at reconsideration, or a remand from Ankestyrelsen, means the
    decision is made again (rework on 'Afgørelse truffet').
    """
    env, rng = c.env, c.env.rng
    c.wait_cd(rng.uniform(3, 27), citizen_waits=False)
    c.do("Klage modtaget", system)
    c.wait_wd(reconsider_wd)
    changed = rng.random() < p_changed
    c.do("Genvurdering", c.owner, minutes=60, note="Ændret" if changed else "Fastholdt")
    if changed:
        c.wait_wd(2)
        c.do("Afgørelse truffet", c.owner, minutes=45, lifecycle=True, note="Bevilget efter genvurdering")
        c.do("Afgørelse sendt", system, minutes=1)
        return True
    c.wait_wd(3)
    c.do("Sendt til Ankestyrelsen", c.owner, minutes=20)
    c.wait_cd(ankestyrelsen_cd, 3.0, citizen_waits=True, office=True)
    u = rng.random()
    outcome = ANKESTYRELSEN[-1][0]
    for name, share in ANKESTYRELSEN:
        u -= share
        if u < 0:
            outcome = name
            break
    c.do("Ankestyrelsens afgørelse modtaget", system, note=outcome)
    if outcome == "Stadfæstet":
        return False
    if outcome == "Hjemvist":
        c.wait_wd(10)
        who = env.other(decider_pool, c.owner)
        granted = rng.random() < 0.5
        c.do(
            "Afgørelse truffet",
            who,
            minutes=45,
            lifecycle=True,
            note="Bevilget efter hjemvisning" if granted else "Afslag efter hjemvisning",
        )
        c.do("Afgørelse sendt", system, minutes=1)
        return granted
    return True


def pick_weighted(rng, choices: tuple[tuple[str, float], ...]) -> str:
    """One name from (name, weight) pairs."""
    u = rng.random() * sum(w for _, w in choices)
    for name, w in choices:
        u -= w
        if u < 0:
            return name
    return choices[-1][0]
