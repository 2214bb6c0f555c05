"""What the marts need besides events: each process's configured rules, and the working-day calendar.

`write_rules` puts `vaerdistrom.toml`'s `[processes.*]` into `marts.process_rules` (one row
per process: deadline rule, hourly rate, the time zone its days are counted in, and the
data's horizon, `as_of`: the latest event time, the moment "still open" refers to),
`marts.planned_waits` (one row per intended wait), `marts.standard_times` (one row per
process x activity with configured hands-on minutes) and `marts.case_rules` (one row per
rule a process's cases must keep), and writes
`marts.calendar` (one row per day: working day or not, and how many working days there
have been up to it), so that SQL counts working days with one subtraction.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from vaerdistrom.calendar import WorkCalendar, day_number
from warehouse.config import Process

RULES = pa.schema(
    [
        ("process", pa.string()),
        ("timezone", pa.string()),
        ("deadline_days", pa.int32()),
        ("deadline_working_days", pa.bool_()),
        ("deadline_from", pa.string()),
        ("deadline_from_column", pa.bool_()),
        ("deadline_to", pa.string()),
        ("hourly_rate_dkk", pa.float64()),
    ]
)
PLANNED = pa.schema([("process", pa.string()), ("source_activity", pa.string()), ("target_activity", pa.string())])
STANDARD = pa.schema([("process", pa.string()), ("activity", pa.string()), ("standard_minutes", pa.float64())])
CASE_RULES = pa.schema(
    [
        ("process", pa.string()),
        ("rule", pa.string()),
        ("kind", pa.string()),
        ("activity", pa.string()),
        ("response", pa.string()),
        ("days", pa.int32()),
        ("working_days", pa.bool_()),
        ("before", pa.string()),
    ]
)


def write_rules(
    con: duckdb.DuckDBPyConnection,
    processes: dict[str, Process],
    timezone: str = "Europe/Copenhagen",
    *,
    closing_days: bool = True,
) -> None:
    """(Re)write marts.process_rules and marts.calendar for the events in the warehouse."""
    rules = pa.Table.from_pylist(
        [
            {
                "process": name,
                "timezone": timezone,
                "deadline_days": p.deadline_days,
                "deadline_working_days": p.deadline_working_days,
                "deadline_from": p.deadline_from,
                "deadline_from_column": p.deadline_from_column,
                "deadline_to": p.deadline_to,
                "hourly_rate_dkk": p.hourly_rate_dkk,
            }
            for name, p in processes.items()
        ],
        schema=RULES,
    )
    planned = pa.Table.from_pylist(
        [
            {"process": name, "source_activity": a, "target_activity": b}
            for name, p in processes.items()
            for a, b in p.planned_waits
        ],
        schema=PLANNED,
    )
    standard = pa.Table.from_pylist(
        [
            {"process": name, "activity": a, "standard_minutes": m}
            for name, p in processes.items()
            for a, m in p.standard_minutes.items()
        ],
        schema=STANDARD,
    )
    _write(con, "process_rules", rules, ", (select max(ts) from staging.events) as as_of")
    _write(con, "planned_waits", planned)
    _write(con, "standard_times", standard)
    case_rules = pa.Table.from_pylist(
        [
            {
                "process": name,
                "rule": r.name,
                "kind": r.kind,
                "activity": r.activity,
                "response": r.response,
                "days": r.days,
                "working_days": r.working_days,
                "before": r.before,
            }
            for name, p in processes.items()
            for r in p.rules
        ],
        schema=CASE_RULES,
    )
    _write(con, "case_rules", case_rules)
    first, last = con.execute("select min(ts), max(ts) from staging.events").fetchall()[0]
    first_year = first.year - 1 if first else dt.date.today().year - 1
    last_year = last.year + 3 if last else dt.date.today().year + 3  # deadlines run past the data
    _write(con, "calendar", calendar_table(first_year, last_year, closing_days=closing_days))


def _write(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, extra: str = "") -> None:
    """`table` as marts.<name> (replaced), with `extra` select columns added."""
    con.register("_table", table)
    try:
        con.execute(f"create or replace table marts.{name} as select t.*{extra} from _table as t").fetchall()
    finally:
        con.unregister("_table")


def calendar_table(first_year: int, last_year: int, *, closing_days: bool = True) -> pa.Table:
    """One row per day of the years: day, is_working_day, n_working_days (working days up to and including it).

    Working days are `vaerdistrom.calendar.WorkCalendar`'s, the simulator's own.
    """
    first, last = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
    calendar = WorkCalendar(first, last, closing_days=closing_days)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    working = [calendar.is_working_day(day_number(d)) for d in days]
    counts, n = [], 0
    for is_working in working:
        n += is_working
        counts.append(n)
    return pa.table(
        {"day": pa.array(days, pa.date32()), "is_working_day": working, "n_working_days": pa.array(counts, pa.int64())}
    )


def unknown_rule_activities(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(process, rule, activity) for each activity a configured rule names that never occurs in its process."""
    return con.execute("""
        with named as (
            select process, rule, unnest([activity, response, before]) as activity from marts.case_rules
        )
        select n.process, n.rule, n.activity from named as n
        where n.activity is not null and not exists (
            select 1 from marts.event_sequence as s where s.process = n.process and s.activity = n.activity)
        order by all""").fetchall()
