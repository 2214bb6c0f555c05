"""Build every mart of a warehouse: the nightly mining step (what `vaerdistrom mine` and the flows run).

Writes the configured rules and the calendar, builds the marts in dependency order (the
events sorted once, into `marts.event_sequence`; on later nights only the cases new
batches touched), then gives every case in `staging.cases` its deadline. Returns the
seconds each step took.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from mining.conformance import Intended, build_conformance
from mining.engine import build
from mining.rules import write_rules
from warehouse.config import Config


def build_all(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    root: Path | None = None,
    *,
    incremental: bool = True,
    warnings: list[str] | None = None,
    after: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """(Re)build all marts from the warehouse's events and `cfg`'s processes; seconds per step.

    Processes with an intended BPMN (`bpmn`, relative to `root`, the config's folder) are
    aligned against it; what cannot be used is appended to `warnings`. `incremental=False`
    rebuilds every mart whole (after data were deleted or corrected in place). `after(name)` is
    called as each mart is done.
    """
    start = time.perf_counter()
    write_rules(con, dict(cfg.processes), cfg.municipality.timezone)
    seconds = {"process_rules": time.perf_counter() - start}
    # conformance reads these two
    first = build(con, ["case_variants", "value_stream_cases"], incremental=incremental, after=after)
    seconds |= first
    start = time.perf_counter()
    models = {
        name: Intended((root or Path(".")) / p.bpmn, p.conformance_seconds, p.precision_seconds)
        for name, p in cfg.processes.items()
        if p.bpmn
    }
    problems = build_conformance(con, models, reuse=incremental)
    if warnings is not None:
        warnings += problems
    seconds["conformance_variants"] = time.perf_counter() - start
    seconds |= build(con, incremental=incremental, skip=frozenset(first), after=after)
    start = time.perf_counter()
    con.execute(
        "update staging.cases as c set deadline_at = d.deadline_at from marts.deadlines as d "
        "where d.process = c.process and d.case_id = c.case_id "
        "and c.deadline_at is distinct from d.deadline_at"
    ).fetchall()
    seconds["case_deadlines"] = time.perf_counter() - start
    return seconds
