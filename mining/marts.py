"""The marts, what each is built from, and how to build or ask them, for all cases or a filtered few.

Each mart is one `mining/sql/<name>.sql` query. Its inputs are written as placeholders
(`{{ event_sequence }}`, `{{ case_variants }}`, `{{ events }}`, ...) so that the same query
builds the nightly table (`build`: the placeholders name `marts.*` and `staging.*`), answers
a filtered question (`query`: they name temporary views of the kept cases only) and
updates a mart whose grain is the case (`per_case`) for only the cases new batches touched:
their rows are deleted and computed again from those cases' rows. `meta.mart_state` records
what each mart was built from (a fingerprint of its SQL, the rules it reads and its inputs'
fingerprints, and the newest batch); a changed fingerprint means a full rebuild. The events
are sorted once, into `marts.event_sequence`, and then only the touched cases again.

Two more ways keep a night small. A mart whose rows belong to one contact or one citizen
(`grain`) is updated for the contacts or citizens the new batches could change, as long as
the small marts it reads for the whole municipality (`content`: how long a contact still
belongs to a case, which process a queue serves most) kept their rows. A mart that must be
computed whole every night but whose rows have a `key` writes only the keys whose rows
changed, and so does the publish step.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow as pa

from mining.filters import Filters
from warehouse.changes import replace_changed
from warehouse.migrations import rollback
from vaerdistrom.schema import TOUCHED_CASES
from vaerdistrom.errors import VaerdistromError

SQL = Path(__file__).with_name("sql")

# Inputs that are not marts: placeholder -> table.
BASE = {"events": "staging.events", "contacts": "staging.contacts", "cases": "staging.cases",
        "calendar": "marts.calendar", "process_rules": "marts.process_rules",
        "planned_waits": "marts.planned_waits", "standard_times": "marts.standard_times",
        "case_rules": "marts.case_rules", "conformance_variants": "marts.conformance_variants",
        "conformance_models": "marts.conformance_models"}


class MartsMissing(VaerdistromError, RuntimeError):
    """A question was asked of a warehouse whose marts are not built."""


@dataclass(frozen=True)
class Mart:
    """One mart: its query file and the marts it reads."""

    name: str
    needs: tuple[str, ...] = ()
    per_case: bool = False  # its rows belong to one case each, computed from that case's rows only
    key: tuple[str, ...] = ()  # columns that group its rows: a whole rebuild writes only the groups that changed
    grain: str = ""  # its rows belong to one contact or citizen each (GRAINS): updated for the keys batches touch
    # small: the marts that read it are fingerprinted with these columns of its rows, not only its SQL
    content: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grain:
    """Marts whose rows belong to one contact, or one citizen, each: on a night whose marts they read are in step,
    only the keys that `touched` (a query of `mining/sql`, reading `$since`) lists are computed again, from
    `inputs` kept to those keys."""

    key: str
    touched: str
    inputs: tuple[str, ...]


GRAINS = {"contact": Grain("contact_id", "touched_contacts.sql", ("contacts",)),
          "citizen": Grain("citizen_key", "touched_citizens.sql", ("case_variants", "contact_cases"))}


MARTS: dict[str, Mart] = {m.name: m for m in [
    Mart("event_sequence", per_case=True),
    Mart("case_variants", ("event_sequence",), per_case=True),
    Mart("variants", ("case_variants",)),
    Mart("dfg", ("event_sequence", "variants")),
    Mart("dfg_endpoints", ("event_sequence",)),
    Mart("rework", ("activity_instances",)),
    Mart("event_rework", ("event_sequence",)),
    Mart("deadline_clocks", ("event_sequence",), per_case=True),
    Mart("deadlines", ("deadline_clocks",), key=("process", "case_id")),
    Mart("deadline_summary", ("deadlines",)),
    Mart("contact_grace", ("event_sequence",), content=("process", "after_last_seconds")),
    Mart("contact_queues", ("case_variants",), content=("source", "org_unit", "process", "queue_rank")),
    Mart("contact_cases", ("event_sequence", "case_variants", "contact_grace", "contact_queues"),
         key=("contact_id",), grain="contact"),
    Mart("contact_summary", ("contact_cases", "case_variants")),
    Mart("contact_waits", ("contact_cases", "bottleneck_waits")),
    Mart("bottleneck_waits", ("event_sequence",), per_case=True),
    Mart("bottlenecks", ("bottleneck_waits",)),
    Mart("bottleneck_activities", ("bottleneck_waits",)),
    Mart("bottleneck_owners", ("bottleneck_waits",), key=("process", "level", "owner")),
    Mart("bottleneck_months", ("bottleneck_waits",)),
    Mart("bottleneck_cases", ("bottleneck_waits",)),
    Mart("activity_instances", ("event_sequence",), per_case=True),
    Mart("instance_case_variants", ("activity_instances",), per_case=True),
    Mart("instance_variants", ("instance_case_variants",)),
    Mart("instance_dfg", ("activity_instances", "instance_variants")),
    Mart("instance_dfg_endpoints", ("instance_variants",)),
    Mart("value_stream_cases", ("activity_instances",), per_case=True),
    Mart("value_stream", ("activity_instances",)),
    Mart("value_stream_summary", ("value_stream_cases",)),
    Mart("handovers", ("event_sequence",)),
    Mart("rule_checks", ("event_sequence",), key=("process", "case_id")),
    Mart("rule_summary", ("rule_checks",)),
    Mart("conformance_cases", ("case_variants", "value_stream_cases"), key=("process", "case_id")),
    Mart("conformance_summary", ("conformance_cases",)),
    Mart("conformance_processes", ("conformance_summary",)),
    Mart("deviations", ("conformance_cases",)),
    Mart("citizen_journeys", ("case_variants", "value_stream_cases", "contact_cases"), key=("citizen_key",),
         grain="citizen"),
]}


def render(name: str, relations: dict[str, str]) -> str:
    """The query of mart `name` with its placeholders replaced by `relations` (placeholder -> table)."""
    text = (SQL / f"{name}.sql").read_text(encoding="utf-8")
    for placeholder, table in relations.items():
        text = text.replace("{{ " + placeholder + " }}", table)
    if "{{" in text:
        raise ValueError(f"mining/sql/{name}.sql: placeholder without a table: {text[text.index('{{'):][:40]}")
    return text


def _ensure_rules(con: duckdb.DuckDBPyConnection) -> None:
    """The rule tables (no rules, a calendar for the data's years) when `write_rules` never ran here."""
    have = {t for (t,) in con.execute("select table_name from information_schema.tables "
                                      "where table_schema = 'marts'").fetchall()}
    if not {"process_rules", "planned_waits", "standard_times", "calendar", "case_rules"} <= have:
        from mining.rules import write_rules

        write_rules(con, {})
    from mining.conformance import MODELS, VARIANTS

    for table, schema in (("conformance_variants", VARIANTS), ("conformance_models", MODELS)):
        columns = [c for (c,) in con.execute("select column_name from information_schema.columns where table_schema "
                                             "= 'marts' and table_name = ? order by ordinal_position",
                                             [table]).fetchall()]
        if columns != schema.names:  # no intended model checked yet, or checked by an older vaerdistrom
            con.register("_empty", schema.empty_table())
            con.execute(f"create or replace table marts.{table} as select * from _empty").fetchall()
            con.unregister("_empty")


def run_sql(con: duckdb.DuckDBPyConnection, name: str, *, ensure_rules: bool = True) -> None:
    """Build one mart as `marts.<name>` from the warehouse's tables (`ensure_rules=False`: the caller made sure
    the rule and conformance tables exist)."""
    if ensure_rules:
        _ensure_rules(con)
    relations = BASE | {m: f"marts.{m}" for m in MARTS}
    con.execute(f"create or replace table marts.{name} as\n" + render(name, relations)).fetchall()


def order(names: list[str]) -> list[str]:
    """The marts `names` and everything they need, each after what it reads."""
    done: list[str] = []

    def visit(n: str) -> None:
        if n not in MARTS:
            raise KeyError(f"no mart named {n!r} (there are: {', '.join(MARTS)})")
        for dep in MARTS[n].needs:
            visit(dep)
        if n not in done:
            done.append(n)

    for n in names:
        visit(n)
    return done


# Rule tables a fingerprint covers; `as_of` (the data's horizon) moves every night and is left out.
RULE_TABLES = {"process_rules": "select * exclude (as_of) from marts.process_rules",
               "planned_waits": "select * from marts.planned_waits",
               "standard_times": "select * from marts.standard_times", "calendar": "select * from marts.calendar",
               "case_rules": "select * from marts.case_rules"}


def _fingerprint(con: duckdb.DuckDBPyConnection, name: str, known: dict[str, str]) -> str:
    """A hash of what mart `name` is computed by: its SQL, the rule tables it reads, its inputs' fingerprints."""
    text = (SQL / f"{name}.sql").read_text(encoding="utf-8")
    h = hashlib.sha256(text.encode())
    for placeholder in sorted(set(re.findall(r"\{\{ (\w+) \}\}", text))):
        if placeholder in RULE_TABLES:
            rows = con.execute(f"select coalesce(md5(string_agg(t::varchar, '|' order by t::varchar)), '') "
                               f"from ({RULE_TABLES[placeholder]}) as t").fetchall()[0][0]
            h.update(f"{placeholder}:{rows}".encode())
        elif placeholder in MARTS and MARTS[placeholder].content:
            rows = con.execute(f"select coalesce(md5(string_agg(t::varchar, '|' order by t::varchar)), '') from "
                               f"(select {', '.join(MARTS[placeholder].content)} from marts.{placeholder}) as t"
                               ).fetchall()[0][0]
            h.update(f"{placeholder}:{known[placeholder]}:{rows}".encode())
        elif placeholder in MARTS:
            h.update(f"{placeholder}:{known[placeholder]}".encode())
    return h.hexdigest()


def _newest_batch(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(batch_id), 0) from meta.batches where status = 'done'").fetchall()[0][0]


def build(con: duckdb.DuckDBPyConnection, names: list[str] | None = None, *,
          incremental: bool = True, skip: frozenset[str] = frozenset(),
          after: Callable[[str], None] | None = None) -> dict[str, float]:
    """(Re)build the marts `names` (default: all) and what they need; seconds per mart.

    With `incremental` (the default), a per-case mart built before from the same SQL and
    rules is updated for the cases that batches since then touched; every other mart is
    rebuilt whole. `incremental=False` rebuilds everything (after data were deleted, say).
    Marts in `skip` (built a moment ago) are left as they are. `after(name)` is called as each
    mart is done (progress; the crash tests stop the process there).
    """
    _ensure_rules(con)
    newest = _newest_batch(con)
    state = {m: (fp, last) for m, fp, last in con.execute(
        "select mart, fingerprint, last_batch_id from meta.mart_state").fetchall()}
    built = {t for (t,) in con.execute("select table_name from information_schema.tables "
                                       "where table_schema = 'marts'").fetchall()}
    fingerprints: dict[str, str] = {}
    seconds = {}
    for name in order(names or list(MARTS)):
        start = time.perf_counter()
        fingerprints[name] = fp = _fingerprint(con, name, fingerprints)
        if name in skip:
            continue
        before = state.get(name)
        in_step = incremental and name in built and before is not None and before[0] == fp
        if in_step and MARTS[name].per_case:
            _update_cases(con, name, since=before[1])
            mode = "incremental"
        elif in_step and MARTS[name].grain:
            _update_keys(con, name, GRAINS[MARTS[name].grain], since=before[1])
            mode = "incremental"
        elif incremental and MARTS[name].key and name in built:
            mode = _rebuild_changed(con, name)
        else:
            run_sql(con, name, ensure_rules=False)  # made sure once, above
            mode = "full"
        con.execute("insert or replace into meta.mart_state by name select ? as mart, ? as fingerprint, "
                    "? as last_batch_id, now() as built_at, ? as mode, case when ? = 'full' then now() else "
                    "(select rebuilt_at from meta.mart_state where mart = ?) end as rebuilt_at",
                    [name, fp, newest, mode, mode, name]).fetchall()
        seconds[name] = time.perf_counter() - start
        if after is not None:
            after(name)
    return seconds


def _rebuild_changed(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """Mart `name` computed whole, but only the keys whose rows changed written over the built table ('changed');
    'full' when its columns changed and the table was replaced."""
    relations = BASE | {m: f"marts.{m}" for m in MARTS}
    con.execute("create or replace temp table _rebuilt as\n" + render(name, relations)).fetchall()
    try:
        new, old = ([r[:2] for r in con.execute(f"describe {t}").fetchall()] for t in ("_rebuilt", f"marts.{name}"))
        if new == old:
            replace_changed(con, "_rebuilt", f"marts.{name}", MARTS[name].key)
            return "changed"
        con.execute(f"create or replace table marts.{name} as select * from _rebuilt")
        return "full"
    finally:
        con.execute("drop table if exists _rebuilt")


def touched_keys(name: str, grain: Grain) -> str:
    """The query listing the keys of mart `name` that batches after `$since` could change."""
    text = (SQL / grain.touched).read_text(encoding="utf-8")
    contacts = (SQL / GRAINS["contact"].touched).read_text(encoding="utf-8")
    return text.replace("{{ touched_contacts }}", f"({contacts})").replace("{{ mart }}", f"marts.{name}") \
        .replace("{{ contact_cases }}", "marts.contact_cases")


def _update_keys(con: duckdb.DuckDBPyConnection, name: str, grain: Grain, since: int) -> None:
    """Mart `name`'s rows for the keys batches after `since` could change: deleted, then computed from the inputs'
    rows of those keys (and every row of its other inputs)."""
    con.execute(f"create or replace temp table _touched_keys as {touched_keys(name, grain)}",
                {"since": since}).fetchall()
    relations = BASE | {m: f"marts.{m}" for m in MARTS}
    for placeholder in grain.inputs:
        con.execute(f"create or replace temp view _touched_{placeholder} as select x.* from {relations[placeholder]} "
                    f"as x semi join _touched_keys as t on t.{grain.key} = x.{grain.key}")
        relations[placeholder] = f"_touched_{placeholder}"
    try:
        _recompute(con, name, f"exists (select 1 from _touched_keys as t where t.{grain.key} = x.{grain.key})",
                   relations)
    finally:
        for placeholder in grain.inputs:
            con.execute(f"drop view if exists _touched_{placeholder}")
        con.execute("drop table if exists _touched_keys")


def _recompute(con: duckdb.DuckDBPyConnection, name: str, matches: str, relations: dict[str, str]) -> None:
    """Mart `name`'s rows `x` that `matches` (a condition on x) deleted and computed again over `relations` (which
    hold only those rows' inputs), in one transaction."""
    try:
        con.execute("begin transaction")
        con.execute(f"delete from marts.{name} as x where {matches}").fetchall()
        con.execute(f"insert into marts.{name} by name\n" + render(name, relations)).fetchall()
        con.execute("commit")
    except BaseException:
        rollback(con)
        raise


def _update_cases(con: duckdb.DuckDBPyConnection, name: str, since: int) -> None:
    """Mart `name`'s rows for the cases batches after `since` touched: deleted, then computed from those cases."""
    con.execute(f"create or replace temp table _touched as {TOUCHED_CASES}", [since]).fetchall()
    if not con.execute("select count(*) from _touched").fetchall()[0][0]:
        return
    touched = ("semi join _touched as t on t.case_id = x.case_id and t.process is not distinct from x.process")
    relations = dict(BASE)
    con.execute(f"create or replace temp view _touched_events as select x.* from staging.events as x {touched}")
    relations["events"] = "_touched_events"
    for mart in MARTS:
        if MARTS[mart].per_case:
            con.execute(f"create or replace temp view _touched_{mart} as select x.* from marts.{mart} as x {touched}")
            relations[mart] = f"_touched_{mart}"
    try:
        _recompute(con, name, "exists (select 1 from _touched as t where t.case_id = x.case_id and t.process "
                   "is not distinct from x.process)", relations)
    finally:
        for mart in MARTS:
            if MARTS[mart].per_case:
                con.execute(f"drop view if exists _touched_{mart}")
        con.execute("drop view if exists _touched_events")
        con.execute("drop table if exists _touched")


def query(con: duckdb.DuckDBPyConnection, name: str, filters: Filters | None = None) -> pa.Table:
    """The rows of mart `name` for the cases `filters` keeps (its process only, when it names one).

    Without a filter beyond the process this reads the built mart; otherwise it computes
    the mart and what it needs again over the kept cases' events, in temporary tables.
    """
    filters = filters or Filters()
    needed = [name] + (["case_variants", "event_sequence"] if filters.selects_cases else [])
    built = {t for (t,) in con.execute("select table_name from information_schema.tables "
                                       "where table_schema = 'marts'").fetchall()}
    if name not in MARTS:
        raise KeyError(f"no mart named {name!r} (there are: {', '.join(MARTS)})")
    missing = [n for n in needed if n not in built]
    if missing:
        raise MartsMissing(f"marts.{missing[0]} is not built yet: run `vaerdistrom mine` after loading")
    has_process = bool(con.execute("select 1 from information_schema.columns where table_schema = 'marts' "
                                   "and table_name = ? and column_name = 'process'", [name]).fetchall())
    where = " where process = $process" if filters.process is not None and has_process else ""
    params = {"process": filters.process} if where else {}
    # a mart without a process column (journeys) keeps a process's cases through the case filter
    if not filters.selects_cases and (filters.process is None or has_process):
        return con.sql(f"select * from marts.{name}{where}", params=params).to_arrow_table()
    cases, case_params = filters.cases_sql()
    con.execute(f"create or replace temp table _kept as {cases}", case_params).fetchall()
    relations = BASE | {"event_sequence": "_kept_event_sequence"}
    con.execute("create or replace temp view _kept_event_sequence as select s.* from marts.event_sequence as s "
                "semi join _kept as k on s.process = k.process and s.case_id = k.case_id").fetchall()
    made = []
    try:
        for mart in order([name]):
            if mart == "event_sequence":
                continue
            con.execute(f"create or replace temp table _kept_{mart} as\n" + render(mart, relations)).fetchall()
            relations[mart] = f"_kept_{mart}"
            made.append(mart)
        table = "_kept_event_sequence" if name == "event_sequence" else f"_kept_{name}"
        return con.sql(f"select * from {table}{where}", params=params).to_arrow_table()
    finally:
        for mart in made:
            con.execute(f"drop table if exists _kept_{mart}")
        con.execute("drop view if exists _kept_event_sequence")
        con.execute("drop table if exists _kept")
