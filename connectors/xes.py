"""XES (IEEE 1849) event logs, `.xes` or `.xes.gz`, read as a stream of events.

Every trace and event attribute is kept: trace attributes as `case:<key>` columns (the
convention pm4py uses), event attributes under their own keys, nested attributes as
`parent.child`. Values stay text (dates as in the file, with their offset), so nothing is
lost before the warehouse maps them. Memory holds one chunk of events, not the log.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import iterparse

import polars as pl

from connectors.files import CHUNK_ROWS, RawChunk, ReadError

ATTRIBUTE_TAGS = {"string", "date", "int", "float", "boolean", "id", "list", "container"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attributes(elem, prefix: str = "") -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for child in elem:
        tag = _local(child.tag)
        if tag not in ATTRIBUTE_TAGS:
            continue
        key = prefix + (child.get("key") or "")
        if tag in ("list", "container"):
            out.update(_attributes(child, key + "."))
            values = next((c for c in child if _local(c.tag) == "values"), None)
            if values is not None:
                out.update(_attributes(values, key + "."))
        else:
            out[key] = child.get("value")
            if len(child):
                out.update(_attributes(child, key + "."))
    return out


def read_xes(path: Path, *, chunk_rows: int = CHUNK_ROWS, **_) -> Iterator[RawChunk]:
    """Events of an XES log in file order, each with its trace's attributes as `case:` columns.

    Trace attributes are those whose parent element is `<trace>` (XES writes them before the
    trace's events); log-level attributes and `<global>` defaults are not event data.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    rows: list[dict] = []
    row = 1
    trace_attrs: dict[str, str | None] = {}
    stack: list[str] = []
    try:
        with opener(path, "rb") as fh:
            for event, elem in iterparse(fh, events=("start", "end")):
                tag = _local(elem.tag)
                if event == "start":
                    stack.append(tag)
                    continue
                stack.pop()
                parent = stack[-1] if stack else None
                if tag == "event":
                    rows.append({**{f"case:{k}": v for k, v in trace_attrs.items()}, **_attributes(elem)})
                    elem.clear()
                    if len(rows) >= chunk_rows:
                        yield _chunk(rows, row)
                        row += len(rows)
                        rows = []
                elif tag == "trace":
                    trace_attrs = {}
                    elem.clear()
                elif tag in ATTRIBUTE_TAGS and parent == "trace":
                    trace_attrs.update(_attributes_of_single(elem))
    except (OSError, EOFError, SyntaxError) as e:  # ParseError is a SyntaxError
        raise ReadError(f"{path}: cannot read as XES after event {row + len(rows) - 1}: {e}") from None
    if rows:
        yield _chunk(rows, row)


def _attributes_of_single(elem) -> dict[str, str | None]:
    """A trace-level attribute element (seen when it ends) as key -> value."""
    tag = _local(elem.tag)
    key = elem.get("key") or ""
    if tag in ("list", "container"):
        return _attributes(elem, key + ".")
    out = {key: elem.get("value")}
    if len(elem):
        out.update(_attributes(elem, key + "."))
    return out


def _chunk(rows: list[dict], first: int) -> RawChunk:
    columns: dict[str, None] = {}
    for r in rows:
        for k in r:
            columns.setdefault(k, None)
    names = list(columns)
    frame = pl.DataFrame({n: [r.get(n) for r in rows] for n in names}, schema={n: pl.Utf8 for n in names})
    return RawChunk(frame.with_columns(pl.int_range(first, first + frame.height, dtype=pl.Int64)
                                       .alias("row_number")).select("row_number", pl.exclude("row_number")))
