"""Ordered schema migrations, recorded in the database (sqlite-utils' `Migrations` habit).

Each migration runs once, in its own transaction, and is recorded in `meta.migrations`
with its version and name. A warehouse opened by a newer vaerdistrom is brought up to
date; one made by a newer version than this one is refused with a clear message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from vaerdistrom.errors import VaerdistromError
from vaerdistrom.schema import UNINDEXED, create_table_sql
from warehouse.session import SESSION, WarehouseBusy, busy_message

SQL = Path(__file__).with_name("sql")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


def sql_file(name: str) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """A migration step that runs one `.sql` file from warehouse/sql/."""

    def run(con: duckdb.DuckDBPyConnection) -> None:
        con.execute((SQL / name).read_text(encoding="utf-8"))

    return run


def canonical_tables(*tables: str) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """A migration step creating staging tables from their Arrow schemas in vaerdistrom/schema.py."""

    def run(con: duckdb.DuckDBPyConnection) -> None:
        for table in tables:
            con.execute(create_table_sql(table))

    return run


def drop_event_indexes(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild staging.events and staging.contacts without their primary-key index (see schema.UNINDEXED)."""
    for table in sorted(UNINDEXED):
        con.execute(f"alter table {table} rename to _old")
        con.execute(create_table_sql(table))
        con.execute(f"insert into {table} by name select * from {table.split('.')[0]}._old")
        con.execute(f"drop table {table.split('.')[0]}._old")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "layers and batches", sql_file("001_layers.sql")),
    Migration(2, "canonical staging tables", canonical_tables("staging.events", "staging.cases", "staging.contacts")),
    Migration(3, "quarantine", sql_file("003_quarantine.sql")),
    Migration(
        4,
        "object-centric logs",
        canonical_tables(
            "staging.ocel_events",
            "staging.objects",
            "staging.object_changes",
            "staging.event_objects",
            "staging.object_objects",
        ),
    ),
    Migration(5, "event and contact ids kept unique by the loader, without an index", drop_event_indexes),
    Migration(6, "mart state, for incremental mining", sql_file("006_mart_state.sql")),
    Migration(7, "nightly runs, KPI history and deadline breaches", sql_file("007_runs.sql")),
    Migration(8, "when each mart was last built whole, for publishing case by case", sql_file("008_rebuilt_at.sql")),
    Migration(9, "watermarks of the sources pulled from live systems", sql_file("009_watermarks.sql")),
    Migration(
        10,
        "the start of an interval row (an activity instance with a start and a completion column)",
        sql_file("010_start_ts.sql"),
    ),
    Migration(11, "a failed load's row in meta.batches, with its error", sql_file("011_failed_batches.sql")),
    Migration(
        12, "quarantined records of an object-centric log beside its rows", sql_file("012_quarantine_records.sql")
    ),
)


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if any: after a commit that failed (a full disk) none is open, and a
    'cannot rollback' error would hide the error that matters."""
    with contextlib.suppress(duckdb.Error):
        con.execute("rollback")


class MigrationError(VaerdistromError, RuntimeError):
    """The warehouse cannot be brought to this version's schema."""


def applied(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """(version, name) of the migrations recorded in the database, in order."""
    con.execute("create schema if not exists meta")
    con.execute(
        "create table if not exists meta.migrations (version integer primary key, name varchar not null, "
        "applied_at timestamptz not null default now())"
    )
    return con.execute("select version, name from meta.migrations order by version").fetchall()


def migrate(con: duckdb.DuckDBPyConnection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the pending migrations in order; return the versions applied now."""
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)):
        raise MigrationError(f"migration versions must be unique and ascending, got {versions}")
    done = {v for v, _ in applied(con)}
    newer = sorted(done - set(versions))
    if newer:
        raise MigrationError(
            f"this warehouse has migrations {newer} that this version of vaerdistrom does not know; upgrade vaerdistrom"
        )
    now = []
    for m in migrations:
        if m.version in done:
            continue
        con.execute("begin transaction")
        try:
            m.apply(con)
            con.execute("insert into meta.migrations (version, name) values (?, ?)", [m.version, m.name])
            con.execute("commit")
        except Exception as e:
            rollback(con)
            raise MigrationError(f"migration {m.version} ({m.name}) failed: {e}") from e
        now.append(m.version)
    return now


DEFAULT_MEMORY_LIMIT = "2GB"


def connect(path: str | Path, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """Open (or create) the warehouse at `path`, brought up to this version's schema.

    DuckDB's memory is capped (it spills to a temporary folder beside the file beyond that),
    so a nightly load shares the machine instead of taking 80% of it.
    """
    try:
        con = duckdb.connect(str(path), config={"memory_limit": memory_limit})
    except duckdb.IOException as e:
        if "lock" not in str(e).lower():
            raise
        raise WarehouseBusy(busy_message(Path(path))) from None
    con.execute(SESSION)
    migrate(con)
    return con
