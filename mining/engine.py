"""The one engine over the mart catalogue: it builds the night, and answers a filtered question for the command
line (the warehouse) and the dashboards (the published snapshot) alike.

Each mart's SQL names its inputs as placeholders, so the same query builds the nightly table
(`build`: the placeholders name `marts.*` and the sources' tables), is updated for what new
batches touched (`mining.refresh`, by the mart's refresh strategy) and answers a filtered
question (`relation`: they name temporary tables of the kept cases only). `meta.mart_state`
records what each mart was built from (a fingerprint of its SQL, the rule tables it reads and
its inputs' fingerprints, and the newest batch); a changed fingerprint means a full rebuild.

A filtered question keeps whole cases. The marts a `Taking` takes as built keep their rows by
their row kind (the kept cases' rows, the kept citizens' whole journeys, or all of what the night
derived); every other mart on the way is computed again with its own SQL over those rows. The
warehouse takes only the sorted events (`WAREHOUSE`); a snapshot has no staging tables and takes
every mart whose rows are not aggregates, a period alone kept by the period on each row (`SNAPSHOT`).
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from mining import refresh
from mining.catalogue import CATALOGUE, Catalogue, render
from mining.filters import Filters
from vaerdistrom.errors import VaerdistromError
from warehouse.parquet_sql import lit


@dataclass(frozen=True)
class Taking:
    """What a filtered question takes as built: `marts`, kept by their row kind (every other mart on the way is
    computed again), and whether a filter of a period alone keeps case rows by the case period on each row."""

    marts: frozenset[str]
    by_period: bool


WAREHOUSE = Taking(frozenset({"event_sequence"}), by_period=False)  # the rest computed again from the sorted events
SNAPSHOT = Taking(frozenset(CATALOGUE.of_rows("cases", "citizens", "as_built")), by_period=True)  # no staging there
TRANSITION = "process = $process and source_activity = $source and target_activity = $target"  # `match`


class MartsMissing(VaerdistromError, RuntimeError):
    """A question was asked of a warehouse whose marts are not built."""


def _ensure_rules(con: duckdb.DuckDBPyConnection) -> None:
    """The rule tables (no rules, a calendar for the data's years) when `write_rules` never ran here."""
    have = {
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    if not {"process_rules", "planned_waits", "standard_times", "calendar", "case_rules"} <= have:
        from mining.rules import write_rules

        write_rules(con, {})
    from mining.conformance import MODELS, VARIANTS

    for table, schema in (("conformance_variants", VARIANTS), ("conformance_models", MODELS)):
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema "
                "= 'marts' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
        ]
        if columns != schema.names:  # no intended model checked yet, or checked by an older vaerdistrom
            con.register("_empty", schema.empty_table())
            con.execute(f"create or replace table marts.{table} as select * from _empty").fetchall()
            con.unregister("_empty")


def run_sql(
    con: duckdb.DuckDBPyConnection, name: str, *, ensure_rules: bool = True, catalogue: Catalogue = CATALOGUE
) -> None:
    """Build one mart as `marts.<name>` from the warehouse's tables (`ensure_rules=False`: the caller made sure
    the rule and conformance tables exist)."""
    if ensure_rules:
        _ensure_rules(con)
    con.execute(
        f"create or replace table marts.{name} as\n" + render(catalogue.marts[name], catalogue.relations())
    ).fetchall()


def _fingerprint(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, name: str, known: dict[str, str]) -> str:
    """A hash of what mart `name` is computed by: its SQL, DuckDB's version, the rule tables it reads, its inputs'
    fingerprints."""
    h = hashlib.sha256(catalogue.marts[name].sql.encode())
    h.update(duckdb.__version__.encode())  # a DuckDB of another version may number or hash otherwise
    for placeholder in sorted(catalogue.marts[name].reads):
        source, mart = catalogue.sources.get(placeholder), catalogue.marts.get(placeholder)
        if source is not None and source.fingerprint:
            rows = con.execute(
                f"select coalesce(md5(string_agg(t::varchar, '|' order by t::varchar)), '') "
                f"from ({source.fingerprint}) as t"
            ).fetchall()[0][0]
            h.update(f"{placeholder}:{rows}".encode())
        elif mart is not None and mart.content:
            rows = con.execute(
                f"select coalesce(md5(string_agg(t::varchar, '|' order by t::varchar)), '') from "
                f"(select {', '.join(mart.content)} from marts.{placeholder}) as t"
            ).fetchall()[0][0]
            h.update(f"{placeholder}:{known[placeholder]}:{rows}".encode())
        elif mart is not None:
            h.update(f"{placeholder}:{known[placeholder]}".encode())
    return h.hexdigest()


def build(
    con: duckdb.DuckDBPyConnection,
    names: list[str] | None = None,
    *,
    incremental: bool = True,
    skip: frozenset[str] = frozenset(),
    after: Callable[[str], None] | None = None,
    catalogue: Catalogue = CATALOGUE,
) -> dict[str, float]:
    """(Re)build the marts `names` (default: all) and what they need; seconds per mart.

    With `incremental` (the default), a mart built before from the same SQL and rules is
    updated by its refresh strategy (`mining.refresh`); every other mart is rebuilt whole.
    `incremental=False` rebuilds everything (after data were deleted, say). Marts in `skip`
    (built a moment ago) are left as they are. `after(name)` is called as each mart is done
    (progress; the crash tests stop the process there).
    """
    _ensure_rules(con)
    newest = con.execute("select coalesce(max(batch_id), 0) from meta.batches where status = 'done'").fetchall()[0][0]
    state = {
        m: (fp, last)
        for m, fp, last in con.execute("select mart, fingerprint, last_batch_id from meta.mart_state").fetchall()
    }
    built = {
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    fingerprints: dict[str, str] = {}
    seconds = {}
    for name in catalogue.order(names or list(catalogue.marts)):
        start = time.perf_counter()
        fingerprints[name] = fp = _fingerprint(con, catalogue, name, fingerprints)
        if name in skip:
            continue
        how, (was, since) = catalogue.marts[name].refresh, state.get(name, (None, 0))
        in_step = incremental and name in built and was == fp
        if in_step and how == "per_case":
            refresh.update_cases(con, catalogue, name, since=since)
            mode = "incremental"
        elif in_step and how in refresh.GRAINS:
            refresh.update_keys(con, catalogue, name, since=since)
            mode = "incremental"
        elif incremental and how.startswith("by_") and name in built:
            mode = refresh.rebuild_changed(con, catalogue, name)
        else:
            run_sql(con, name, ensure_rules=False, catalogue=catalogue)  # made sure once, above
            mode = "full"
        con.execute(
            "insert or replace into meta.mart_state by name select ? as mart, ? as fingerprint, "
            "? as last_batch_id, now() as built_at, ? as mode, case when ? = 'full' then now() else "
            "(select rebuilt_at from meta.mart_state where mart = ?) end as rebuilt_at",
            [name, fp, newest, mode, mode, name],
        ).fetchall()
        seconds[name] = time.perf_counter() - start
        if after is not None:
            after(name)
    return seconds


@dataclass
class Made:
    """What was computed again for one filter in one connection: temporary tables and views named `prefix`_..."""

    prefix: str
    relations: dict[str, str] = field(default_factory=dict)  # mart (or source) -> what to read it from


def kept(con: duckdb.DuckDBPyConnection, filters: Filters, made: Made) -> str:
    """The temporary table of the filter's kept cases (process, case_id), made once per `made`."""
    if "_kept" not in made.relations:
        sql, params = filters.cases_sql()
        con.execute(f"create or replace temp table {made.prefix}_kept as {sql}", params)
        made.relations["_kept"] = f"{made.prefix}_kept"
    return made.relations["_kept"]


def by_period(
    con: duckdb.DuckDBPyConnection, filters: Filters, name: str, catalogue: Catalogue = CATALOGUE
) -> str | None:
    """A where clause that keeps the filter's cases' rows of mart `name` by the case period on each row (its
    `period` columns), when the filter selects cases by period alone and the built mart has them (else None: the
    rows are kept by a semi join). The bounds are `Filters.period_bounds`, as the kept cases', computed once and
    written as literals (a view takes no parameters)."""
    columns = catalogue.marts[name].period
    if not columns or any(
        v not in (None, ())
        for v in (filters.org_unit, filters.variant, filters.attributes, filters.min_days, filters.max_days)
    ):
        return None
    has = con.execute(
        "select count(*) from duckdb_columns() where schema_name = 'marts' and table_name = $t and column_name in $c",
        {"t": name, "c": list(columns)},
    ).fetchall()[0][0]
    if has != len(columns):
        return None
    first, after, params = filters.period_bounds()
    start, end = con.execute(f"select {first or 'null'}, {after or 'null'}", params).fetchall()[0]
    where = []
    if filters.process is not None:
        where.append("x.process = " + lit(filters.process))
    if start is not None:
        where.append(f"x.{columns[1]} >= {lit(start.isoformat())}::timestamptz")
    if end is not None:
        where.append(f"x.{columns[0]} < {lit(end.isoformat())}::timestamptz")
    return "where " + " and ".join(where) if where else None


def relation(
    con: duckdb.DuckDBPyConnection,
    name: str,
    filters: Filters,
    made: Made,
    taking: Taking,
    *,
    catalogue: Catalogue = CATALOGUE,
) -> str:
    """What to read mart `name` from for the filter's kept cases: a temporary view (a mart of case rows taken as
    built) or table of its rows; what `made` already holds is not computed again."""
    if name in made.relations:
        return made.relations[name]
    for source in catalogue.sources.values():
        made.relations.setdefault(source.name, source.table)
    taken = taking.marts
    for needed in catalogue.order([name], stop=taken):
        if needed in made.relations:
            continue
        mart, target = catalogue.marts[needed], f"{made.prefix}_{needed}"
        if needed in taken and mart.rows == "as_built":
            target = f"marts.{needed}"
        elif needed in taken and mart.rows == "cases":
            rows = (
                taking.by_period
                and by_period(con, filters, needed, catalogue)
                or (f"semi join {kept(con, filters, made)} as k on k.process = x.process and k.case_id = x.case_id")
            )
            con.execute(f"create or replace temp view {target} as select x.* from marts.{needed} as x {rows}")
        elif needed in taken and mart.rows == "citizens":  # a table: a page asks several questions of the journeys
            cases = relation(con, "case_variants", filters, made, taking, catalogue=catalogue)
            con.execute(
                f"create or replace temp table {target} as select x.* from marts.{needed} as x semi join "
                f"{cases} as k on k.citizen_key = x.citizen_key"
            )
        else:
            con.execute(f"create or replace temp table {target} as\n" + render(mart, made.relations))
        made.relations[needed] = target
    return made.relations[name]


def of_transition(
    con: duckdb.DuckDBPyConnection,
    name: str,
    filters: Filters,
    made: Made,
    taking: Taking,
    match: dict[str, str],
    *,
    catalogue: Catalogue = CATALOGUE,
) -> str:
    """The query of mart `name` (its rows grouped by transition) over one transition's rows of its `by_transition`
    input for the filter: `match` names the process, source and target; those rows are kept for the filter's
    other marts of that transition."""
    waits = catalogue.marts[name].by_transition
    if waits is None:
        raise KeyError(f"mart {name!r} is not grouped by transition (no by_transition in its .yml)")
    one = f"_transition_{zlib.crc32(repr((waits, *match.values())).encode())}"
    if one not in made.relations:
        con.execute(
            f"create or replace temp table {made.prefix}{one} as select * from "
            f"{relation(con, waits, filters, made, taking, catalogue=catalogue)} where {TRANSITION}",
            match,
        )
        made.relations[one] = f"{made.prefix}{one}"  # dropped with the filter's other tables
    return render(catalogue.marts[name], made.relations | {waits: made.relations[one]})


def release(con: duckdb.DuckDBPyConnection, made: Made, taking: Taking, catalogue: Catalogue = CATALOGUE) -> None:
    """Drop what `made` holds (the views of case rows taken as built, the tables of everything else)."""
    for name, target in made.relations.items():
        if target.startswith(made.prefix):
            rows = catalogue.marts[name].rows if name in catalogue.marts else None
            con.execute(f"drop {'view' if name in taking.marts and rows == 'cases' else 'table'} if exists {target}")


def query(
    con: duckdb.DuckDBPyConnection, name: str, filters: Filters | None = None, *, catalogue: Catalogue = CATALOGUE
) -> pa.Table:
    """The rows of mart `name` for the cases `filters` keeps (its process only, when it names one).

    Without a filter beyond the process this reads the built mart; otherwise it computes
    the mart and what it needs again over the kept cases' events, in temporary tables.
    """
    filters = filters or Filters()
    if name not in catalogue.marts:
        raise KeyError(f"no mart named {name!r} (there are: {', '.join(catalogue.marts)})")
    built = {
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    missing = [
        n for n in [name] + (["case_variants", "event_sequence"] if filters.selects_cases else []) if n not in built
    ]
    if missing:
        raise MartsMissing(f"marts.{missing[0]} is not built yet: run `vaerdistrom mine` after loading")
    has_process = bool(
        con.execute(
            "select 1 from information_schema.columns where table_schema = 'marts' "
            "and table_name = ? and column_name = 'process'",
            [name],
        ).fetchall()
    )
    where = " where process = $process" if filters.process is not None and has_process else ""
    params = {"process": filters.process} if where else {}
    # a mart without a process column (journeys) keeps a process's cases through the case filter
    if not filters.selects_cases and (filters.process is None or has_process):
        return con.sql(f"select * from marts.{name}{where}", params=params).to_arrow_table()
    made = Made("_kept")
    try:
        source = relation(con, name, filters, made, WAREHOUSE, catalogue=catalogue)
        return con.sql(f"select * from {source}{where}", params=params).to_arrow_table()
    finally:
        release(con, made, WAREHOUSE, catalogue)
