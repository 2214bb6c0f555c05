"""The canonical model, defined once: events, cases and contacts as Arrow schemas.

Every connector yields batches in these schemas, the warehouse creates its tables
from them (`create_table_sql`), and every mining function reads them. Column names
are not re-declared anywhere else.

Grains:
- `staging.events`: one row per event of a case (or of a contact not yet attributed).
- `staging.cases`: one row per case and source.
- `staging.contacts`: one row per off-system contact (phone call, e-mail, visit).
- `staging.ocel_events`, `staging.objects`, `staging.object_changes`, `staging.event_objects`,
  `staging.object_objects`: an object-centric log as it was, one row per event, object,
  attribute change and relation.
"""

from __future__ import annotations

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")
JSON_META = {b"duckdb_type": b"JSON"}


def _uuid(name: str) -> pa.Field:
    """A stable row id: an MD5 of the source and the row's key, stored as a 16-byte DuckDB UUID."""
    return pa.field(name, pa.string(), nullable=False, metadata={b"duckdb_type": b"UUID"})


def _json(name: str) -> pa.Field:
    """A JSON document (everything else the source had), stored as DuckDB JSON."""
    return pa.field(name, pa.string(), metadata=JSON_META)


EVENTS = pa.schema(
    [
        _uuid("event_id"),  # hash of source + the source's own event key
        pa.field("source", pa.string(), nullable=False),  # configured source name, e.g. "nexus"
        pa.field("process", pa.string()),  # service / case type, e.g. "visitation"
        pa.field("case_id", pa.string()),
        pa.field("activity", pa.string(), nullable=False),
        pa.field("ts", UTC_TS, nullable=False),
        pa.field("lifecycle", pa.string()),  # "start" / "complete" or the source's own value
        pa.field("resource", pa.string()),
        pa.field("org_unit", pa.string()),
        pa.field("channel", pa.string()),  # case_system, phone, email, visit, self_service, letter, ...
        pa.field("direction", pa.string()),  # contacts: inbound / outbound
        pa.field("citizen_key", pa.string()),  # keyed HMAC pseudonym of the CPR number, never the number
        _json("attributes"),
        pa.field("source_seq", pa.int64(), nullable=False),  # position in the source: breaks timestamp ties
        pa.field("batch_id", pa.int64(), nullable=False),
        # an interval row's start (one row per activity instance, with a start and a completion column); NULL for a
        # source whose rows are single events. Last, as migration 10 added it to warehouses made before.
        pa.field("start_ts", UTC_TS),
    ]
)

CASES = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("case_id", pa.string(), nullable=False),
        pa.field("process", pa.string()),
        pa.field("citizen_key", pa.string()),
        pa.field("opened_at", UTC_TS),
        pa.field("closed_at", UTC_TS),
        pa.field("deadline_at", UTC_TS),
        _json("attributes"),
        pa.field("batch_id", pa.int64(), nullable=False),
    ]
)

CONTACTS = pa.schema(
    [
        _uuid("contact_id"),  # hash of source + the log's own key
        pa.field("source", pa.string(), nullable=False),
        pa.field("ts", UTC_TS, nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("direction", pa.string()),
        pa.field("citizen_key", pa.string()),
        pa.field("case_ref", pa.string()),  # the case number the contact shows, if any
        pa.field("org_unit", pa.string()),
        pa.field("resource", pa.string()),
        pa.field("duration_seconds", pa.float64()),
        _json("attributes"),
        pa.field("source_seq", pa.int64(), nullable=False),
        pa.field("batch_id", pa.int64(), nullable=False),
    ]
)

# Object-centric logs (OCEL) keep their objects and relations; their events are also
# flattened into `staging.events`, one row per event and object of the source's case type.
OCEL_EVENTS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("event_key", pa.string(), nullable=False),  # the log's own event id
        pa.field("activity", pa.string(), nullable=False),
        pa.field("ts", UTC_TS, nullable=False),
        pa.field("resource", pa.string()),
        _json("attributes"),
        pa.field("source_seq", pa.int64(), nullable=False),
        pa.field("batch_id", pa.int64(), nullable=False),
    ]
)

OBJECTS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("object_id", pa.string(), nullable=False),
        pa.field("object_type", pa.string(), nullable=False),
        _json("attributes"),  # the object's attribute values from the start (later values: object_changes)
        pa.field("batch_id", pa.int64(), nullable=False),
    ]
)

OBJECT_CHANGES = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("object_id", pa.string(), nullable=False),
        pa.field("ts", UTC_TS, nullable=False),
        pa.field("field", pa.string(), nullable=False),
        pa.field("value", pa.string()),
        pa.field("batch_id", pa.int64(), nullable=False),
    ]
)

EVENT_OBJECTS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("event_key", pa.string(), nullable=False),
        pa.field("object_id", pa.string(), nullable=False),
        pa.field("qualifier", pa.string(), nullable=False),  # "" when the log gives none
        pa.field("batch_id", pa.int64(), nullable=False),
    ]
)

OBJECT_OBJECTS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("object_id", pa.string(), nullable=False),
        pa.field("related_id", pa.string(), nullable=False),
        pa.field("qualifier", pa.string(), nullable=False),
        pa.field("batch_id", pa.int64(), nullable=False),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "staging.events": EVENTS,
    "staging.cases": CASES,
    "staging.contacts": CONTACTS,
    "staging.ocel_events": OCEL_EVENTS,
    "staging.objects": OBJECTS,
    "staging.object_changes": OBJECT_CHANGES,
    "staging.event_objects": EVENT_OBJECTS,
    "staging.object_objects": OBJECT_OBJECTS,
}

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "staging.events": ("event_id",),
    "staging.cases": ("source", "case_id"),
    "staging.contacts": ("contact_id",),
    "staging.ocel_events": ("source", "event_key"),
    "staging.objects": ("source", "object_id"),
    "staging.object_changes": ("source", "object_id", "ts", "field"),
    "staging.event_objects": ("source", "event_key", "object_id", "qualifier"),
    "staging.object_objects": ("source", "object_id", "related_id", "qualifier"),
}

# Keys the loader keeps unique without an index: an ART index over tens of millions of ids
# costs about a gigabyte of memory and a third of the load time, while an anti-join against
# the stored ids does the same job. The other tables are small and keep a primary key.
UNINDEXED = frozenset({"staging.events", "staging.contacts"})

_DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    UTC_TS: "TIMESTAMPTZ",
}


def duckdb_type(field: pa.Field) -> str:
    """The DuckDB column type of a canonical field."""
    if field.metadata and b"duckdb_type" in field.metadata:
        return field.metadata[b"duckdb_type"].decode()
    try:
        return _DUCKDB_TYPES[field.type]
    except KeyError:
        raise TypeError(f"no DuckDB type for {field.name}: {field.type}") from None


def create_table_sql(table: str) -> str:
    """CREATE TABLE for a canonical table, from its Arrow schema (with its primary key unless UNINDEXED)."""
    schema = TABLES[table]
    cols = [f'"{f.name}" {duckdb_type(f)}{"" if f.nullable else " NOT NULL"}' for f in schema]
    if table not in UNINDEXED:
        cols.append("primary key (" + ", ".join(f'"{c}"' for c in PRIMARY_KEYS[table]) + ")")
    return f"create table if not exists {table} (\n    " + ",\n    ".join(cols) + "\n)"


# The cases the batches after a given batch id (the parameter) touched: what a per-case mart, and a published
# snapshot of it, update on a night.
TOUCHED_CASES = "select distinct process, case_id from staging.events where batch_id > ? and case_id is not null"
