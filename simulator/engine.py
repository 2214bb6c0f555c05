"""The case engine: a case walks through its process on the municipality's calendar.

Time inside the simulator is *local wall-clock seconds since 1970-01-01* (naive,
Europe/Copenhagen). Working-day arithmetic then needs no time-zone work in the inner
loop; exporters convert to each system's representation (naive local, offset, UTC)
at the end. No event is ever placed between 02:00 and 03:00 local time, so every
simulated instant exists exactly once in Europe/Copenhagen (no DST gaps or overlaps).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from math import log

from vaerdistrom.calendar import WorkCalendar

DAY = 86_400
WEEK_SECONDS = 7 * DAY
HOUR = 3_600
OFFICE_START = 8 * HOUR
OFFICE_SECONDS = 7 * HOUR + 30 * 60  # 08:00-15:30: when caseworkers act
DST_HOUR = 2 * HOUR  # 02:00-03:00 local is never used


class PastHorizon(Exception):
    """The case has run past the export horizon: nothing later can be exported, so it stops here."""


@dataclass(frozen=True, slots=True)
class Staff:
    """A named member of staff (or a system acting as a resource)."""

    name: str
    initials: str
    role: str
    org_unit: str


@dataclass(slots=True)
class Citizen:
    """A simulated citizen. `cpr` is generated and never a real person's number."""

    key: int
    cpr: str
    birth_year: int
    female: bool


@dataclass
class Env:
    """What every case shares: randomness, calendar, the export horizon, staff."""

    rng: random.Random
    calendar: WorkCalendar
    period_start: int  # local seconds
    period_end: int  # local seconds; events after this are not yet exported
    staff: dict[str, list[Staff]]  # pool name -> staff
    scenario: str
    deviations: bool = True
    newborn: Callable[[dt.date], Citizen] | None = None  # a new citizen born on a given day

    def pick(self, pool: str) -> Staff:
        """A random member of a staff pool."""
        return self.rng.choice(self.staff[pool])

    def other(self, pool: str, not_this: Staff) -> Staff:
        """A random member of a pool other than `not_this` (a redo needs another person)."""
        members = self.staff[pool]
        if len(members) == 1:
            return members[0]
        while True:
            s = self.rng.choice(members)
            if s is not not_this:
                return s

    def gamma(self, mean: float, shape: float = 2.0) -> float:
        """A positive duration with the given mean; larger `shape` means less spread.

        Whole-number shapes (all the templates use) are drawn as a sum of exponentials
        (the Erlang distribution), several times faster than `random.gammavariate`.
        """
        if mean <= 0:
            return 0.0
        k = int(shape)
        if k == shape and k <= 60:
            rnd = self.rng.random
            prod = 1.0
            for _ in range(k):
                prod *= 1.0 - rnd()
            return -log(prod) * mean / k
        return self.rng.gammavariate(shape, mean / shape)


@dataclass(slots=True)
class Event:
    """One emitted event of a case (lifecycle is 'start' or 'complete')."""

    ts: int
    activity: str
    lifecycle: str
    staff: Staff
    note: str | None = None
    minutes: float = 0.0  # hands-on time recorded with the complete event


@dataclass(slots=True)
class Wait:
    """A stretch of time in which the case waited, ending at the activity `to`."""

    start: int
    end: int
    frm: str
    to: str
    citizen_waits: bool | None  # True: the citizen waits for the municipality; False: the
    # municipality waits for the citizen or a third party; None: a planned interval (no one waits)


@dataclass
class Case:
    """One case's run: the template drives it with `wait_*` and `do`."""

    env: Env
    process: str
    case_id: str
    citizen: Citizen
    t: int
    owner: Staff
    attrs: dict = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    waits: list[Wait] = field(default_factory=list)
    deviations: list[tuple[str, str]] = field(default_factory=list)
    configured_waits: list[tuple[str, str, float, int]] = field(default_factory=list)
    deadline_at: int | None = None
    clock_started_at: int | None = None
    decided_at: int | None = None
    finished: bool = False
    _wait_from: int | None = None
    _wait_citizen: bool | None = True
    _wait_mean: float = 0.0
    _last: str = "(start)"

    # -- time -----------------------------------------------------------------
    def _working_time(self, day: int, fraction: float) -> int:
        return day * DAY + OFFICE_START + int(fraction * OFFICE_SECONDS)

    def _begin_wait(self, citizen_waits: bool | None, mean_days: float) -> None:
        if self._wait_from is None:
            self._wait_from = self.t
            self._wait_citizen = citizen_waits
            self._wait_mean = 0.0
        self._wait_mean += mean_days

    def wait_wd(self, mean: float, shape: float = 2.0, *, citizen_waits: bool = True, planned: bool = False) -> None:
        """Wait a gamma-distributed number of working days (mean `mean`), then act in office hours.

        `planned` marks an agreed interval (a follow-up months later): nobody waits, no one calls.
        """
        self._begin_wait(None if planned else citizen_waits, mean)
        w = self.env.gamma(mean, shape)
        n = int(w)
        frac = w - n
        day = self.t // DAY
        if n == 0:
            later = self.t + 300 + int(frac * 2 * HOUR)
            if later // DAY == day and self.env.calendar.is_working_day(day):
                tod = later % DAY
                if OFFICE_START <= tod < OFFICE_START + OFFICE_SECONDS:
                    self.t = later
                    return
                if tod < OFFICE_START:
                    self.t = max(self._working_time(day, frac), later)
                    return
            n = 1
        nd = self.env.calendar.add_working_days(day, n)
        self.t = max(self._working_time(nd, frac), self.t + 60)

    def wait_cd(
        self,
        mean: float,
        shape: float = 2.0,
        *,
        citizen_waits: bool = False,
        office: bool = False,
        planned: bool = False,
    ) -> None:
        """Wait a gamma-distributed number of calendar days; `office` snaps to office hours."""
        self._begin_wait(None if planned else citizen_waits, mean * 5 / 7)
        t = self.t + int(self.env.gamma(mean, shape) * DAY)
        if office:
            cal = self.env.calendar
            day, tod = divmod(t, DAY)
            if not cal.is_working_day(day) or tod >= OFFICE_START + OFFICE_SECONDS:
                nxt = cal.add_working_days(day, 1 if cal.is_working_day(day) else 0)
                t = self._working_time(nxt, self.env.rng.random())
            elif tod < OFFICE_START:
                t = self._working_time(day, self.env.rng.random())
        elif DST_HOUR <= t % DAY < DST_HOUR + HOUR:
            t += HOUR
        self.t = max(t, self.t + 60)

    def at_least(self, t: int, *, planned: bool = True) -> None:
        """Move the clock forward to `t` (a fixed appointment); by default a planned interval."""
        if t > self.t:
            self._begin_wait(None if planned else True, 0.0)
            self.t = t

    def _after_work(self, t: int, seconds: int) -> int:
        """`t` plus `seconds` of office time: work that does not fit today goes on the next working day."""
        cal = self.env.calendar
        while True:
            day, tod = divmod(t, DAY)
            end = OFFICE_START + OFFICE_SECONDS
            if not cal.is_working_day(day) or tod >= end:
                t = cal.add_working_days(day, 1 if cal.is_working_day(day) else 0) * DAY + OFFICE_START
                continue
            if tod < OFFICE_START:
                t = day * DAY + OFFICE_START
                continue
            if seconds <= end - tod:
                return t + seconds
            seconds -= end - tod
            t = day * DAY + end

    # -- events ---------------------------------------------------------------
    def do(
        self, activity: str, staff: Staff, *, minutes: float = 0.0, lifecycle: bool = False, note: str | None = None
    ) -> None:
        """Log `activity` now. With `lifecycle`, a start and a complete event `minutes` apart.

        Raises PastHorizon once the case passes the end of the exported period (the wait
        that led there is kept, so contacts up to the horizon are still made).
        """
        if self.events and self.t < self.events[-1].ts:
            raise AssertionError(f"time went backwards in {self.case_id} before {activity!r}")
        if self._wait_from is not None:
            self.waits.append(Wait(self._wait_from, self.t, self._last, activity, self._wait_citizen))
            self.configured_waits.append((self._last, activity, self._wait_mean, self.t - self._wait_from))
            self._wait_from = None
        if self.t > self.env.period_end:
            raise PastHorizon
        seconds = int(minutes * 60)
        if lifecycle:
            self.events.append(Event(self.t, activity, "start", staff, note))
            self.t = self._after_work(self.t, max(60, seconds)) if staff.role != "System" else self.t + 60
            self.events.append(Event(self.t, activity, "complete", staff, note, minutes))
        else:
            if seconds:
                self.t = self._after_work(self.t, seconds) if staff.role != "System" else self.t + seconds
            self.events.append(Event(self.t, activity, "complete", staff, note, minutes))
        self._last = activity

    def deviate(self, kind: str, activity: str) -> None:
        """Record an injected deviation from the intended process (truth for conformance)."""
        self.deviations.append((kind, activity))

    # -- deadlines --------------------------------------------------------------
    def start_clock(self, days: int, *, working_days: bool, at: int | None = None) -> None:
        """The statutory clock starts now (or at `at`); the deadline is the end of the last allowed day."""
        start = self.t if at is None else at
        self.clock_started_at = start
        day = start // DAY
        end_day = self.env.calendar.add_working_days(day, days) if working_days else day + days
        self.deadline_at = end_day * DAY + DAY - 1

    def stop_clock(self) -> None:
        """The decision the deadline is measured to has been made (first time only)."""
        if self.decided_at is None:
            self.decided_at = self.t

    def finish(self) -> None:
        """The process reached its end event."""
        self.finished = True

    # -- after the run ----------------------------------------------------------
    def visible_events(self) -> list[Event]:
        """Events up to the export horizon (later ones have not happened yet)."""
        end = self.env.period_end
        return [e for e in self.events if e.ts <= end]

    @property
    def closed(self) -> bool:
        """True when the case ended inside the exported period."""
        return self.finished and (not self.events or self.events[-1].ts <= self.env.period_end)


def rework_of(events: list[Event], planned: frozenset[str]) -> dict[str, dict[str, int]]:
    """Per activity: repeats (same resource again), redos (another resource), self-loops.

    Counts only complete events; activities repeated by design (`planned`) are left out.
    """
    out: dict[str, dict[str, int]] = {}
    last_by_activity: dict[str, Staff] = {}
    prev: str | None = None
    for e in events:
        if e.lifecycle != "complete":
            continue
        if e.activity in last_by_activity and e.activity not in planned:
            r = out.setdefault(e.activity, {"repeat": 0, "redo": 0, "self_loop": 0})
            r["repeat" if last_by_activity[e.activity] == e.staff else "redo"] += 1
            if prev == e.activity:
                r["self_loop"] += 1
        last_by_activity[e.activity] = e.staff
        prev = e.activity
    return out
