"""The canonical model, defined once: events, cases and contacts as Arrow schemas.

Every connector yields batches in these schemas, the warehouse creates its tables
from them (`create_table_sql`), and every mining function reads them. Column names
are not re-declared anywhere else.

Grains:
- `staging.events`: one row per event of a case (or of a contact not yet attributed).
- `staging.cases`: one row per case and source.
- `staging.contacts`: one row per off-system contact (phone call, e-mail, visit).
"""

from __future__ import annotations

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")
JSON_META = {b"duckdb_type": b"JSON"}


def _json(name: str) -> pa.Field:
    """A JSON document (everything else the source had), stored as DuckDB JSON."""
    return pa.field(name, pa.string(), metadata=JSON_META)


EVENTS = pa.schema([
    pa.field("event_id", pa.string(), nullable=False),  # hash of source + the source's own event key
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
])

CASES = pa.schema([
    pa.field("source", pa.string(), nullable=False),
    pa.field("case_id", pa.string(), nullable=False),
    pa.field("process", pa.string()),
    pa.field("citizen_key", pa.string()),
    pa.field("opened_at", UTC_TS),
    pa.field("closed_at", UTC_TS),
    pa.field("deadline_at", UTC_TS),
    _json("attributes"),
    pa.field("batch_id", pa.int64(), nullable=False),
])

CONTACTS = pa.schema([
    pa.field("contact_id", pa.string(), nullable=False),  # hash of source + the log's own key
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
])

TABLES: dict[str, pa.Schema] = {
    "staging.events": EVENTS,
    "staging.cases": CASES,
    "staging.contacts": CONTACTS,
}

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "staging.events": ("event_id",),
    "staging.cases": ("source", "case_id"),
    "staging.contacts": ("contact_id",),
}

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
    """CREATE TABLE for a canonical table, from its Arrow schema."""
    schema = TABLES[table]
    cols = [f'"{f.name}" {duckdb_type(f)}{"" if f.nullable else " NOT NULL"}' for f in schema]
    key = ", ".join(f'"{c}"' for c in PRIMARY_KEYS[table])
    return f"create table if not exists {table} (\n    " + ",\n    ".join(cols) + f",\n    primary key ({key})\n)"
