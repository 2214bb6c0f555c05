"""An OCEL file through a load: its parts staged, then stored and flattened inside the batch's transaction.

Events go through the same mapping as any source's rows (counted, quarantined), under
the log's own names for time, activity and key; objects, attribute changes and relations
are checked (a record without its id refuses the file) and kept as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from warehouse.config import Mapping, Source
from warehouse.mapping import LoadError, parse_ts, protect

if TYPE_CHECKING:
    from warehouse.load import _Stager

SQL = Path(__file__).with_name("sql")


OCEL_STAGE_TABLES = {
    "_ocel_objects": "object_id varchar, object_type varchar, attributes json",
    "_ocel_changes": "object_id varchar, ts timestamptz, field varchar, value varchar",
    "_ocel_relations": "event_key varchar, object_id varchar, qualifier varchar",
    "_ocel_o2o": "object_id varchar, related_id varchar, qualifier varchar",
}
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
    mapping = Mapping(ts="ocel:timestamp", activity="ocel:activity", source_key="ocel:eid",
                      resource=m.resource if m else None, org_unit=m.org_unit if m else None,
                      lifecycle=m.lifecycle if m else None, citizen_key=m.citizen_key if m else None)
    return src.model_copy(update={"mapping": mapping})


def stage_ocel(stage: "_Stager", opts: dict) -> None:
    """An OCEL file's events (counted and quarantined like any source's rows), objects and relations, staged."""
    from connectors.ocel import read_ocel

    events_src = ocel_events_source(stage.src)
    for part in read_ocel(stage.path, **opts):
        if part.part == "events":
            stage.chunk(part.chunk, "_ocel_events", events_src)
            continue
        table, required = OCEL_RECORDS[part.part]
        frame = protect(part.chunk.frame, stage.src.personal, stage.pseudo)
        for column in required:
            empty = frame.filter(pl.col(column).is_null() | (pl.col(column) == ""))
            if empty.height:
                raise LoadError(f"OCEL {part.part} record {empty['row_number'][0]}: {column} is empty")
        if part.part == "objects":
            extra = [c for c in frame.columns if c not in ("row_number", "ocel:oid", "ocel:type")]
            attributes = (frame.select(pl.struct(extra).struct.json_encode())[:, 0] if extra
                          else pl.Series(["{}"] * frame.height))
            out = pl.DataFrame({"object_id": frame["ocel:oid"], "object_type": frame["ocel:type"],
                                "attributes": attributes})
        elif part.part == "changes":
            ts, _, _ = parse_ts(frame["ocel:timestamp"], stage.src)
            if ts.null_count():
                bad = frame.filter(ts.is_null())["row_number"][0]
                raise LoadError(f"OCEL object change {bad}: time not readable")
            out = pl.DataFrame({"object_id": frame["ocel:oid"], "ts": ts, "field": frame["ocel:field"],
                                "value": frame["ocel:value"]})
        else:
            first = "ocel:eid" if part.part == "relations" else "ocel:oid"
            second = "ocel:oid" if part.part == "relations" else "ocel:oid_2"
            out = pl.DataFrame({"a": frame[first], "b": frame[second],
                                "qualifier": frame["ocel:qualifier"].fill_null("")})
        stage.insert(table, out)


def store_ocel(stage: "_Stager") -> None:
    """An OCEL batch's staged parts into staging, and its events flattened into the batch's events."""
    con = stage.con
    params = {"source": stage.name, "batch_id": stage.batch_id, "object_type": stage.src.object_type}
    for statement in (SQL / "ocel_store.sql").read_text(encoding="utf-8").split(";"):
        body = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--")).strip()
        if body:
            con.execute(body, {k: v for k, v in params.items() if f"${k}" in body}).fetchall()
    stage.report.rows_new = con.execute("select count(*) from staging.ocel_events where batch_id = ?",
                                        [stage.batch_id]).fetchall()[0][0]
