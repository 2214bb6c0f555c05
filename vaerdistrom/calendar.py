"""Danish public holidays and working days.

Deadlines in Danish public administration are counted in calendar days or in
working days (arbejdsdage). A working day is Monday to Friday that is neither an
official public holiday (helligdag) nor, by default, one of the days municipal
offices close under the collective agreements: Grundlovsdag (5 June), Juleaftensdag
(24 December) and Nytårsaftensdag (31 December). Store bededag was abolished as a
public holiday from 2024 (lov nr. 140 af 28. februar 2023).

The calendar is used by the simulator (when a caseworker can act) and by the
mining of deadlines, so both count working days the same way.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass, field

EPOCH = dt.date(1970, 1, 1)
STORE_BEDEDAG_LAST_YEAR = 2023


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def danish_holidays(year: int, *, closing_days: bool = True) -> dict[dt.date, str]:
    """Official Danish public holidays of `year` (date -> Danish name).

    With `closing_days` (the default), also the days municipal offices close:
    Grundlovsdag, Juleaftensdag and Nytårsaftensdag.
    """
    easter = easter_sunday(year)

    def from_easter(days: int) -> dt.date:
        return easter + dt.timedelta(days=days)

    days = {
        dt.date(year, 1, 1): "Nytårsdag",
        from_easter(-3): "Skærtorsdag",
        from_easter(-2): "Langfredag",
        easter: "Påskedag",
        from_easter(1): "2. påskedag",
        from_easter(39): "Kristi himmelfartsdag",
        from_easter(49): "Pinsedag",
        from_easter(50): "2. pinsedag",
        dt.date(year, 12, 25): "Juledag",
        dt.date(year, 12, 26): "2. juledag",
    }
    if year <= STORE_BEDEDAG_LAST_YEAR:
        days[from_easter(26)] = "Store bededag"
    if closing_days:
        days[dt.date(year, 6, 5)] = "Grundlovsdag"
        days[dt.date(year, 12, 24)] = "Juleaftensdag"
        days[dt.date(year, 12, 31)] = "Nytårsaftensdag"
    return dict(sorted(days.items()))


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 (the simulator's and the calendar's day index)."""
    return (day - EPOCH).days


def day_date(number: int) -> dt.date:
    """Inverse of `day_number`."""
    return EPOCH + dt.timedelta(days=number)


@dataclass
class WorkCalendar:
    """Working days between two dates, with O(1) 'add n working days'.

    Days are integers (days since 1970-01-01) so that the simulator can do its
    arithmetic without creating date objects in its inner loop.
    """

    first: dt.date
    last: dt.date
    closing_days: bool = True
    _workdays: list[int] = field(init=False, repr=False)
    _is_workday: list[bool] = field(init=False, repr=False)
    _offset: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"calendar ends ({self.last}) before it starts ({self.first})")
        off: set[dt.date] = set()
        for year in range(self.first.year, self.last.year + 1):
            off.update(danish_holidays(year, closing_days=self.closing_days))
        self._offset = day_number(self.first)
        n_days = (self.last - self.first).days + 1
        self._is_workday = []
        self._workdays = []
        for i in range(n_days):
            day = self.first + dt.timedelta(days=i)
            working = day.weekday() < 5 and day not in off
            self._is_workday.append(working)
            if working:
                self._workdays.append(self._offset + i)

    def _check(self, day: int) -> None:
        if not self._offset <= day < self._offset + len(self._is_workday):
            raise ValueError(f"{day_date(day)} is outside the calendar {self.first}..{self.last}")

    def is_working_day(self, day: int) -> bool:
        """True when `day` (a day number) is a working day."""
        self._check(day)
        return self._is_workday[day - self._offset]

    def add_working_days(self, day: int, n: int) -> int:
        """The n-th working day after `day`; n=0 gives `day` itself or the next working day."""
        self._check(day)
        k = bisect_left(self._workdays, day)
        if k < len(self._workdays) and self._workdays[k] == day and n > 0:
            k += n
        elif n > 0:
            k += n - 1
        if k >= len(self._workdays):
            raise ValueError(f"{n} working days after {day_date(day)} is past the calendar's end {self.last}")
        return self._workdays[k]

    def working_days_between(self, start: int, end: int) -> int:
        """Working days d with start < d <= end (how deadlines count: the day of receipt is day 0)."""
        self._check(start)
        self._check(end)
        return bisect_left(self._workdays, end + 1) - bisect_left(self._workdays, start + 1)
