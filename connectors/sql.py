"""SQL connector: a table or query of a live database, read incrementally, streamed as Arrow batches.

PostgreSQL, MySQL/MariaDB and Microsoft SQL Server are read through connectorx, whose drivers
are compiled into its wheel (no ODBC, no client library to install, nothing downloaded). A pull
asks for the rows whose watermark column (an `updated_at`, or an id) is at least the highest
value the last pull saw, less a lookback for rows written late; the warehouse keeps only the
rows it does not have (by their id), so reading a row twice never counts it twice. Rows arrive
in watermark order, `batch_rows` at a time, and leave as `RawChunk`s for the normal load path.

This module knows databases and nothing downstream: what a pull's watermark is, and where it is
kept between runs, is the warehouse's (`warehouse.pull`).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from connectors.base import RawChunk, ReadError, arrow_frame, numbered
from connectors.watermark import Watermark


@dataclass(frozen=True)
class Dialect:
    """How one kind of database is addressed (connectorx's scheme) and spelled (quotes, literals)."""

    name: str  # postgresql | mysql | mssql
    scheme: str  # the scheme connectorx expects
    open_quote: str
    close_quote: str

    def ident(self, name: str) -> str:
        """A quoted identifier; `schema.table` is quoted part by part."""
        close = self.close_quote
        return ".".join(self.open_quote + part.replace(close, close * 2) + close for part in name.split("."))

    def text(self, value: str) -> str:
        """A string literal (MySQL also reads backslashes as escapes)."""
        if self.name == "mysql":
            value = value.replace("\\", "\\\\")
        return "'" + value.replace("'", "''") + "'"

    def literal(self, mark: Watermark) -> str:
        """The watermark as a literal of its own type, comparable with the column it came from."""
        v = mark.value
        if mark.kind == "integer":
            return str(int(v))
        if mark.kind == "text":
            return self.text(v)
        if mark.kind == "date":
            return f"cast({self.text(v)} as date)" if self.name == "mssql" else f"date {self.text(v)}"
        t = dt.datetime.fromisoformat(v)
        if t.tzinfo is not None and self.name == "mysql":  # MySQL compares in the session's zone: give it UTC
            t = t.astimezone(dt.UTC).replace(tzinfo=None)
        if self.name == "mssql":
            kind = "datetimeoffset(7)" if t.tzinfo else "datetime2(7)"
            return f"cast({self.text(t.isoformat())} as {kind})"
        kind = "timestamptz" if t.tzinfo and self.name == "postgresql" else "timestamp"
        return f"{kind} {self.text(t.isoformat(sep=' '))}"


DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mssql": 1433}
CONNECT_SECONDS = 10.0  # how long reaching the server may take (connectorx's own pool waits 30 s, retrying)

DIALECTS = {
    "postgresql": Dialect("postgresql", "postgresql", '"', '"'),
    "mysql": Dialect("mysql", "mysql", "`", "`"),
    "mssql": Dialect("mssql", "mssql", "[", "]"),
}
SCHEMES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mssql": "mssql",
    "sqlserver": "mssql",
}


def dialect_of(dsn: str) -> Dialect:
    """The dialect a DSN's scheme names (`postgresql://`, `mysql://` or `mariadb://`, `mssql://`)."""
    scheme = urlsplit(dsn).scheme.lower()
    if scheme not in SCHEMES:
        raise ReadError(
            f"the DSN's scheme {scheme + '://' if scheme else '(none)'} is not a database vaerdistrom "
            f"reads (it reads {', '.join(sorted(SCHEMES))})"
        )
    return DIALECTS[SCHEMES[scheme]]


def connectorx_dsn(dsn: str) -> str:
    """The DSN with the scheme connectorx expects (`mariadb://` is `mysql://` to it)."""
    parts = urlsplit(dsn)
    return urlunsplit((dialect_of(dsn).scheme, *parts[1:]))


def redact(dsn: str) -> str:
    """A DSN fit for a log or an error message: the password left out."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def dsn_from_env(variable: str, where: str) -> str:
    """The DSN held by environment variable `variable`, read now (never at import, never from the config)."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise ReadError(
            f"{where}: environment variable {variable} is not set (it holds the database's DSN, "
            "e.g. postgresql://user:password@host:5432/database)"
        )
    dialect_of(value)
    return value


def pull_query(
    dialect: Dialect,
    *,
    table: str | None = None,
    query: str | None = None,
    watermark: str | None = None,
    since: Watermark | None = None,
    order: tuple[str, ...] = (),
) -> str:
    """The select of one pull: the rows from `since` on (all without it), in watermark (then `order`) order."""
    if (table is None) == (query is None):
        raise ValueError("give either table or query")
    if table:
        source = dialect.ident(table)
    else:
        assert query is not None  # the check above: a query when there is no table
        source = f"({query.strip().rstrip(';')}) as q"
    sql = f"select * from {source}"
    if watermark and since is not None:
        sql += f" where {dialect.ident(watermark)} >= {dialect.literal(since)}"
    keys = [c for c in ((watermark,) if watermark else ()) + order if c]
    if keys:
        sql += " order by " + ", ".join(dict.fromkeys(dialect.ident(c) for c in keys))
    return sql


def arrow_types(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A database's Arrow types as the load path reads them.

    Decimals become doubles; timestamps microseconds, zoned ones in UTC; times, binary and UUID
    columns text (hex for binary); an all-null column of no type text.
    """
    columns, fields = [], []
    for f, col in zip(batch.schema, batch.columns, strict=True):  # a schema has one field per column
        t = f.type
        if pa.types.is_decimal(t):
            col = col.cast(pa.float64())
        elif pa.types.is_timestamp(t):
            col = col.cast(pa.timestamp("us", tz="UTC" if t.tz else None))
        elif pa.types.is_time(t) or pa.types.is_null(t) or pa.types.is_large_string(t):
            col = col.cast(pa.string())
        elif pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
            col = pa.array([None if v is None else v.hex() for v in col.to_pylist()], pa.string())
        elif isinstance(t, pa.ExtensionType):
            col = pa.array([None if v is None else str(v) for v in col.to_pylist()], pa.string())
        columns.append(col)
        fields.append(pa.field(f.name, col.type))
    return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields))


def reach(dsn: str, where: str) -> None:
    """A TCP connection to the DSN's server, at once: an unreachable server is said in seconds, with its address.

    (A DSN without a host, for a local socket, is left to the driver.)
    """
    parts = urlsplit(dsn)
    if not parts.hostname:
        return
    port = parts.port or DEFAULT_PORTS[dialect_of(dsn).name]
    try:
        socket.create_connection((parts.hostname, port), timeout=CONNECT_SECONDS).close()
    except OSError as e:
        raise ReadError(
            f"{where}: cannot connect to {redact(dsn)}: {e.strerror or type(e).__name__} ({parts.hostname}:{port})"
        ) from None


class SqlPull:
    """One pull's rows as `RawChunk`s; after the last, `high` is the highest watermark seen (or `since`)."""

    def __init__(
        self, dsn: str, sql: str, *, watermark: str | None, since: Watermark | None, batch_rows: int, where: str
    ) -> None:
        self.dsn, self.sql, self.watermark, self.batch_rows, self.where = dsn, sql, watermark, batch_rows, where
        self.high: Watermark | None = since
        self._high_value = None
        self.rows = 0

    def __iter__(self) -> Iterator[RawChunk]:
        import connectorx as cx

        reach(self.dsn, self.where)
        try:
            # connectorx's overloads have none for arrow_stream (they fall to the default, a pandas frame)
            reader: pa.RecordBatchReader = cx.read_sql(
                connectorx_dsn(self.dsn), self.sql, return_type="arrow_stream", batch_size=self.batch_rows
            )
            for batch in reader:
                if not batch.num_rows:
                    continue
                batch = arrow_types(batch)
                self._track(batch)
                frame = arrow_frame(pa.Table.from_batches([batch]))
                yield RawChunk(numbered(frame, self.rows + 1))
                self.rows += batch.num_rows
        except (ReadError, KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as e:  # connectorx raises RuntimeError, and a PanicException (a BaseException) mid-stream
            said = " ".join(str(e).split())[:500].replace(self.dsn, redact(self.dsn))
            raise ReadError(
                f"{self.where}: reading {redact(self.dsn)} failed after {self.rows:,} rows: {said}"
            ) from None

    def _track(self, batch: pa.RecordBatch) -> None:
        if not self.watermark:
            return
        if self.watermark not in batch.schema.names:
            raise ReadError(
                f"{self.where}: the watermark column {self.watermark!r} is not in the rows (they have: "
                f"{', '.join(batch.schema.names)})"
            )
        top = pc.max(batch.column(self.watermark)).as_py()
        if top is not None and (self._high_value is None or top > self._high_value):
            self._high_value = top
            self.high = Watermark.of(top)


def probe(dsn: str, where: str) -> None:
    """Connect and run `select 1`: a clear error now when the database cannot be reached or refuses us."""
    import connectorx as cx

    reach(dsn, where)
    try:
        cx.read_sql(connectorx_dsn(dsn), "select 1 as ok", return_type="arrow")
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - connectorx's own error types, its panics among them
        said = " ".join(str(e).split())[:500].replace(dsn, redact(dsn))
        raise ReadError(f"{where}: cannot connect to {redact(dsn)}: {said}") from None
