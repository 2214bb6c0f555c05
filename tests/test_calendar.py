"""Danish public holidays and working-day arithmetic, against the `holidays` package and by hand."""

import datetime as dt

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaerdistrom.calendar import WorkCalendar, danish_holidays, day_date, day_number, easter_sunday


@pytest.mark.parametrize("year", range(2015, 2036))
def test_official_holidays_match_the_holidays_package(year):
    ours = set(danish_holidays(year, closing_days=False))
    theirs = {d for d, name in holidays.Denmark(years=year).items()}
    assert ours == theirs


@pytest.mark.parametrize(
    "year, easter",
    [
        (2024, dt.date(2024, 3, 31)),
        (2025, dt.date(2025, 4, 20)),
        (2026, dt.date(2026, 4, 5)),
        (2038, dt.date(2038, 4, 25)),
    ],
)
def test_easter(year, easter):
    assert easter_sunday(year) == easter


def test_store_bededag_abolished_from_2024():
    assert "Store bededag" in danish_holidays(2023).values()
    assert "Store bededag" not in danish_holidays(2024).values()
    assert dt.date(2023, 5, 5) in danish_holidays(2023)


def test_closing_days_are_optional():
    assert {dt.date(2025, 6, 5), dt.date(2025, 12, 24), dt.date(2025, 12, 31)} <= set(danish_holidays(2025))
    assert dt.date(2025, 6, 5) not in danish_holidays(2025, closing_days=False)


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar(dt.date(2024, 1, 1), dt.date(2026, 12, 31))


@pytest.mark.parametrize(
    "start, n, expected",
    [
        # Wednesday before Easter 2025: Skærtorsdag, Langfredag, weekend and 2. påskedag are off
        (dt.date(2025, 4, 16), 1, dt.date(2025, 4, 22)),
        (dt.date(2025, 4, 16), 0, dt.date(2025, 4, 16)),
        # a Saturday with n=0 moves to Monday; n=1 is Monday too (the first working day after)
        (dt.date(2025, 3, 1), 0, dt.date(2025, 3, 3)),
        (dt.date(2025, 3, 1), 1, dt.date(2025, 3, 3)),
        (dt.date(2025, 3, 1), 5, dt.date(2025, 3, 7)),
        # Christmas 2025: 24, 25, 26 and 31 December and 1 January are off
        (dt.date(2025, 12, 23), 1, dt.date(2025, 12, 29)),
        (dt.date(2025, 12, 23), 3, dt.date(2026, 1, 2)),
        (dt.date(2025, 12, 23), 4, dt.date(2026, 1, 5)),
        # Kristi himmelfartsdag 2025 is Thursday 29 May; 2. pinsedag Monday 9 June; Grundlovsdag Thursday 5 June
        (dt.date(2025, 5, 28), 1, dt.date(2025, 5, 30)),
        (dt.date(2025, 6, 4), 1, dt.date(2025, 6, 6)),
        (dt.date(2025, 6, 6), 1, dt.date(2025, 6, 10)),
    ],
)
def test_add_working_days(cal, start, n, expected):
    assert day_date(cal.add_working_days(day_number(start), n)) == expected


def test_working_days_between_counts_days_after_the_start(cal):
    # 22 Dec 2025 (Mon) to 2 Jan 2026 (Fri): 23, 29, 30 Dec and 2 Jan are working days
    assert cal.working_days_between(day_number(dt.date(2025, 12, 22)), day_number(dt.date(2026, 1, 2))) == 4


@given(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2025, 12, 1)), st.integers(0, 60))
def test_add_then_count_round_trips(start, n):
    cal = WorkCalendar(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    s = day_number(start)
    end = cal.add_working_days(s, n)
    assert cal.is_working_day(end)
    if n > 0:
        assert cal.working_days_between(s, end) == n
    else:  # n=0: the day itself if it is a working day, else the next one
        assert cal.working_days_between(s, end) == (0 if cal.is_working_day(s) else 1)


def test_outside_the_calendar_is_an_error(cal):
    with pytest.raises(ValueError, match="outside the calendar"):
        cal.is_working_day(day_number(dt.date(2030, 1, 1)))
