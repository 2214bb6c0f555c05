"""A source configuration guessed from a file alone, for `vaerdistrom import` (a quick look).

The format comes from the file's suffix and first bytes; the columns from the standard
names of the format (XES and OCEL name their own) or, for tables, from the usual header
names in Danish and English, the way process-mining tools propose a mapping on import.
Every guess can be overridden, and a guess that finds nothing says which columns the file
has and which option to give.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from vaerdistrom.errors import UsageError
from warehouse.config import Source

KIND_BY_SUFFIX = {
    ".xes": "xes",
    ".gz": "xes",
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".xlsx": "excel",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonocel": "ocel",
    ".xmlocel": "ocel",
    ".sqlite": "ocel",
    ".sqlite3": "ocel",
    ".db": "ocel",
}
# the XES standard's own keys; each is mapped only when the log's events have it
XES_MAPPING = {
    "case_id": "case:concept:name",
    "activity": "concept:name",
    "ts": "time:timestamp",
    "start_ts": "start_timestamp",
    "lifecycle": "lifecycle:transition",
    "resource": "org:resource",
    "org_unit": "org:group",
}  # start_timestamp: pm4py's name for an interval log's start
# header names (lower case, without spaces, dashes, underscores and dots), best first
CANDIDATES = {
    "case_id": [
        "case:concept:name",
        "caseid",
        "case",
        "casenumber",
        "sagsnummer",
        "sagsid",
        "sag",
        "sagid",
        "forloeb",
        "forløb",
        "forloebid",
        "id",
    ],
    "activity": [
        "concept:name",
        "activity",
        "aktivitet",
        "activityname",
        "event",
        "eventname",
        "hændelse",
        "haendelse",
        "handling",
        "step",
        "trin",
        "task",
        "opgave",
    ],
    "ts": [
        "time:timestamp",
        "timestamp",
        "tidspunkt",
        "time",
        "tid",
        "datetime",
        "date",
        "dato",
        "udført",
        "udfoert",
        "completetime",
        "completetimestamp",
        "endtime",
        "endtimestamp",
        "end",
        "completed",
        "afsluttet",
        "sluttidspunkt",
        "slut",
        "registreret",
        "oprettet",
    ],
    # an interval row's start: the row is one activity instance, the time above its completion
    "start_ts": [
        "starttimestamp",
        "starttime",
        "start",
        "startdate",
        "starttidspunkt",
        "startdato",
        "påbegyndt",
        "paabegyndt",
        "begyndt",
        "begin",
    ],
    "resource": [
        "org:resource",
        "resource",
        "ressource",
        "user",
        "bruger",
        "medarbejder",
        "sagsbehandler",
        "caseworker",
        "udførtaf",
        "udfoertaf",
    ],
    "lifecycle": ["lifecycle:transition", "lifecycle", "status", "transition"],
    "org_unit": ["org:group", "orgunit", "group", "department", "afdeling", "enhed", "team", "unit"],
}


class DetectError(UsageError, ValueError):
    """The file's format or columns could not be guessed; the message says what to give."""


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name.strip().lower()).replace("case:conceptname", "case:concept:name")


def kind_of(path: Path) -> str:
    """The source kind of a file, from its suffix (and an OCEL JSON/XML file's content)."""
    name = path.name.lower()
    if name.endswith((".xes.gz", ".xes")):
        return "xes"
    if name.endswith((".csv.gz", ".tsv.gz", ".txt.gz")):
        return "csv"
    if name.endswith((".jsonl.gz", ".ndjson.gz")):
        return "jsonl"
    if path.suffix.lower() in (".json", ".xml"):
        from connectors.ocel import detect_format

        detect_format(path)  # raises a ReadError naming the file when it is not OCEL
        return "ocel"
    kind = KIND_BY_SUFFIX.get(path.suffix.lower())
    if kind is None:
        raise DetectError(
            f"{path}: cannot tell the format from the suffix {path.suffix!r} (known: "
            f"{', '.join(sorted(set(KIND_BY_SUFFIX) | {'.json', '.xml'}))})"
        )
    return kind


def columns_of(path: Path, kind: str) -> list[str]:
    """The column names of a table-like file, from its first chunk."""
    from connectors.files import READERS

    for chunk in READERS[kind](path, chunk_rows=1000):
        return [c for c in chunk.frame.columns if c != "row_number"]
    return []


def guess_columns(columns: list[str], given: dict[str, str | None]) -> dict[str, str]:
    """Canonical field -> column: what was given, else the best-named column not yet taken."""
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(_norm(c), c)
    mapping: dict[str, str] = {}
    for field, names in CANDIDATES.items():
        named = given.get(field)
        if named:
            if named not in columns:
                raise DetectError(
                    f"{_option(field)} {named!r} is not a column of the file (it has: {', '.join(columns)})"
                )
            mapping[field] = named
            continue
        taken = set(mapping.values()) | {v for v in given.values() if v}
        found = next((by_norm[n] for n in names if n in by_norm and by_norm[n] not in taken), None)
        if found:
            mapping[field] = found
    if "ts" not in mapping and "start_ts" in mapping and not given.get("start_ts"):
        mapping["ts"] = mapping.pop("start_ts")  # one time column, named as a start: it is the event's time
    return mapping


def most_connected_type(path: Path) -> str:
    """The OCEL object type with the most event relations (then the most objects): a quick look's case notion.

    Objects come before events in every OCEL writer's output, so relations are counted as
    they stream past; the few whose object is not yet known wait for the end.
    """
    from connectors.ocel import read_ocel

    types: dict[str, str] = {}
    per_type: Counter = Counter()
    waiting: list[str] = []
    for part in read_ocel(path):
        frame = part.chunk.frame
        if part.part == "objects":
            types.update(zip(frame["ocel:oid"].to_list(), frame["ocel:type"].to_list(), strict=True))
        elif part.part == "relations":
            for oid in frame["ocel:oid"].to_list():
                t = types.get(oid)
                if t is None:
                    waiting.append(oid)
                else:
                    per_type[t] += 1
    per_type.update(types[oid] for oid in waiting if oid in types)
    if not per_type:
        raise DetectError(f"{path}: no event of this OCEL log is related to a typed object")
    objects = Counter(types.values())
    return min(per_type, key=lambda t: (-per_type[t], -objects[t], t))


def guess_source(
    path: Path,
    *,
    process: str,
    case_id: str | None = None,
    activity: str | None = None,
    timestamp: str | None = None,
    object_type: str | None = None,
    resource: str | None = None,
    org_unit: str | None = None,
    start_timestamp: str | None = None,
) -> tuple[Source, list[str]]:
    """(source config, notes saying what was guessed) for one file."""
    kind = kind_of(path)
    notes = []
    if kind == "ocel":
        if not object_type:
            object_type = most_connected_type(path)
            notes.append(
                f"cases are the objects of type {object_type!r} (the type with most event relations; "
                "choose another with --object-type)"
            )
        return Source(kind="ocel", path=path.name, process=process, object_type=object_type), notes
    if object_type:
        raise DetectError("--object-type is for OCEL files only")
    given = {
        "case_id": case_id,
        "activity": activity,
        "ts": timestamp,
        "start_ts": start_timestamp,
        "resource": resource,
        "org_unit": org_unit,
    }
    if kind == "xes":
        from connectors.xes import columns_of as xes_columns

        columns = xes_columns(path)  # every key any event has (the whole file, not a sample)
        mapping = {f: c for f, c in XES_MAPPING.items() if c in columns}
        for field, value in given.items():
            if value:
                if value not in columns:
                    raise DetectError(
                        f"{_option(field)} {value!r} is not an attribute of the log's events (they "
                        f"have: {', '.join(columns)})"
                    )
                mapping[field] = value
        how = "the log's attributes, every event read"
    else:
        columns = columns_of(path, kind)
        mapping = guess_columns(columns, given)
        how = "the header" + (" and the first 1,000 rows" if kind in ("jsonl", "excel") else "")
    for field in ("case_id", "activity", "ts"):
        if field not in mapping:
            raise DetectError(
                f"{path}: no {'attribute' if kind == 'xes' else 'column'} looks like the "
                f"{_label(field)}; name it with {_option(field)} (the file has: {', '.join(columns)})"
            )
    kept = [c for c in columns if c not in mapping.values()]
    notes.append(f"mapped from {how}: " + ", ".join(f"{f} <- {c!r}" for f, c in mapping.items()))
    notes.append(f"kept as attributes: {', '.join(kept) if kept else 'none'}")
    extra = {"channel": "case_system"} if kind != "xes" else {}
    # validated from the plain values detected (a kind, a mapping), as the constructor would
    src = Source.model_validate({"kind": kind, "path": path.name, "process": process, "mapping": mapping, **extra})
    return src, notes


def _label(field: str) -> str:
    return {"ts": "timestamp", "start_ts": "start timestamp", "case_id": "case id", "org_unit": "org unit"}.get(
        field, field
    )


def _option(field: str) -> str:
    return {"case_id": "--case", "ts": "--timestamp", "start_ts": "--start-timestamp", "org_unit": "--org-unit"}.get(
        field, f"--{field}"
    )
