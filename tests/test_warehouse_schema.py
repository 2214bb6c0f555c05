"""The canonical schema and the ordered, recorded migrations."""

import duckdb
import pyarrow as pa
import pytest

from vaerdistrom.schema import EVENTS, TABLES
from warehouse.migrations import MIGRATIONS, Migration, MigrationError, applied, connect, migrate


def test_fresh_warehouse_gets_every_layer_and_table(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    assert [v for v, _ in applied(con)] == [m.version for m in MIGRATIONS]
    tables = set(con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall())
    assert {
        (t,)
        for t in (
            "staging.events",
            "staging.cases",
            "staging.contacts",
            "meta.batches",
            "raw.quarantine",
            "meta.migrations",
        )
    } <= tables
    schemas = {r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert {"raw", "staging", "marts", "meta"} <= schemas


@pytest.mark.parametrize("table, schema", list(TABLES.items()))
def test_tables_have_exactly_the_canonical_columns(table, schema):
    con = connect(":memory:")
    cols = con.execute(f"describe {table}").fetchall()
    assert [c[0] for c in cols] == schema.names
    types = dict((c[0], c[1]) for c in cols)
    assert types.get("ts", "TIMESTAMP WITH TIME ZONE") == "TIMESTAMP WITH TIME ZONE"
    assert types.get("attributes", "JSON") == "JSON"
    nullable = {c[0]: c[2] == "YES" for c in cols}
    assert nullable == {f.name: f.nullable and f.name not in _keys(table) for f in schema}


def _keys(table):
    from vaerdistrom.schema import PRIMARY_KEYS

    return PRIMARY_KEYS[table]


def test_an_arrow_batch_in_the_canonical_schema_inserts_as_is():
    con = connect(":memory:")
    batch = pa.table(
        {
            "event_id": ["0f8fad5b-d9cb-469f-a165-70867728950e"],
            "source": ["nexus"],
            "process": ["visitation"],
            "case_id": ["NX-1"],
            "activity": ["Henvendelse modtaget"],
            "ts": pa.array([1_700_000_000_000_000], pa.timestamp("us", "UTC")),
            "lifecycle": ["complete"],
            "resource": ["Åse Holm"],
            "org_unit": ["Visitation"],
            "channel": ["case_system"],
            "direction": [None],
            "citizen_key": ["cz_1"],
            "attributes": ['{"bemaerkning": "ø"}'],
            "source_seq": [1],
            "batch_id": [1],
            "start_ts": pa.array([None], pa.timestamp("us", "UTC")),
        },
        schema=EVENTS,
    )
    con.register("b", batch)
    con.execute("insert into staging.events select * from b")
    assert con.execute("select attributes->>'bemaerkning', epoch(ts) from staging.events").fetchone() == ("ø", 1.7e9)


def test_reopening_applies_nothing_and_a_failed_migration_leaves_no_trace(tmp_path):
    path = tmp_path / "w.duckdb"
    connect(path).close()
    con = duckdb.connect(str(path))
    assert migrate(con) == []
    bad = MIGRATIONS + (
        Migration(
            99,
            "half a change",
            lambda c: (c.execute("create table marts.half (x int)"), c.execute("select * from no_such_table")),
        ),
    )
    with pytest.raises(MigrationError, match="migration 99 \\(half a change\\) failed"):
        migrate(con, bad)
    assert con.execute("select count(*) from information_schema.tables where table_name = 'half'").fetchone() == (0,)
    assert 99 not in [v for v, _ in applied(con)]


def test_a_warehouse_from_a_newer_version_is_refused(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    con.execute("insert into meta.migrations (version, name) values (500, 'from the future')")
    with pytest.raises(MigrationError, match=r"migrations \[500\] that this version of vaerdistrom does not know"):
        migrate(con)


def test_every_canonical_table_is_created_by_a_migration():
    con = connect(":memory:")
    tables = {
        r[0]
        for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables where table_schema = 'staging'"
        ).fetchall()
    }
    assert (
        tables
        == set(TABLES)
        == {
            "staging.events",
            "staging.cases",
            "staging.contacts",
            "staging.ocel_events",
            "staging.objects",
            "staging.object_changes",
            "staging.event_objects",
            "staging.object_objects",
        }
    )


def test_a_warehouse_made_before_interval_rows_gets_their_start_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, MIGRATIONS[:9])  # as vaerdistrom made it before migration 10
    con.execute("alter table staging.events drop column start_ts")  # migration 2 creates today's schema
    con.execute(
        "insert into staging.events values (gen_random_uuid(), 'nexus', 'visitation', 'NX-1', 'Visit', "
        "'2025-01-01 10:00+00', 'complete', null, null, 'case_system', null, null, '{}', 1, 1)"
    )
    con.execute("insert into raw.quarantine values (1, 'nexus', 'a.csv', 7, 'ts', 'timestamp missing', '{}')")
    assert migrate(con) == [10, 11, 12]
    # migration 12: the quarantine's rows kept, each a 'row' record, and an OCEL relation may share its number
    assert con.execute("select row_number, reason, record from raw.quarantine").fetchall() == [
        (7, "timestamp missing", "row")
    ]
    con.execute("insert into raw.quarantine values (1, 'nexus', 'a.csv', 7, 'ocel:oid', 'x', '{}', 'relation')")
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = "
            "'staging' and table_name = 'events' order by ordinal_position"
        ).fetchall()
    ]
    assert columns == EVENTS.names
    assert con.execute("select case_id, start_ts from staging.events").fetchall() == [("NX-1", None)]
