"""Run a simulated municipality and write its systems' exports and the ground truth.

Citizens arrive in time order (sorted uniform arrival times generated one at a time),
their cases start in time order through a small heap, and every finished case goes
straight to its system's export buffer: memory stays flat however many events are made.
The same seed gives byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from simulator import case_exports, contact_logs, exports
from simulator.config_snippet import config_toml
from simulator.contacts import Contact, ContactMaker
from simulator.engine import DAY, DST_HOUR, HOUR, OFFICE_SECONDS, OFFICE_START, Case, Citizen, Env, Event, PastHorizon
from simulator.model import to_bpmn
from simulator.people import Population, make_staff
from simulator.spec import TEMPLATES, SimulationSpec, validate
from simulator.templates.common import ProcessTemplate, Values, pick_weighted
from simulator.truth import ProcessTruth, jsonl
from vaerdistrom.calendar import WorkCalendar, day_number

GENERATOR_VERSION = 1
# Share of citizens by the service that brings them in [E]. Helhedsplan citizens also get a
# sickness-benefit case (T5 ties the departments) and sometimes a visitation case.
CITIZEN_MIX = {"visitation": 0.30, "pladsanvisning": 0.15, "sygedagpenge": 0.28, "byggesag": 0.20, "helhedsplan": 0.07}
P_SECOND_CASE = 0.10
P_T5_VISITATION = 0.30
OFFICE_STARTS = {"visitation", "helhedsplan"}  # cases opened by staff in office hours; others self-service
SYSTEM_DIRS = (
    "sbsys",
    "nexus",
    "momentum",
    "pladsanvisning",
    "telefoni",
    "digital_post",
    "borgerservice",
    "bpmn",
    "ground_truth",
)
CALIBRATION_CITIZENS = 2_000
STREETS = (
    "Åbakken",
    "Ærøvej",
    "Østergade",
    "Møllevej",
    "Skovbrynet",
    "Kirkestræde",
    "Søndergade",
    "Bøgevænget",
    "Højvangen",
    "Strandvejen",
    "Kærgårdsvej",
    "Lærkevej",
)


def sorted_uniforms(n: int, rng: random.Random):
    """n sorted uniform numbers in [0, 1), one at a time (order statistics by spacings)."""
    u = 0.0
    for k in range(n, 0, -1):
        u = u + (1.0 - u) * (1.0 - rng.random() ** (1.0 / k))
        yield min(u, 0.999_999_999)


@dataclass
class _State:
    """Everything one run carries from case to case."""

    spec: SimulationSpec
    env: Env
    values: dict[str, Values]
    population: Population
    contacts: ContactMaker
    on_case: Callable[[ProcessTemplate, Case, list[Event]], None]
    on_contact: Callable[[Contact], None]
    counters: dict[tuple[str, int], int] = field(default_factory=dict)
    year_of_day: dict[int, int] = field(default_factory=dict)


def _local_seconds(day: dt.date) -> int:
    return day_number(day) * DAY


def _build(spec: SimulationSpec, citizens: int, on_case, on_contact) -> tuple[_State, int]:
    rng = random.Random(f"vaerdistrom:{spec.seed}")
    people_rng = random.Random(f"vaerdistrom-people:{spec.seed}")
    calendar = WorkCalendar(spec.start - dt.timedelta(days=120), spec.end + dt.timedelta(days=6 * 366))
    taken: set[str] = set()
    staff: dict = {}
    for key in spec.processes:
        for pool, p in TEMPLATES[key].pools.items():
            if pool not in staff:
                count = max(p.minimum, round(p.per_thousand * citizens / 1000))
                staff[pool] = make_staff(people_rng, p.role, p.org_unit, count, taken)
    staff["borgerservice"] = make_staff(
        people_rng, "Borgerservicemedarbejder", "Borgerservice", max(3, round(citizens / 1000)), taken
    )
    env = Env(
        rng, calendar, _local_seconds(spec.start), _local_seconds(spec.end) - 1, staff, spec.scenario, spec.deviations
    )
    population = Population(people_rng, spec.start)
    env.newborn = population.born
    maker = ContactMaker(env, lambda: population.new(18, 90).cpr)
    values = {k: Values(TEMPLATES[k].params, spec.scenario) for k in spec.processes}
    return _State(spec, env, values, population, maker, on_case, on_contact), citizens


def _start_time(state: _State, process: str, t: int) -> int:
    """Move a raw arrival instant to when such a case can be opened."""
    env = state.env
    day = t // DAY
    if process in OFFICE_STARTS:
        day = env.calendar.add_working_days(day, 0)
        return day * DAY + OFFICE_START + int(env.rng.random() * OFFICE_SECONDS)
    tod = 6 * HOUR + int(env.rng.random() * 17 * HOUR)  # self-service: 06:00-23:00
    if DST_HOUR <= tod < DST_HOUR + HOUR:
        tod += HOUR
    return day * DAY + tod


def _run_case(state: _State, t0: int, process: str, citizen: Citizen) -> None:
    env, spec = state.env, state.spec
    tpl = TEMPLATES[process]
    t0 = _start_time(state, process, t0)
    if t0 > env.period_end:
        return
    year = (dt.date(1970, 1, 1) + dt.timedelta(days=t0 // DAY)).year
    n = state.counters[(process, year)] = state.counters.get((process, year), 0) + 1
    subtype = pick_weighted(env.rng, tpl.subtypes)
    attrs = {"subtype": subtype, "age": spec.start.year - citizen.birth_year}
    if process == "byggesag":
        attrs["title"] = f"{subtype}, {env.rng.choice(STREETS)} {env.rng.randint(1, 140)}"
    elif process == "helhedsplan":
        attrs["title"] = (
            f"Én plan – borger {citizen.cpr}" if env.rng.random() < 0.3 else "Helhedsorienteret indsats (Én plan)"
        )
    case = Case(env, process, tpl.case_id(n, year), citizen, t0, env.pick(tpl.owner_pool), attrs)
    with contextlib.suppress(PastHorizon):  # the case ran past the exported period: it stops, its events so far kept
        tpl.run(case, state.values[process])
    visible = case.visible_events()
    state.on_case(tpl, case, visible)
    found: list[Contact] = []
    state.contacts.for_case(case, tpl.contact_params(spec.scenario), found)
    for c in found:
        state.on_contact(c)


def _arrive(
    state: _State, t: int, mix: tuple[tuple[str, float], ...], push: Callable[[int, str, Citizen], None]
) -> None:
    """A citizen arriving at `t`, and the cases they will have: the service that brings them in (with the
    helhedsplan's sickness-benefit and visitation cases), and now and then a second case of another process."""
    env, spec = state.env, state.spec
    rng = env.rng
    primary = pick_weighted(rng, mix)
    lo, hi = TEMPLATES[primary].age_range
    citizen = state.population.new(lo, hi)
    if primary == "helhedsplan":
        if "sygedagpenge" in spec.processes:
            push(t, "sygedagpenge", citizen)
            push(t + int(rng.uniform(30, 90) * DAY), "helhedsplan", citizen)
        else:
            push(t, "helhedsplan", citizen)
        if rng.random() < P_T5_VISITATION:
            push(t + int(rng.uniform(0, 180) * DAY), "visitation", citizen)
    else:
        push(t, primary, citizen)
    if rng.random() < P_SECOND_CASE:
        age = spec.start.year - citizen.birth_year
        others = [
            k
            for k in spec.processes
            if k not in (primary, "helhedsplan") and TEMPLATES[k].age_range[0] <= age <= TEMPLATES[k].age_range[1]
        ]
        if others:
            push(t + int(rng.random() * (env.period_end - t)), rng.choice(others), citizen)


def _simulate(state: _State, citizens: int, progress: Callable[[int, int], None] | None) -> None:
    env, spec = state.env, state.spec
    rng = env.rng
    mix = tuple((k, w) for k, w in CITIZEN_MIX.items() if k in spec.processes)
    span = env.period_end - env.period_start
    heap: list[tuple[int, int, str, Citizen]] = []
    order = 0

    def push(t: int, process: str, citizen: Citizen) -> None:
        nonlocal order
        if t <= env.period_end and process in spec.processes:
            order += 1
            heapq.heappush(heap, (t, order, process, citizen))

    for i, u in enumerate(sorted_uniforms(citizens, rng)):
        t = env.period_start + int(u * span)
        while heap and heap[0][0] <= t:
            t0, _, process, citizen = heapq.heappop(heap)
            _run_case(state, t0, process, citizen)
        _arrive(state, t, mix, push)
        if progress and (i + 1) % 1000 == 0:
            progress(i + 1, citizens)
    while heap:
        t0, _, process, citizen = heapq.heappop(heap)
        _run_case(state, t0, process, citizen)
    if progress:
        progress(citizens, citizens)


def calibrate_citizens(spec: SimulationSpec) -> int:
    """Citizens needed for about `spec.events` exported rows (case events plus contacts).

    Runs the same simulation for a pilot population without writing anything.
    """
    pilot = replace(spec, citizens=CALIBRATION_CITIZENS, events=None, seed=spec.seed + 7919)
    rows = 0

    def count_case(tpl, case, visible):
        nonlocal rows
        rows += len(visible)

    def count_contact(c):
        nonlocal rows
        rows += 1

    state, n = _build(pilot, CALIBRATION_CITIZENS, count_case, count_contact)
    _simulate(state, n, None)
    per_citizen = rows / CALIBRATION_CITIZENS
    return max(1, round(spec.events / per_citizen))


def simulate(spec: SimulationSpec, progress: Callable[[int, int], None] | None = None) -> dict:
    """Write the exports, the BPMN files, the config snippet and the ground truth; return the truth."""
    validate(spec)
    citizens = spec.citizens if spec.citizens is not None else calibrate_citizens(spec)
    out = spec.out
    out.mkdir(parents=True, exist_ok=True)
    for name in SYSTEM_DIRS:
        exports.remove_tree(out / name)
    (out / "vaerdistrom.toml").unlink(missing_ok=True)
    tmp = out / ".spill"
    exports.remove_tree(tmp)
    (out / "ground_truth").mkdir()
    try:
        return _write_all(spec, citizens, out, tmp, progress)
    finally:
        exports.remove_tree(tmp)


def _write_all(spec: SimulationSpec, citizens: int, out: Path, tmp: Path, progress) -> dict:
    created = dt.datetime.combine(spec.end, dt.time(3, 0))  # the export's own timestamp: fixed, for determinism
    case_writers = {"sbsys": None, "nexus": None, "momentum": None, "pladsanvisning": None}
    makers = {
        "sbsys": case_exports.SbsysCsv,
        "nexus": case_exports.NexusJsonl,
        "momentum": case_exports.MomentumParquet,
        "pladsanvisning": lambda o: case_exports.PladsanvisningXlsx(o, created, tmp / "xlsx"),
    }
    for key in spec.processes:
        system = TEMPLATES[key].system
        if case_writers[system] is None:
            case_writers[system] = makers[system](out)
    spills = {s: contact_logs.ContactSpill(tmp, s) for s in ("telefoni", "digital_post", "borgerservice")}
    truths = {k: ProcessTruth(TEMPLATES[k], spec.scenario) for k in spec.processes}
    cases_fh = (out / "ground_truth" / "cases.jsonl").open("wb")

    def on_case(tpl: ProcessTemplate, case: Case, visible: list[Event]) -> None:
        case_writers[tpl.system].add(case, visible)
        cases_fh.write(jsonl(truths[tpl.key].add_case(case, visible)))

    def on_contact(c: Contact) -> None:
        spills[c.system].add(c)
        if c.process is not None:
            truths[c.process].add_contact(c)

    state, n = _build(spec, citizens, on_case, on_contact)
    try:
        _simulate(state, n, progress)
    finally:
        cases_fh.close()
        for w in case_writers.values():
            if w is not None:
                w.close()
    files = [w.info for w in case_writers.values() if w is not None]
    with (out / "ground_truth" / "contacts.jsonl").open("wb") as truth_fh:
        for system, cls in (
            ("telefoni", contact_logs.TelefoniCsv),
            ("digital_post", contact_logs.DigitalPostJsonl),
            ("borgerservice", contact_logs.BorgerserviceCsv),
        ):
            writer = cls(out, truth_fh)
            try:
                writer.write_batches(spills[system].sorted_batches())
            finally:
                writer.close()
            files.append(writer.info)
    (out / "bpmn").mkdir()
    for key in spec.processes:
        tpl = TEMPLATES[key]
        (out / "bpmn" / f"{key}.bpmn").write_text(to_bpmn(key, tpl.name_da, tpl.intended), encoding="utf-8")
    (out / "vaerdistrom.toml").write_text(config_toml(spec, [TEMPLATES[k] for k in spec.processes]), encoding="utf-8")
    truth = {
        "generator": {
            "name": "vaerdistrom simulate",
            "version": GENERATOR_VERSION,
            "seed": spec.seed,
            "municipality": spec.municipality,
            "scenario": spec.scenario,
            "start": spec.start.isoformat(),
            "end": spec.end.isoformat(),
            "months": spec.months,
            "citizens": citizens,
            "citizens_with_cases": citizens,
            "events_requested": spec.events,
            "processes": list(spec.processes),
            "deviations_injected": spec.deviations,
            "timezone": "Europe/Copenhagen",
        },
        "totals": {
            "rows": sum(f.rows for f in files),
            "case_events": sum(f.events for f in files),
            "contacts": sum(f.contacts for f in files),
            "cases": sum(f.cases for f in files),
        },
        "files": [f.as_json() for f in files],
        "processes": {k: t.as_json() for k, t in truths.items()},
        "truth_files": {"cases": "ground_truth/cases.jsonl", "contacts": "ground_truth/contacts.jsonl"},
    }
    exports.dump_json(out / "ground_truth" / "ground_truth.json", truth)
    return truth
