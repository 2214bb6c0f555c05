"""What the marts hold, in brief: the figures the command line prints after a build, per process, and what a
build did."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from mining.engine import MartsMissing

PROCESSES = """
select v.process, v.n_cases, v.median_lead_time_days, v.first_time_right,
    (select source_activity || ' -> ' || target_activity || ': '
            || format('{:,}', round(total_wait_days)::bigint)
            || ' waiting days in all, median ' || round(median_case_wait_days, 1) || ' days per case'
        from marts.bottlenecks as b where b.process = v.process and b.rank_by_total = 1 limit 1),
    c.contacts_per_case, c.share_failure_demand,
    (select sum(n_met) / nullif(sum(n_met + n_missed + n_overdue), 0) from marts.deadline_summary as d
        where d.process = v.process)
from marts.value_stream_summary as v left join marts.contact_summary as c using (process)
order by v.process
"""
CONFORMANCE = (
    "select process, fitness, fitness_method, share_fitting, precision from marts.conformance_processes "
    "order by process"
)
RULES = (
    "select process, rule, sum(n_kept) / nullif(sum(n_kept + n_violated), 0) from marts.rule_summary "
    "group by process, rule order by process, rule"
)


@dataclass(frozen=True)
class Fit:
    """How a process's cases fit its intended model."""

    fitness: float
    method: str  # alignment, or token-based replay where not every variant aligned in time
    share_fitting: float
    precision: float | None


@dataclass(frozen=True)
class ProcessSummary:
    """One process in brief: its cases, lead time, first-time-right, deadlines, contacts and biggest wait."""

    process: str
    n_cases: int
    median_lead_time_days: float
    first_time_right: float
    biggest_wait: str | None  # "A -> B: 1,234 waiting days in all, median 5.0 days per case"
    contacts_per_case: float | None
    share_failure_demand: float | None  # inbound contacts: the citizen has to chase
    share_within_deadline: float | None  # None: no deadline configured
    conformance: list[Fit] = field(default_factory=list)
    rules: list[tuple[str, float | None]] = field(default_factory=list)  # (rule, share of cases that kept it)


def process_summaries(con: duckdb.DuckDBPyConnection) -> list[ProcessSummary]:
    """Every process of the marts in brief, in name order."""
    rows = con.execute(PROCESSES).fetchall()
    if not rows:
        return []
    fits: dict[str, list[Fit]] = {}
    for process, *fit in con.execute(CONFORMANCE).fetchall():
        fits.setdefault(process, []).append(Fit(*fit))
    rules: dict[str, list[tuple[str, float | None]]] = {}
    for process, rule, kept in con.execute(RULES).fetchall():
        rules.setdefault(process, []).append((rule, kept))
    return [
        ProcessSummary(
            process, n_cases, lead, ftr, wait, contacts, failure, within, fits.get(process, []), rules.get(process, [])
        )
        for process, n_cases, lead, ftr, wait, contacts, failure, within in rows
    ]


def snapshot_summaries(path: Path) -> list[ProcessSummary]:
    """`process_summaries` of a published snapshot (or any warehouse file), opened read-only and closed again."""
    from warehouse.session import read_only

    con = read_only(path)
    try:
        return process_summaries(con)
    finally:
        con.close()


def build_modes(con: duckdb.DuckDBPyConnection) -> tuple[int, dict[str, str]]:
    """The events the marts hold, and how the last build wrote them: mode (whole, incremental, changed) -> marts."""
    n_events = con.execute("select count(*) from marts.event_sequence").fetchall()[0][0]
    modes = dict(
        con.execute("select mode, string_agg(mart, ', ' order by mart) from meta.mart_state group by mode").fetchall()
    )
    return n_events, modes


def mined_processes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The processes whose variants the marts hold, in name order."""
    built = {
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    if "case_variants" not in built:
        raise MartsMissing("marts.case_variants is not built yet: run `vaerdistrom mine` after loading")
    return [
        p
        for (p,) in con.execute(
            "select distinct process from marts.case_variants where process is not null order by 1"
        ).fetchall()
    ]
