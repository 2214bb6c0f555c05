"""An OCEL file staged: its events as any source's rows, its objects, changes and relations beside them.

Events go through the same mapping as any source's rows (counted, quarantined), under
the log's own names for time, activity and key; objects, attribute changes and relations
are checked and staged as they are, and `store.store_ocel` flattens them into the batch's
events inside its transaction. Nothing is merged or dropped unseen: a record without
its id or time, a duplicate event id (every row after the first), a relation to an event
or object the log does not have, and an event none of whose objects the log has go to
`raw.quarantine` with their kind (`record`), number, field and reason.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from connectors.ocel import read_ocel
from warehouse.config import Mapping, Source
from warehouse.mapping import protect, safe_names
from warehouse.stage import Stager
from warehouse.times import parse_ts

OCEL_STAGE_TABLES = {
    "_ocel_objects": "object_id varchar, object_type varchar, attributes json, row_number bigint",
    "_ocel_changes": "object_id varchar, ts timestamptz, field varchar, value varchar, row_number bigint",
    "_ocel_relations": "event_key varchar, object_id varchar, qualifier varchar, row_number bigint",
    "_ocel_o2o": "object_id varchar, related_id varchar, qualifier varchar, row_number bigint",
}
RECORD = {"objects": "object", "changes": "change", "relations": "relation", "o2o": "o2o"}  # raw.quarantine.record
# each OCEL record kind: its temporary table, its columns as the reader names them, and which must be there
OCEL_RECORDS = {
    "objects": ("_ocel_objects", ("ocel:oid", "ocel:type")),
    "changes": ("_ocel_changes", ("ocel:oid", "ocel:timestamp", "ocel:field")),
    "relations": ("_ocel_relations", ("ocel:eid", "ocel:oid")),
    "o2o": ("_ocel_o2o", ("ocel:oid", "ocel:oid_2")),
}


def ocel_events_source(src: Source) -> Source:
    """An OCEL source as the event mapper sees it: the log's own names for time, activity and key."""
    m = src.mapping
    mapping = Mapping(
        ts="ocel:timestamp",
        activity="ocel:activity",
        source_key="ocel:eid",
        resource=m.resource if m else None,
        org_unit=m.org_unit if m else None,
        lifecycle=m.lifecycle if m else None,
        citizen_key=m.citizen_key if m else None,
    )
    return src.model_copy(update={"mapping": mapping})


def stage_ocel(stage: Stager, opts: dict) -> None:
    """An OCEL file's events (counted and quarantined like any source's rows), objects and relations, staged in
    tables of their own; a record without its id (or a change without a readable time) quarantined."""
    con = stage.con
    con.execute("create table main._ocel_events as select * from _batch limit 0")
    for name, columns in OCEL_STAGE_TABLES.items():
        con.execute(f"create table main.{name} ({columns})")
    events_src = ocel_events_source(stage.src)
    for part in read_ocel(Path(stage.path), **opts):  # an OCEL batch is a file (a pull's is a label)
        if part.part == "events":
            stage.chunk(part.chunk, "_ocel_events", events_src)
            continue
        table, required = OCEL_RECORDS[part.part]
        frame = protect(part.chunk.frame, stage.src.personal, stage.pseudo)
        for column in required:
            empty = pl.col(column).is_null() | (pl.col(column) == "")
            _reject(stage, part.part, frame.filter(empty), column, f"{column} is empty")
            frame = frame.filter(~empty)
        if part.part == "objects":
            extra = [c for c in frame.columns if c not in ("row_number", "ocel:oid", "ocel:type")]
            names = safe_names(extra, stage.pseudo)  # a CPR number in an attribute's name: its pseudonym
            attributes = (
                frame.select(pl.struct([pl.col(c).alias(names[c]) for c in extra]).struct.json_encode())[:, 0]
                if extra
                else pl.Series(["{}"] * frame.height, dtype=pl.Utf8)
            )
            out = pl.DataFrame(
                {
                    "object_id": frame["ocel:oid"],
                    "object_type": frame["ocel:type"],
                    "attributes": attributes,
                    "row_number": frame["row_number"],
                }
            )
        elif part.part == "changes":
            ts, _, _ = parse_ts(frame["ocel:timestamp"], stage.src)
            _reject(stage, part.part, frame.filter(ts.is_null()), "ocel:timestamp", "time not readable")
            frame, ts = frame.filter(ts.is_not_null()), ts.filter(ts.is_not_null())
            out = pl.DataFrame(
                {
                    "object_id": frame["ocel:oid"],
                    "ts": ts,
                    "field": frame["ocel:field"],
                    "value": frame["ocel:value"],
                    "row_number": frame["row_number"],
                }
            )
        else:
            first = "ocel:eid" if part.part == "relations" else "ocel:oid"
            second = "ocel:oid" if part.part == "relations" else "ocel:oid_2"
            out = pl.DataFrame(
                {
                    "a": frame[first],
                    "b": frame[second],
                    "qualifier": frame["ocel:qualifier"].fill_null(""),
                    "row_number": frame["row_number"],
                }
            )
        if out.height:
            stage.insert(table, out)


def _reject(stage: Stager, part: str, rows: pl.DataFrame, field: str, reason: str) -> None:
    """An OCEL part's `rows` (protected already) into the batch's quarantine, as records of their kind."""
    if not rows.height:
        return
    names = safe_names([c for c in rows.columns if c != "row_number"], stage.pseudo)
    data = rows.select(pl.struct([pl.col(c).alias(n) for c, n in names.items()]).struct.json_encode())[:, 0].to_list()
    stage.quarantine(
        [(rn, field, reason, d) for rn, d in zip(rows["row_number"].to_list(), data, strict=True)], RECORD[part]
    )
    stage.report.records_quarantined += rows.height
