"""Object-centric event logs: OCEL 2.0 (JSON, XML, SQLite) and OCEL 1.0 (JSON), read as a stream.

An OCEL log has events, objects (each of a type, with attributes that may change over
time), event-to-object relations and object-to-object relations. The reader yields them
as `OcelPart`s, each a `RawChunk` of one kind, with fixed column names:

- `events`:    `ocel:eid`, `ocel:activity`, `ocel:timestamp`, then the event's attributes
- `relations`: `ocel:eid`, `ocel:oid`, `ocel:qualifier` (event to object)
- `objects`:   `ocel:oid`, `ocel:type`, then the object's attributes (their first values)
- `changes`:   `ocel:oid`, `ocel:timestamp`, `ocel:field`, `ocel:value` (later values)
- `o2o`:       `ocel:oid`, `ocel:oid_2`, `ocel:qualifier` (object to object)

The column names are pm4py's, so a mapping written for pm4py's tables fits. Values stay
text, times as in the file. An attribute value at the epoch (or without a time) is the
object's own attribute; a value with a later time is a change: the rule pm4py applies.
JSON is parsed with ijson (one event or object in memory at a time), XML with iterparse,
SQLite with cursors; a chunk holds at most `chunk_rows` rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from xml.etree.ElementTree import iterparse

import polars as pl

from connectors.base import CHUNK_ROWS, RawChunk, ReadError

Part = Literal["events", "relations", "objects", "changes", "o2o"]
PART_COLUMNS: dict[Part, tuple[str, ...]] = {
    "events": ("ocel:eid", "ocel:activity", "ocel:timestamp"),
    "relations": ("ocel:eid", "ocel:oid", "ocel:qualifier"),
    "objects": ("ocel:oid", "ocel:type"),
    "changes": ("ocel:oid", "ocel:timestamp", "ocel:field", "ocel:value"),
    "o2o": ("ocel:oid", "ocel:oid_2", "ocel:qualifier"),
}
EPOCH_PREFIXES = ("1970-01-01T00:00:00", "1970-01-01 00:00:00")
OCEL_SUFFIXES = (".jsonocel", ".xmlocel", ".sqlite", ".sqlite3", ".db", ".json", ".xml")


@dataclass
class OcelPart:
    """One chunk of one kind of OCEL record."""

    part: Part
    chunk: RawChunk


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_static(time: str | None) -> bool:
    return not time or time.startswith(EPOCH_PREFIXES)


class _Buffers:
    """Rows per part, emitted as numbered chunks of at most `chunk_rows` rows."""

    def __init__(self, chunk_rows: int) -> None:
        self.chunk_rows = chunk_rows
        self.rows: dict[Part, list[dict]] = {p: [] for p in PART_COLUMNS}
        self.first: dict[Part, int] = {p: 1 for p in PART_COLUMNS}

    def add(self, part: Part, row: dict) -> Iterator[OcelPart]:
        self.rows[part].append(row)
        if len(self.rows[part]) >= self.chunk_rows:
            yield self.flush(part)

    def flush(self, part: Part) -> OcelPart:
        rows = self.rows[part]
        names = dict.fromkeys(PART_COLUMNS[part])
        for r in rows:
            names.update(dict.fromkeys(r))
        frame = pl.DataFrame({n: [r.get(n) for r in rows] for n in names}, schema={n: pl.Utf8 for n in names})
        first = self.first[part]
        frame = frame.with_columns(pl.int_range(first, first + frame.height, dtype=pl.Int64).alias("row_number"))
        self.first[part] += len(rows)
        self.rows[part] = []
        return OcelPart(part, RawChunk(frame.select("row_number", pl.exclude("row_number"))))

    def rest(self) -> Iterator[OcelPart]:
        for part, rows in self.rows.items():
            if rows:
                yield self.flush(part)


def detect_format(path: Path) -> str:
    """'ocel2-json', 'ocel1-json', 'ocel2-xml' or 'ocel2-sqlite', from the file's first bytes."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(b"SQLite format 3\x00"):
        return "ocel2-sqlite"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        if b"<global" in head and b"ocel:" in head:
            raise ReadError(
                f"{path}: OCEL 1.0 XML is not supported; convert it to OCEL 2.0 "
                "(pm4py.write_ocel2_xml(pm4py.read_ocel(path), ...))"
            )
        return "ocel2-xml"
    if stripped.startswith(b"{"):
        import ijson

        try:
            for prefix, event, value in ijson.parse(path.open("rb")):
                if prefix == "" and event == "map_key":
                    return "ocel1-json" if str(value).startswith("ocel:") else "ocel2-json"
        except ijson.JSONError as e:
            raise ReadError(f"{path}: cannot read as OCEL JSON: {e}") from None
    raise ReadError(f"{path}: not an OCEL file (expected OCEL 2.0 JSON, XML or SQLite, or OCEL 1.0 JSON)")


def read_ocel(path: Path, *, chunk_rows: int = CHUNK_ROWS, **_) -> Iterator[OcelPart]:
    """Every record of an OCEL file, in file order within each part."""
    fmt = detect_format(path)
    reader = {
        "ocel2-json": _ocel2_json,
        "ocel1-json": _ocel1_json,
        "ocel2-xml": _ocel2_xml,
        "ocel2-sqlite": _ocel2_sqlite,
    }[fmt]
    buffers = _Buffers(chunk_rows)
    try:
        for part, row in reader(path):
            yield from buffers.add(part, row)
    except ReadError:
        raise
    except Exception as e:  # noqa: BLE001 - ijson, expat and sqlite3 each raise their own kinds
        raise ReadError(
            f"{path}: cannot read as {fmt} after {buffers.first['events'] - 1 + len(buffers.rows['events'])}"
            f" events: {type(e).__name__}: {e}"
        ) from None
    yield from buffers.rest()


def _event_rows(
    eid: object,
    activity: object,
    time: object,
    attributes: Iterable[tuple[str | None, object]],
    objects: Iterable[tuple[object, str | None]],
) -> Iterator[tuple[Part, dict]]:
    """An event's row, then its relations' rows; names and qualifiers as the file has them (None where it has none)."""
    row: dict[str | None, str | None] = {
        "ocel:eid": _text(eid),
        "ocel:activity": _text(activity),
        "ocel:timestamp": _text(time),
    }
    for name, value in attributes:
        if name not in row:
            row[name] = _text(value)
    yield "events", row
    for oid, qualifier in objects:
        yield "relations", {"ocel:eid": row["ocel:eid"], "ocel:oid": _text(oid), "ocel:qualifier": qualifier or ""}


def _object_rows(
    oid: object,
    otype: object,
    attributes: Iterable[tuple[str | None, str | None, object]],
    related: Iterable[tuple[object, str | None]],
) -> Iterator[tuple[Part, dict]]:
    """An object's row (its first values), its changes' rows, then its o2o rows; names, times and qualifiers as the
    file has them (None where it has none)."""
    row: dict[str | None, str | None] = {"ocel:oid": _text(oid), "ocel:type": _text(otype)}
    changes = []
    for name, time, value in attributes:
        if _is_static(time) and name not in row:
            row[name] = _text(value)
        else:
            changes.append(
                {"ocel:oid": row["ocel:oid"], "ocel:timestamp": time, "ocel:field": name, "ocel:value": _text(value)}
            )
    yield "objects", row
    for change in changes:
        yield "changes", change
    for target, qualifier in related:
        yield "o2o", {"ocel:oid": row["ocel:oid"], "ocel:oid_2": _text(target), "ocel:qualifier": qualifier or ""}


def _ocel2_json(path: Path) -> Iterator[tuple[Part, dict]]:
    """OCEL 2.0 JSON: top-level `objects` and `events` arrays (either order), two streaming passes."""
    import ijson

    with path.open("rb") as fh:
        for o in map(_mapping, ijson.items(fh, "objects.item", use_float=True)):
            yield from _object_rows(
                o.get("id"),
                o.get("type"),
                ((a.get("name"), a.get("time"), a.get("value")) for a in _items(o, "attributes")),
                ((r.get("objectId"), r.get("qualifier")) for r in _items(o, "relationships")),
            )
    with path.open("rb") as fh:
        for e in map(_mapping, ijson.items(fh, "events.item", use_float=True)):
            yield from _event_rows(
                e.get("id"),
                e.get("type"),
                e.get("time"),
                ((a.get("name"), a.get("value")) for a in _items(e, "attributes")),
                ((r.get("objectId"), r.get("qualifier")) for r in _items(e, "relationships")),
            )


def _mapping(item) -> dict:
    """A record as the log has it, or {} where it has something else (a number, null): a record with no id and
    no time, which the loader quarantines as such, counted."""
    return item if isinstance(item, dict) else {}


def _items(record: dict, key: str) -> list[dict]:
    """A record's list of attributes or relationships, each a mapping (see `_mapping`)."""
    value = record.get(key)
    return [_mapping(v) for v in value] if isinstance(value, list) else []


def _ocel1_json(path: Path) -> Iterator[tuple[Part, dict]]:
    """OCEL 1.0 JSON: `ocel:objects` and `ocel:events` maps keyed by id."""
    import ijson

    with path.open("rb") as fh:
        for oid, o in ijson.kvitems(fh, "ocel:objects", use_float=True):
            yield from _object_rows(
                oid, o.get("ocel:type"), ((k, None, v) for k, v in (o.get("ocel:ovmap") or {}).items()), ()
            )
    with path.open("rb") as fh:
        for eid, e in ijson.kvitems(fh, "ocel:events", use_float=True):
            yield from _event_rows(
                eid,
                e.get("ocel:activity"),
                e.get("ocel:timestamp"),
                (e.get("ocel:vmap") or {}).items(),
                ((oid, "") for oid in e.get("ocel:omap") or []),
            )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ocel2_xml(path: Path) -> Iterator[tuple[Part, dict]]:
    """OCEL 2.0 XML: `<object>` and `<event>` elements with `<attribute>`s and `<relationship>`s."""
    for _, elem in iterparse(path, events=("end",)):
        tag = _local(elem.tag)
        if tag not in ("object", "event"):
            continue
        attributes = []
        related = []
        for child in elem.iter():
            t = _local(child.tag)
            if t == "attribute":
                attributes.append((child.get("name"), child.get("time"), child.text))
            elif t == "relationship":
                related.append((child.get("object-id"), child.get("qualifier")))
        if tag == "object":
            yield from _object_rows(elem.get("id"), elem.get("type"), attributes, related)
        else:
            yield from _event_rows(
                elem.get("id"), elem.get("type"), elem.get("time"), ((n, v) for n, _, v in attributes), related
            )
        elem.clear()


def _ocel2_sqlite(path: Path) -> Iterator[tuple[Part, dict]]:
    """OCEL 2.0 SQLite: `object`/`event` with one attribute table per type (`object_<Map>`, `event_<Map>`)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in con.execute("select name from sqlite_master where type = 'table'")}
        missing = {"event", "object", "event_object", "event_map_type", "object_map_type"} - tables
        if missing:
            raise ReadError(f"{path}: not an OCEL 2.0 SQLite file (no table {', '.join(sorted(missing))})")
        object_maps = dict(con.execute("select ocel_type, ocel_type_map from object_map_type"))
        event_maps = dict(con.execute("select ocel_type, ocel_type_map from event_map_type"))
        # `is ?`, not `= ?`: a record whose type is NULL is read too (and quarantined for it), not lost
        for (otype,) in con.execute("select distinct ocel_type from object order by 1").fetchall():
            table = f"object_{object_maps[otype]}" if otype in object_maps else None
            yield from _sqlite_objects(_sqlite_object_cursor(con, tables, table, otype), otype)
        for (etype,) in con.execute("select distinct ocel_type from event order by 1").fetchall():
            table = f"event_{event_maps[etype]}" if etype in event_maps else None
            yield from _sqlite_events(_sqlite_event_cursor(con, tables, table, etype), etype)
        for eid, oid, q in _fetch(
            con.execute("select ocel_event_id, ocel_object_id, ocel_qualifier from event_object")
        ):
            yield "relations", {"ocel:eid": _text(eid), "ocel:oid": _text(oid), "ocel:qualifier": q or ""}
        if "object_object" in tables:
            for src, dst, q in _fetch(
                con.execute("select ocel_source_id, ocel_target_id, ocel_qualifier from object_object")
            ):
                yield "o2o", {"ocel:oid": _text(src), "ocel:oid_2": _text(dst), "ocel:qualifier": q or ""}
    finally:
        con.close()


def _sqlite_object_cursor(
    con: sqlite3.Connection, tables: set[str], table: str | None, otype: object
) -> sqlite3.Cursor:
    """The objects of one type, by id, each beside its attribute rows if the type has any (a left join: none is
    lost), in time order when they have times."""
    columns = {r[1] for r in con.execute(f'pragma table_info("{table}")')} if table in tables else set()
    if columns:
        order = "o.ocel_id, t.ocel_time" if "ocel_time" in columns else "o.ocel_id"
        return con.execute(
            f'select o.ocel_id as _oid, t.* from object o left join "{table}" t '
            f"on t.ocel_id = o.ocel_id where o.ocel_type is ? order by {order}",
            [otype],
        )
    return con.execute("select ocel_id as _oid from object where ocel_type is ? order by ocel_id", [otype])


def _sqlite_objects(cur: sqlite3.Cursor, otype: object) -> Iterator[tuple[Part, dict]]:
    """The rows of one type's objects, from their attribute rows grouped by object (`_sqlite_object_cursor`)."""
    cols = [d[0] for d in cur.description]
    current = None
    attrs: list[tuple[str | None, str | None, object]] = []
    for values in _fetch(cur):
        rec = dict(zip(cols, values, strict=True))  # a row has a value for each column the cursor describes
        if rec["_oid"] != current:
            if current is not None:
                yield from _object_rows(current, otype, attrs, ())
            current, attrs = rec["_oid"], []
        attrs.extend(_sqlite_attributes(rec))
    if current is not None:
        yield from _object_rows(current, otype, attrs, ())


def _sqlite_attributes(rec: dict[str, Any]) -> Iterator[tuple[str, str | None, object]]:
    """An object's attribute row as (name, time, value): the changed field's with its time on a change row, every
    column's without one on another."""
    changed = rec.get("ocel_changed_field")
    for name, value in rec.items():
        if name in ("_oid", "ocel_id", "ocel_time", "ocel_changed_field") or (changed and name != changed):
            continue
        if value is not None or not changed:
            yield (name, rec.get("ocel_time") if changed else None, value)


def _sqlite_event_cursor(con: sqlite3.Connection, tables: set[str], table: str | None, etype: object) -> sqlite3.Cursor:
    """The events of one type, in file order, each beside its attribute row if the type has an attribute table."""
    if table in tables:  # an event without its attribute row has no time: read, then quarantined
        return con.execute(
            f"select e.rowid as _row, e.ocel_id as _eid, t.* from event e "
            f'left join "{table}" t on t.ocel_id = e.ocel_id where e.ocel_type is ? '
            "order by e.rowid",
            [etype],
        )
    return con.execute("select rowid as _row, ocel_id as _eid from event where ocel_type is ? order by rowid", [etype])


def _sqlite_events(cur: sqlite3.Cursor, etype: object) -> Iterator[tuple[Part, dict]]:
    cols = [d[0] for d in cur.description]
    for values in _fetch(cur):
        rec = dict(zip(cols, values, strict=True))  # a row has a value for each column the cursor describes
        attrs = [(k, v) for k, v in rec.items() if k not in ("_row", "_eid", "ocel_id", "ocel_time")]
        yield from _event_rows(rec["_eid"], etype, rec.get("ocel_time"), attrs, ())


def _fetch(cur: sqlite3.Cursor) -> Iterator[tuple]:
    while rows := cur.fetchmany(10_000):
        yield from rows
