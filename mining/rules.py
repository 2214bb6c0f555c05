"""What the marts need besides events: each process's configured rules, and the working-day calendar.

`write_rules` puts `vaerdistrom.toml`'s `[processes.*]` into `marts.process_rules` (one row
per process: deadline rule, the time zone its days are counted in, and the data's
horizon, `as_of`: the latest event time, the moment "still open" refers to) and writes
`marts.calendar` (one row per day: working day or not, and how many working days there
have been up to it), so that SQL counts working days with one subtraction.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from warehouse.calendar import danish_holidays
from warehouse.config import Process

RULES = pa.schema([
    ("process", pa.string()),
    ("timezone", pa.string()),
    ("deadline_days", pa.int32()),
    ("deadline_working_days", pa.bool_()),
    ("deadline_from", pa.string()),
    ("deadline_from_column", pa.bool_()),
    ("deadline_to", pa.string()),
])


def write_rules(con: duckdb.DuckDBPyConnection, processes: dict[str, Process],
                timezone: str = "Europe/Copenhagen", *, closing_days: bool = True) -> None:
    """(Re)write marts.process_rules and marts.calendar for the events in the warehouse."""
    rules = pa.Table.from_pylist([
        {"process": name, "timezone": timezone, "deadline_days": p.deadline_days,
         "deadline_working_days": p.deadline_working_days, "deadline_from": p.deadline_from,
         "deadline_from_column": p.deadline_from_column, "deadline_to": p.deadline_to}
        for name, p in processes.items()], schema=RULES)
    con.register("_rules", rules)
    try:
        con.execute("create or replace table marts.process_rules as select r.*, "
                    "(select max(ts) from staging.events) as as_of from _rules as r").fetchall()
    finally:
        con.unregister("_rules")
    first, last = con.execute("select min(ts), max(ts) from staging.events").fetchall()[0]
    first_year = first.year - 1 if first else dt.date.today().year - 1
    last_year = last.year + 3 if last else dt.date.today().year + 3  # deadlines run past the data
    con.register("_calendar", calendar_table(first_year, last_year, closing_days=closing_days))
    try:
        con.execute("create or replace table marts.calendar as select * from _calendar").fetchall()
    finally:
        con.unregister("_calendar")


def calendar_table(first_year: int, last_year: int, *, closing_days: bool = True) -> pa.Table:
    """One row per day of the years: day, is_working_day, n_working_days (working days up to and including it)."""
    off: set[dt.date] = set()
    for year in range(first_year, last_year + 1):
        off.update(danish_holidays(year, closing_days=closing_days))
    day, end = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
    days, working, counts, n = [], [], [], 0
    while day <= end:
        is_working = day.weekday() < 5 and day not in off
        n += is_working
        days.append(day)
        working.append(is_working)
        counts.append(n)
        day += dt.timedelta(days=1)
    return pa.table({"day": pa.array(days, pa.date32()), "is_working_day": working,
                     "n_working_days": pa.array(counts, pa.int64())})
