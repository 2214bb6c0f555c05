"""What the dashboards read: the published snapshot, opened read-only, never the live warehouse.

Without a filter beyond the process, a page reads a built mart as it is. A filter that
selects cases (period, org unit, variant) keeps whole cases: a mart whose rows are cases
(or contacts, waits, checks of cases) keeps the rows of those cases; a citizen's journey is
kept whole when one of the citizen's cases is kept (a journey cut to the filter would hide
the other departments the citizen met); an aggregate mart is computed again from those rows
with the mart's own SQL, in temporary tables of the reader's own connection (the snapshot
is never written). Aggregates over fewer than `K` cases are suppressed before anything is
shown. No Streamlit here: the pages cache these calls, and a `Reader` keeps what a view
computed for the next mart of the same view.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from mining import engine
from mining.catalogue import CATALOGUE, MARTS
from mining.engine import Made
from mining.filters import Filters
from warehouse.session import read_only, snapshot_path

PUBLISHED_ENV = "VAERDISTROM_PUBLISHED"  # the folder of the snapshot, set by `vaerdistrom dashboard`
K = 5  # the smallest number of cases an aggregate may show
# the marts whose rows are cases (or contacts, waits, checks of cases): a filter keeps their kept cases' rows as
# they are, in temporary views (a contact stays attributed as the night attributed it); the catalogue's row kinds
# say how the engine treats every other mart
CASE_ROWS = CATALOGUE.of_rows("cases")


@dataclass(frozen=True)
class View:
    """The global filters of every page (they live in the URL)."""

    process: str | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    org_unit: str | None = None
    variant: str | None = None

    def filters(self, timezone: str) -> Filters:
        return Filters(
            process=self.process,
            period_from=self.period_from,
            period_to=self.period_to,
            org_unit=self.org_unit,
            variant=self.variant,
            timezone=timezone,
        )

    @property
    def selects_cases(self) -> bool:
        return any(v is not None for v in (self.period_from, self.period_to, self.org_unit, self.variant))


def published_file(published: Path) -> Path | None:
    """The snapshot file in the folder `published`, or None when nothing is published yet."""
    path = snapshot_path(published)
    return path if path.exists() else None


def version(path: Path) -> tuple[int, int]:
    """What identifies one published snapshot (a new night's file replaces it: a new version)."""
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    return read_only(path)


def timezone(con: duckdb.DuckDBPyConnection) -> str:
    """The municipality's time zone (from the rules the night wrote), for the period filter."""
    rows = con.execute("select any_value(timezone) from marts.process_rules").fetchall()
    return rows[0][0] if rows and rows[0][0] else "Europe/Copenhagen"


def _kept(con: duckdb.DuckDBPyConnection, view: View, made: Made | None = None) -> str:
    """The temporary table of the view's kept cases (process, case_id), made once per `made`."""
    return engine.kept(con, view.filters(timezone(con)), made or Made("_dash"))


def relation(con: duckdb.DuckDBPyConnection, name: str, view: View, made: Made | None = None) -> str:
    """What to read mart `name` from for the view: the built mart when the view selects no cases (or the mart is
    as the night built it), else what the engine made of it over the kept cases from the snapshot alone (the marts
    of case and citizen rows taken as built); what `made` already holds for the view is not computed again."""
    if name not in MARTS:
        raise KeyError(f"no mart named {name!r}")
    if not view.selects_cases or MARTS[name].rows == "as_built":
        return f"marts.{name}"
    made = made or Made("_dash")
    if name in made.relations:
        return made.relations[name]
    return engine.relation(con, name, view.filters(timezone(con)), made, engine.SNAPSHOT)


def mart(con: duckdb.DuckDBPyConnection, name: str, view: View, made: Made | None = None) -> pd.DataFrame:
    """Mart `name`'s rows for the view: its process, and only the kept cases when the view selects cases (an
    aggregate mart then computed again with its own SQL, over the kept cases' rows, in temporary tables)."""
    source = relation(con, name, view, made)
    where = " where process = $process" if view.process is not None and MARTS[name].rows != "citizens" else ""
    return con.execute(f"select * from {source}{where}", {"process": view.process} if where else {}).df()


def mart_of_transition(
    con: duckdb.DuckDBPyConnection,
    view: View,
    name: str,
    process: str,
    source: str,
    target: str,
    made: Made | None = None,
) -> pd.DataFrame:
    """Mart `name`'s rows of one transition for the view; when the view selects cases, computed with the mart's
    own SQL over that transition's rows of its `by_transition` input (the waits) of the kept cases only: its rows
    are grouped by transition, so that gives the transition's rows of the whole mart, at a fraction of the work."""
    match = {"process": process, "source": source, "target": target}
    if not view.selects_cases:
        return con.execute(f"select * from marts.{name} where {engine.TRANSITION}", match).df()
    query = engine.of_transition(con, name, view.filters(timezone(con)), made or Made("_dash"), engine.SNAPSHOT, match)
    return con.execute(query).df()


class Reader:
    """One read-only connection to a snapshot for all of the app's sessions, one query at a time.

    What a view computed again (its kept cases, the marts computed over them) stays in temporary tables for the
    next mart of the same view: a page reads several marts, and many of them read the same ones (the process map
    under the contacts per wait, rework under the value stream). The `keep` views used last are kept. Each method
    but `over` is this module's function of the same name on this connection.
    """

    def __init__(self, path: Path, keep: int = 8) -> None:
        self.con = connect(path)
        self.keep = keep
        self.lock = threading.Lock()
        self._views: OrderedDict[View, Made] = OrderedDict()
        self._count = 0

    def _made(self, view: View) -> Made:
        if view in self._views:
            self._views.move_to_end(view)
            return self._views[view]
        self._count += 1
        made = self._views[view] = Made(f"_v{self._count}")
        while len(self._views) > self.keep:
            _, old = self._views.popitem(last=False)
            for name, target in old.relations.items():
                if target.startswith(old.prefix):
                    kind = "view" if name in CASE_ROWS else "table"
                    self.con.execute(f"drop {kind} if exists {target}")
        return made

    def mart(self, name: str, view: View) -> pd.DataFrame:
        with self.lock:
            return mart(self.con, name, view, self._made(view))

    def over(self, name: str, view: View, text: str, params: dict | None = None) -> pd.DataFrame:
        """The query `text` over mart `name` for the view (`{mart}` in it names what to read)."""
        with self.lock:
            source = relation(self.con, name, view, self._made(view))
            return self.con.execute(text.format(mart=source), params or {}).df()

    def mart_of_transition(self, view: View, name: str, process: str, source: str, target: str) -> pd.DataFrame:
        with self.lock:
            return mart_of_transition(self.con, view, name, process, source, target, made=self._made(view))

    def kept_count(self, view: View) -> int:
        with self.lock:
            return kept_count(self.con, view, made=self._made(view))

    def case_list(self, view: View, limit: int | None) -> pd.DataFrame:
        with self.lock:
            return case_list(self.con, view, limit, made=self._made(view))

    def wait_days(self, view: View, process: str, source: str, target: str) -> pd.DataFrame:
        with self.lock:
            return wait_days(self.con, view, process, source, target, made=self._made(view))

    def sql(self, text: str, params: list | None = None) -> pd.DataFrame:
        with self.lock:
            return sql(self.con, text, params)

    def processes(self) -> list[str]:
        with self.lock:
            return processes(self.con)

    def org_units(self, process: str | None) -> list[str]:
        with self.lock:
            return org_units(self.con, process)

    def variants(self, process: str | None) -> pd.DataFrame:
        with self.lock:
            return variants(self.con, process)

    def has_variant(self, process: str | None, prefix: str) -> bool:
        with self.lock:
            return has_variant(self.con, process, prefix)

    def date_range(self) -> tuple[dt.date, dt.date]:
        with self.lock:
            return date_range(self.con)

    def last_run(self) -> tuple[dt.date, str] | None:
        with self.lock:
            return last_run(self.con)

    def close(self) -> None:
        self.con.close()


def sql(con: duckdb.DuckDBPyConnection, text: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(text, params or []).df()


def suppress(frame: pd.DataFrame, column: str = "n_cases") -> tuple[pd.DataFrame, int]:
    """`frame` without the rows counting fewer than K cases in `column`, and how many rows were left out."""
    if frame.empty or column not in frame:
        return frame, 0
    keep = frame[column].fillna(0) >= K
    return frame[keep].reset_index(drop=True), int((~keep).sum())


def processes(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        p
        for (p,) in con.execute(
            "select distinct process from marts.case_variants where process is not null order by 1"
        ).fetchall()
    ]


def org_units(con: duckdb.DuckDBPyConnection, process: str | None) -> list[str]:
    return [
        u
        for (u,) in con.execute(
            "select distinct org_unit from marts.event_sequence where org_unit is not null "
            "and ($p is null or process = $p) order by 1",
            {"p": process},
        ).fetchall()
    ]


def variants(con: duckdb.DuckDBPyConnection, process: str | None, limit: int = 200) -> pd.DataFrame:
    """The `limit` most common variants (of `process`, or of every process): id, process, cases, steps."""
    return con.execute(
        "select variant_id, process, n_cases, activities from marts.variants where $p is null or "
        "process = $p order by n_cases desc, variant_id limit $limit",
        {"p": process, "limit": limit},
    ).df()


def has_variant(con: duckdb.DuckDBPyConnection, process: str | None, prefix: str) -> bool:
    """Whether a variant (of `process`, or of any) has an id that starts with `prefix`."""
    return bool(
        con.execute(
            "select 1 from marts.variants where starts_with(variant_id, $v) and ($p is null or process = $p) limit 1",
            {"v": prefix, "p": process},
        ).fetchall()
    )


def date_range(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date]:
    first, last = con.execute("select min(started_at), max(ended_at) from marts.case_variants").fetchall()[0]
    return first.date(), last.date()


def last_run(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, str] | None:
    rows = con.execute("select night, status from meta.runs order by night desc limit 1").fetchall()
    return rows[0] if rows else None


def _kept_join(
    con: duckdb.DuckDBPyConnection, view: View, alias: str = "x", made: Made | None = None, process: str | None = None
) -> tuple[str, dict]:
    """SQL that keeps the view's cases of a table aliased `alias` (a semi join and a where clause), and its
    parameters; the kept cases go to a temporary table first when the view selects cases. `process` narrows
    them to one process (the view's own, by default); the kept cases stay the view's, as `made` holds them."""
    join = ""
    if view.selects_cases:
        kept = _kept(con, view, made)
        join = f" semi join {kept} as k on k.process = {alias}.process and k.case_id = {alias}.case_id"
    process = process or view.process
    where = f" where {alias}.process = $process" if process is not None else ""
    return join + where, ({"process": process} if where else {})


def kept_count(con: duckdb.DuckDBPyConnection, view: View, made: Made | None = None) -> int:
    """How many cases the view keeps (a view of a period alone is counted by its predicate: no kept table)."""
    if view.selects_cases and (by_period := engine.by_period(con, view.filters(timezone(con)), "case_variants")):
        return con.execute(f"select count(*) from marts.case_variants as x {by_period}").fetchall()[0][0]
    keep, params = _kept_join(con, view, made=made)
    return con.execute(f"select count(*) from marts.case_variants as x{keep}", params).fetchall()[0][0]


# the longest cases first, picked from value_stream_cases alone before the (one row per case) joins: 0.33 s to
# 0.1 s for the first 500 of 825,790 cases
CASE_LIST = (
    "with x as (select x.process, x.case_id, x.started_at, x.lead_time_days, x.waiting_days, x.cost_dkk "
    "from marts.value_stream_cases as x{keep} order by x.lead_time_days desc nulls last, x.process, "
    "x.case_id{limit}) "
    "select x.*, v.n_events, d.status, v.variant_id from x "
    "left join marts.case_variants as v using (process, case_id) "
    "left join marts.deadlines as d using (process, case_id) "
    "order by x.lead_time_days desc nulls last, x.process, x.case_id"
)


def case_list(con: duckdb.DuckDBPyConnection, view: View, limit: int | None, made: Made | None = None) -> pd.DataFrame:
    """The view's cases with their lead time, waiting, cost, events, deadline status and variant, longest first
    (the first `limit`, or all)."""
    keep, params = _kept_join(con, view, made=made)
    return con.execute(CASE_LIST.format(keep=keep, limit=f" limit {int(limit)}" if limit else ""), params).df()


def wait_days(
    con: duckdb.DuckDBPyConnection, view: View, process: str, source: str, target: str, made: Made | None = None
) -> pd.DataFrame:
    """How many waits of one transition lasted each whole number of days (the view's cases only)."""
    keep, params = _kept_join(con, view, made=made, process=process)
    sql = (
        f"select greatest(round(x.wait_seconds / 86400), 0)::int as days, count(*) as n_waits "
        f"from marts.bottleneck_waits as x{keep} and x.source_activity = $source "
        "and x.target_activity = $target group by 1 order by 1"
    )
    return con.execute(sql, params | {"source": source, "target": target}).df()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP's list)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as CSV for a spreadsheet: a text cell that starts like a formula (an activity named
    `=HYPERLINK(...)`, say) gets a leading apostrophe, so Excel and LibreOffice show it as text, never run it."""
    text = frame.select_dtypes(include=["object", "string"]).columns
    safe = frame.copy()
    for c in text:
        safe[c] = safe[c].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return safe.to_csv(index=False).encode()
