"""Publishing: what dashboards and reports read, as a separate read-only DuckDB file swapped in by one rename.

The snapshot holds every mart, the KPI history, the runs and the batches. It is written
under a temporary name next to the published file, checkpointed and synced, then
`os.replace`d over it: a reader opens either last night's file or tonight's, never a half
one, and a run that dies before the rename leaves last night's in place. Readers never
open the live warehouse, so a nightly run never waits for them nor they for it.

A night does not write the whole snapshot again: the temporary file starts as a copy of
last night's, and a mart whose rows belong to one case each (`per_case`) gets only the
rows of the cases that batches since then touched, as the warehouse did when it mined. The
snapshot keeps the warehouse's `meta.mart_state` to know what it holds; a mart built whole
since then (new SQL or rules, or a full rebuild after corrections) is copied whole. A mart
rebuilt whole every night whose rows are grouped by a key (a contact, a citizen, a case)
gets only the groups whose rows differ from last night's (compared row by row), and the
other marts are copied whole.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from vaerdistrom.schema import TOUCHED_CASES
from warehouse.changes import replace_changed
from warehouse.quote import lit
from warehouse.session import snapshot_path

# the history tables, each with the key its changed rows are found by (none: copied whole)
TABLES = {
    "meta.kpi_history": (),
    "meta.runs": (),
    "meta.batches": (),
    "meta.deadline_breaches": ("process", "case_id"),
    "meta.mart_state": (),
}
TOUCHED = "semi join _published_touched as t on t.case_id = x.case_id and t.process is not distinct from x.process"


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> dict[str, list[tuple[str, str]]]:
    """Each table of `catalog`.`schema` with its (column, type) list, in order."""
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns where "
        "table_catalog = ? and table_schema = ? order by table_name, ordinal_position",
        [catalog, schema],
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return out


def _state(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, tuple]:
    """`catalog`'s meta.mart_state: mart -> (fingerprint, last batch, last built whole)."""
    if "mart_state" not in _columns(con, catalog, "meta"):
        return {}
    if ("rebuilt_at", "TIMESTAMP WITH TIME ZONE") not in _columns(con, catalog, "meta")["mart_state"]:
        return {}
    return {
        m: (fp, last, whole)
        for m, fp, last, whole in con.execute(
            f"select mart, fingerprint, last_batch_id, rebuilt_at from {catalog}.meta.mart_state"
        ).fetchall()
    }


def _in_step(before: tuple | None, now: tuple | None) -> bool:
    """Whether a snapshot's per-case mart built as `before` becomes the warehouse's (`now`) by updating the cases
    batches since `before` touched."""
    return (
        before is not None
        and now is not None
        and before[2] is not None
        and before[0] == now[0]
        and before[2] == now[2]
        and before[1] <= now[1]
    )


def _clustered(columns: list[tuple[str, str]]) -> str:
    """The order a mart of cases is written in: by process and case, so that a reader's filter on a process or on
    some cases skips the blocks of the rest (DuckDB keeps each block's smallest and largest value); 3-4x faster
    to filter on 6.6M activity instances than rows in the order mining wrote them."""
    names = {c for c, _ in columns}
    return " order by process, case_id" if {"process", "case_id"} <= names else ""


def publish(
    con: duckdb.DuckDBPyConnection,
    published: Path,
    kill_point=lambda name: None,
    per_case: frozenset[str] = frozenset(),
    keys: dict[str, tuple[str, ...]] | None = None,
) -> tuple[Path, dict[str, str]]:
    """Write the warehouse's marts and history to a new snapshot and swap it in; returns the snapshot's path and
    how each mart got there: 'whole', 'cases' (a mart of `per_case` updated for the cases touched since) or
    'changed' (a mart of `keys` updated for the keys whose rows changed).

    `kill_point` is called between writing and swapping (the crash tests stop the process there).
    """
    keys = keys or {}
    published.mkdir(parents=True, exist_ok=True)
    target = snapshot_path(published)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in published.glob(f".{target.name}.*.tmp*"):  # from a run that died while writing
        leftover.unlink()
    live = con.execute("select current_database()").fetchall()[0][0]
    marts = _columns(con, live, "marts")
    try:  # a publish that fails (a full disk) leaves last night's snapshot, and no half-written file beside it
        if target.exists():
            shutil.copyfile(target, tmp)
        con.execute(f"attach {lit(str(tmp))} as snapshot")  # a quote in the path is a quote, not the end of the SQL
        written = False
        try:
            con.execute("create schema if not exists snapshot.marts")
            con.execute("create schema if not exists snapshot.meta")
            how = _write_marts(con, live, marts, per_case, keys)
            _write_history(con, live)
            con.execute("checkpoint snapshot")
            written = True
        finally:
            try:
                con.execute("detach snapshot")
            except duckdb.Error:
                if written:  # nothing else went wrong: this is the error to report
                    raise
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
    except BaseException:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    kill_point("publish:written")
    os.replace(tmp, target)
    directory = os.open(published, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)
    return target, how


def _write_marts(
    con: duckdb.DuckDBPyConnection,
    live: str,
    marts: dict[str, list[tuple[str, str]]],
    per_case: frozenset[str],
    keys: dict[str, tuple[str, ...]],
) -> dict[str, str]:
    """The warehouse's marts into the attached snapshot (the ones it no longer has dropped); how each got there."""
    how: dict[str, str] = {}
    had, before, now = _columns(con, "snapshot", "marts"), _state(con, "snapshot"), _state(con, live)
    for gone in sorted(set(had) - set(marts)):
        con.execute(f"drop table snapshot.marts.{gone}")
    for mart in sorted(marts):
        if mart in per_case and had.get(mart) == marts[mart] and _in_step(before.get(mart), now.get(mart)):
            _update_cases(con, mart, before[mart][1])
            how[mart] = "cases"
        elif keys.get(mart) and had.get(mart) == marts[mart]:
            replace_changed(con, f"marts.{mart}", f"snapshot.marts.{mart}", keys[mart])
            how[mart] = "changed"
        else:
            con.execute(
                f"create or replace table snapshot.marts.{mart} as select * from marts.{mart}" + _clustered(marts[mart])
            )
            how[mart] = "whole"
    return how


def _write_history(con: duckdb.DuckDBPyConnection, live: str) -> None:
    """The warehouse's history tables (`TABLES`) into the attached snapshot: by changed keys where it can."""
    history = _columns(con, "snapshot", "meta")
    for table, key in TABLES.items():
        schema, name = table.split(".")
        if key and history.get(name) == _columns(con, live, schema).get(name):
            replace_changed(con, table, f"snapshot.{table}", key)
        else:
            con.execute(f"create or replace table snapshot.{table} as select * from {table}")


def _update_cases(con: duckdb.DuckDBPyConnection, mart: str, since: int) -> None:
    """The snapshot's rows of `mart` for the cases batches after `since` touched, replaced by the warehouse's."""
    con.execute(f"create or replace temp table _published_touched as {TOUCHED_CASES}", [since])
    try:
        con.execute(
            f"delete from snapshot.marts.{mart} as x where exists (select 1 from _published_touched as t "
            "where t.case_id = x.case_id and t.process is not distinct from x.process)"
        )
        con.execute(f"insert into snapshot.marts.{mart} select x.* from marts.{mart} as x {TOUCHED}")
    finally:
        con.execute("drop table if exists _published_touched")
