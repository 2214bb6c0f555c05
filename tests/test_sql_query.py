"""The SQL connector's query building, literals and type mapping: what can be checked without a server.

SQL Server has no server on this machine: its queries and literals are checked here as text,
and its Arrow types through the same mapping the PostgreSQL and MariaDB tests exercise for real.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import pyarrow as pa
import pytest

from connectors.base import ReadError
from connectors.sql import DIALECTS, arrow_types, connectorx_dsn, dialect_of, pull_query, redact
from connectors.watermark import Watermark

PG, MY, MS = DIALECTS["postgresql"], DIALECTS["mysql"], DIALECTS["mssql"]
AWARE = Watermark("timestamptz", "2025-03-30T01:30:00.250000+00:00")
NAIVE = Watermark("timestamp", "2025-03-30T02:30:00")


@pytest.mark.parametrize(
    "dialect, expected",
    [
        (
            PG,
            'select * from "sag"."haendelser" where "opdateret" >= timestamptz \'2025-03-30 01:30:00.250000+00:00\' '
            'order by "opdateret", "id"',
        ),
        (
            MY,
            "select * from `sag`.`haendelser` where `opdateret` >= timestamp '2025-03-30 01:30:00.250000' "
            "order by `opdateret`, `id`",
        ),
        (
            MS,
            "select * from [sag].[haendelser] where [opdateret] >= cast('2025-03-30T01:30:00.250000+00:00' as "
            "datetimeoffset(7)) order by [opdateret], [id]",
        ),
    ],
)
def test_a_table_pull_asks_from_the_watermark_on_in_watermark_order(dialect, expected):
    assert pull_query(dialect, table="sag.haendelser", watermark="opdateret", since=AWARE, order=("id",)) == expected


def test_a_query_is_wrapped_and_a_first_pull_asks_for_everything():
    assert (
        pull_query(MS, query="select a, b from t where c = 1;\n", watermark="a", since=Watermark("integer", "41"))
        == "select * from (select a, b from t where c = 1) as q where [a] >= 41 order by [a]"
    )
    assert pull_query(PG, table="t", watermark="a", since=None) == 'select * from "t" order by "a"'
    assert pull_query(MY, table="t") == "select * from `t`"
    with pytest.raises(ValueError, match="either table or query"):
        pull_query(PG, table="t", query="select 1")


def test_literals_keep_their_type_and_quote_what_needs_quoting():
    assert PG.literal(NAIVE) == "timestamp '2025-03-30 02:30:00'"
    assert MS.literal(NAIVE) == "cast('2025-03-30T02:30:00' as datetime2(7))"
    assert MY.literal(Watermark("timestamptz", "2025-03-30T03:30:00+02:00")) == "timestamp '2025-03-30 01:30:00'"
    assert PG.literal(Watermark("date", "2025-01-31")) == "date '2025-01-31'"
    assert MS.literal(Watermark("date", "2025-01-31")) == "cast('2025-01-31' as date)"
    assert PG.literal(Watermark("text", "o'brien\\x")) == "'o''brien\\x'"
    assert MY.literal(Watermark("text", "o'brien\\x")) == "'o''brien\\\\x'"
    assert PG.ident('we"ird') == '"we""ird"' and MS.ident("a]b") == "[a]]b]" and MY.ident("a`b") == "`a``b`"


def test_the_lookback_moves_the_watermark_back_in_its_own_unit():
    assert Watermark("integer", "1000").back(ids=25) == Watermark("integer", "975")
    assert AWARE.back(seconds=3600) == Watermark("timestamptz", "2025-03-30T00:30:00.250000+00:00")
    assert NAIVE.back(seconds=90) == Watermark("timestamp", "2025-03-30T02:28:30")
    assert Watermark("date", "2025-03-01").back(seconds=3600) == Watermark("date", "2025-02-28")  # a whole day
    assert Watermark("text", "b").back(seconds=5) == Watermark("text", "b")


def test_a_watermark_given_by_hand_is_an_integer_a_date_or_a_time():
    assert Watermark.parse(" 17 ") == Watermark("integer", "17")
    assert Watermark.parse("2025-01-01") == Watermark("date", "2025-01-01")
    assert Watermark.parse("2025-01-01T10:00:00Z") == Watermark("timestamptz", "2025-01-01T10:00:00+00:00")
    with pytest.raises(ReadError, match="'last tuesday' is neither an integer nor an ISO 8601 date or time"):
        Watermark.parse("last tuesday")


def test_dsns_name_their_database_and_hide_their_password():
    assert dialect_of("postgres://a@b/c") is PG and dialect_of("mariadb://a@b/c") is MY
    assert dialect_of("sqlserver://a@b/c") is MS
    assert connectorx_dsn("mariadb://u:p@h:3306/db") == "mysql://u:p@h:3306/db"
    assert connectorx_dsn("sqlserver://u:p@h/db?encrypt=true") == "mssql://u:p@h/db?encrypt=true"
    assert (
        redact("mssql://sa:S3cret!@db.kommune.dk:1433/esdh?encrypt=true")
        == "mssql://sa:***@db.kommune.dk:1433/esdh?encrypt=true"
    )
    assert redact("postgresql://reader@db/sager") == "postgresql://reader@db/sager"
    with pytest.raises(
        ReadError,
        match=r"scheme sqlite:// is not a database vaerdistrom reads \(it reads mariadb, "
        r"mssql, mysql, postgres, postgresql, sqlserver\)",
    ):
        dialect_of("sqlite:///x.db")


def test_database_types_become_what_the_load_path_reads():
    """As connectorx hands them over: numeric(10,2), datetimeoffset, time, varbinary, uniqueidentifier, null."""
    batch = pa.RecordBatch.from_pydict(
        {
            "beloeb": pa.array([decimal.Decimal("12.50"), None], pa.decimal128(10, 2)),
            "opdateret": pa.array(
                [dt.datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))), None],
                pa.timestamp("ns", tz="+01:00"),
            ),
            "lokal": pa.array([dt.datetime(2025, 1, 1, 12), None], pa.timestamp("ms")),
            "klokken": pa.array([dt.time(8, 30), None], pa.time64("us")),
            "blob": pa.array([b"\x00\xff", None], pa.binary()),
            "guid": pa.array([uuid.UUID(int=1).bytes, None], pa.binary(16)),
            "tom": pa.array([None, None], pa.null()),
            "antal": pa.array([1, 2], pa.int32()),
        }
    )
    out = arrow_types(batch)
    assert out.schema.types == [
        pa.float64(),
        pa.timestamp("us", tz="UTC"),
        pa.timestamp("us"),
        pa.string(),
        pa.string(),
        pa.string(),
        pa.string(),
        pa.int32(),
    ]
    first = out.to_pylist()[0]
    first["opdateret"] = first["opdateret"].astimezone(dt.UTC)
    assert first == {
        "beloeb": 12.5,
        "opdateret": dt.datetime(2025, 1, 1, 11, 0, 0, 123456, tzinfo=dt.UTC),
        "lokal": dt.datetime(2025, 1, 1, 12),
        "klokken": "08:30:00.000000",
        "blob": "00ff",
        "guid": "00000000000000000000000000000001",
        "tom": None,
        "antal": 1,
    }
