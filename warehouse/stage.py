"""A batch's rows staged on disk, outside its transaction: mapped, counted, and their rejects set aside.

The stage tables live in `main` and are named with a leading `_`: `_batch` (canonical rows,
each with its source key), `_quarantine` (rows that cannot be used, with why), and whatever a
kind of source adds (an OCEL log's objects and relations). They are committed as they fill, so a
large file never sits in one transaction's memory, and dropped when the load ends, stored or not.
Rows read in chunks (`stage_chunks`) are staged in a Parquet file beside the warehouse instead,
`_batch` a view over it: Arrow writes it in a third of the time DuckDB takes to append the same
rows to a table (and then to its log), and DuckDB reads it back in parallel. The file holds what
the table held (pseudonymised rows) and is deleted with the stage tables.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from connectors.base import RawChunk
from vaerdistrom.schema import CONTACTS, EVENTS, duckdb_type
from warehouse.ahead import ahead
from warehouse.batch import QUARANTINE, BatchReport, LoadError, file_label
from warehouse.config import Source
from warehouse.mapping import staged, to_canonical
from warehouse.migrations import rollback
from warehouse.pseudonym import Pseudonymiser
from warehouse.quote import lit, q

# the warehouse table a source's rows go to, and its canonical schema, by the source's `records`
STAGING = {"events": ("staging.events", EVENTS), "contacts": ("staging.contacts", CONTACTS)}
# DuckDB 2.0 (as installed here) lost a temporary table's rows after one append larger than a
# row group (122,880 rows) inside a transaction: the table then read as empty. Appends stay well
# below that, and `stage_chunks` counts what it staged before anything is stored.
APPEND_ROWS = 50_000
# Stage appends are committed in groups: each commit costs a write to DuckDB's log, and one
# transaction over the whole file would hold all of it in memory (DuckDB keeps a transaction's
# appends in memory until it commits: about 5 GB for 10M rows).
COMMIT_ROWS = 500_000


@dataclass
class Mapped:
    """One chunk after `to_canonical`: rows read, canonical rows, quarantine rows, DST counts."""

    read: int
    rows: pa.Table
    quarantine: list[tuple]
    ambiguous: int
    nonexistent: int


@dataclass
class Stager:
    """Puts one batch's rows into its stage tables, counting them into its report and quarantining."""

    con: duckdb.DuckDBPyConnection
    src: Source
    name: str
    path: Path | str  # a file, or the label of a connector's pull
    batch_id: int
    pseudo: Pseudonymiser
    report: BatchReport
    on_rows: Callable[[int], None] | None = None
    open: bool = False  # a stage transaction is open
    pending: int = 0  # rows appended in it
    file: pq.ParquetWriter | None = None  # `_batch` staged in a file (`stage_chunks`): its writer, once opened
    file_path: Path | None = None

    def chunk(self, chunk: RawChunk, target: str, src: Source | None = None) -> None:
        self.put(self.map(chunk, src), target)

    def map(self, chunk: RawChunk, src: Source | None = None) -> Mapped:
        """A chunk mapped to the canonical schema (no database work: `ahead` runs it in a thread)."""
        return Mapped(
            chunk.frame.height + len(chunk.unreadable),
            *to_canonical(
                chunk, src or self.src, self.name, self.batch_id, self.pseudo, self.report.columns_pseudonymised
            ),
        )

    def put(self, mapped: Mapped, target: str) -> None:
        """A mapped chunk counted, and staged: its rows into `target`, its rejects into `_quarantine`."""
        r = self.report
        r.rows_read += mapped.read
        r.rows_quarantined += len(mapped.quarantine)
        r.rows_loaded += mapped.rows.num_rows
        r.dst_ambiguous += mapped.ambiguous
        r.dst_nonexistent += mapped.nonexistent
        if mapped.rows.num_rows:
            self.insert(target, mapped.rows)
        self.quarantine(mapped.quarantine)
        if self.on_rows:
            self.on_rows(mapped.read)

    def quarantine(self, rows: list[tuple], record: str = "row") -> None:
        """Rejects (row number, field, reason, row data as JSON) into `_quarantine`, as records of kind `record`."""
        if rows:
            self.insert(
                "_quarantine",
                pa.Table.from_pylist(
                    [
                        {
                            "batch_id": self.batch_id,
                            "source": self.name,
                            "file": file_label(self.path),
                            "row_number": rn,
                            "field": fld,
                            "reason": reason,
                            "row_data": data,
                            "record": record,
                        }
                        for rn, fld, reason, data in rows
                    ],
                    schema=QUARANTINE,
                ),
            )

    def insert(self, target: str, rows: pa.Table | pl.DataFrame) -> None:
        """Append rows to a stage table, at most APPEND_ROWS at a time, committed every COMMIT_ROWS (`_batch`'s
        rows to its file, when it is staged in one)."""
        if target == "_batch" and self.file_path is not None:
            table = rows if isinstance(rows, pa.Table) else rows.to_arrow()
            if self.file is None:
                self.file = pq.ParquetWriter(self.file_path, table.schema, compression="lz4")
            self.file.write_table(table)
            return
        if not self.open:
            self.con.execute("begin transaction")
            self.open = True
        for start in range(0, len(rows), APPEND_ROWS):
            self.con.register("_chunk", rows.slice(start, APPEND_ROWS))
            self.con.execute(f"insert into {target} select * from _chunk").fetchall()
            self.con.unregister("_chunk")
        self.pending += len(rows)
        if self.pending >= COMMIT_ROWS:
            self.done()

    def done(self) -> None:
        """Commit what is staged so far."""
        if self.open:
            self.con.execute("commit")
        self.open, self.pending = False, 0

    def abandon(self) -> None:
        """Roll back what is staged and not committed yet (and close the stage file)."""
        if self.open:
            rollback(self.con)
        self.open, self.pending = False, 0
        if self.file is not None:
            self.file.close()
            self.file = None


def create_stage(con: duckdb.DuckDBPyConnection, src: Source, *, batch_table: bool = True) -> None:
    """The stage tables of one load: `_batch` (unless the stage makes it a view) and `_quarantine`."""
    drop_stage(con)
    if batch_table:
        con.execute(
            f"create table main._batch as select *, null::varchar as _key from {STAGING[src.records][0]} limit 0"
        )
    con.execute("create table main._quarantine as select * from raw.quarantine limit 0")


def stage_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """Where a load's stage files go: beside the warehouse's file (`<file>.stage`), or for a warehouse in memory
    in the machine's temporary folder."""
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()
    if path and path[0][0]:
        return Path(f"{path[0][0]}.stage")
    return Path(tempfile.gettempdir()) / f"vaerdistrom-stage-{os.getpid()}-{id(con)}"


def small_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, tuple[str, list]]) -> None:
    """A few rows (a lookup, a list of numbers) as the temporary table `name`, each column given as (its DuckDB
    type, its values). The values go in as JSON text, one parameter a column: handing DuckDB Arrow data or a list
    imports pandas (a quarter of a second), and a file would put a lookup's CPR numbers on disk."""
    select = ", ".join(f"unnest(from_json(?, '[\"{kind}\"]')) as {q(c)}" for c, (kind, _) in columns.items())
    con.execute(
        f"create or replace temp table {q(name)} as select {select}",
        [json.dumps(values) for _, values in columns.values()],
    ).fetchall()


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Every stage table and view of a load (their names start with '_') and its stage files, also those a crashed
    load left."""
    for name, kind in con.execute(
        "select table_name, table_type from information_schema.tables "
        "where table_schema = 'main' and starts_with(table_name, '_')"
    ).fetchall():
        con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} if exists main.{q(name)}")
    for (name,) in con.execute(
        "select table_name from information_schema.tables where table_catalog = 'temp' and starts_with(table_name, '_')"
    ).fetchall():
        con.execute(f"drop table if exists temp.{q(name)}")
    shutil.rmtree(stage_dir(con), ignore_errors=True)


def stage_chunks(stage: Stager, chunks: Iterable[RawChunk]) -> None:
    """Rows read as `RawChunk`s (a file's, or a pull's) mapped as they come, the next chunk mapped in a thread while
    this one is written, and staged in a Parquet file that `_batch` is then a view of (in the staging table's
    types); then counted back: a row the stage lost refuses the batch."""
    schema = STAGING[stage.src.records][1]
    folder = stage_dir(stage.con)
    folder.mkdir(mode=0o700, exist_ok=True)
    stage.file_path = folder / "batch.parquet"
    try:
        for mapped in ahead(chunks, stage.map):
            stage.put(mapped, "_batch")
        stage.done()
        if stage.file is None:  # no row: an empty file, so that `_batch` has its columns
            stage.insert("_batch", staged(schema).empty_table())
    finally:
        if stage.file is not None:
            stage.file.close()
            stage.file = None
    columns = [f"{q(f.name)}::{duckdb_type(f)} as {q(f.name)}" for f in schema] + ["_key::varchar as _key"]
    stage.con.execute(
        f"create view main._batch as select {', '.join(columns)} from read_parquet({lit(str(stage.file_path))})"
    )
    staged_rows = stage.con.execute("select count(*), count(source) from _batch").fetchall()[0]
    if staged_rows != (stage.report.rows_loaded, stage.report.rows_loaded):
        raise LoadError(
            f"staged {staged_rows[1]:,} of {stage.report.rows_loaded:,} rows: rows were lost "
            "while staging; nothing kept"
        )
