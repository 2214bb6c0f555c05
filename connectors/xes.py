"""XES (IEEE 1849) event logs, `.xes` or `.xes.gz`: read whole by rustxes, or as a stream of events.

Two readers give the same columns. Files up to `WHOLE_BYTES` on disk (about 10M events
compressed) are read whole by rustxes (Apache-2.0/MIT, Rust, into polars; ~10x faster than an
XML parser in Python); larger ones, or any file when `VAERDISTROM_XES_READER=stream`, are read
as a stream that holds one chunk of events in memory, not the log.

Every trace and event attribute is kept: trace attributes as `case:<key>` columns (the
convention pm4py uses), event attributes under their own keys, in name order. The stream reader keeps nested
attributes as `parent.child`; rustxes leaves out nested and list attributes. Both fill what an
event lacks with the log's `<global>` defaults, as pm4py does. Values are text,
except the timestamp, which rustxes reads as an instant (UTC); the stream reader keeps dates
as in the file, with their offset. An attribute present on any event is a column of every chunk
(NULL where an event lacks it) when the file is read whole; a stream's chunk has the columns of
its own events, and the loader reads a mapped column that a chunk lacks as NULL.
"""

from __future__ import annotations

import gzip
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree.ElementTree import iterparse

import polars as pl

from connectors.base import CHUNK_ROWS, RawChunk, ReadError

ATTRIBUTE_TAGS = {"string", "date", "int", "float", "boolean", "id", "list", "container"}
WHOLE_BYTES = 1 << 30  # files larger on disk than this are streamed (rustxes holds the whole log in memory)
READER_ENV = "VAERDISTROM_XES_READER"  # 'whole' or 'stream' forces a reader; unset: by size
TIMESTAMP = "time:timestamp"


def reader_for(path: Path) -> str:
    """'whole' (rustxes) or 'stream', by the environment's choice, else by the file's size."""
    chosen = os.environ.get(READER_ENV, "").strip().lower()
    if chosen in ("whole", "stream"):
        return chosen
    return "whole" if path.stat().st_size <= WHOLE_BYTES else "stream"


LOSSY = "Failed to parse"  # what rustxes writes to stderr for a value it drops (a date it cannot read: null)


class Lossy(Exception):
    """rustxes dropped a value it could not parse: the stream reader, which keeps every value as text, reads it."""


@contextmanager
def _rust_stderr() -> Iterator[Callable[[], str]]:
    """Standard error (file descriptor 2) kept from the terminal for the block: rustxes writes there from Rust, past
    Python's streams (and so past the CLI's redaction), with the value it could not parse. Gives a call that returns
    what was written."""
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as kept:
        os.dup2(kept.fileno(), 2)
        text = ""
        try:
            yield lambda: text
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            kept.seek(0)
            text = kept.read().decode("utf-8", "replace")


_cache: dict[tuple, pl.DataFrame] = {}  # the last file read whole, kept for the load that follows detection


def _stamp(path: Path) -> tuple:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def read_whole(path: Path, *, keep: bool = False) -> pl.DataFrame:
    """The whole log as one frame in file order: text columns, the timestamp as an instant in UTC.

    `keep` holds the frame for the next call on the unchanged file (detection, then the load).
    """
    stamp = _stamp(path)
    frame = _cache.pop(stamp, None)
    if frame is None:
        _cache.clear()
        import rustxes

        from connectors.xes_parts import cores, read_in_parts

        try:
            # a large log in parts, one per core (rustxes holds the GIL while it parses)
            with _rust_stderr() as said:
                frames, defaults = read_in_parts(path, cores()) or ([rustxes.import_xes(str(path))[0]], {})
        except Lossy:
            raise
        except BaseException as e:  # a Rust panic is a BaseException (pyo3's PanicException)
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            raise ReadError(
                f"{path}: cannot read as XES: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
            ) from None
        if LOSSY in said():
            raise Lossy(path)
        frame = join_parts(
            [f.select([_as_text(name, dtype) for name, dtype in f.schema.items()]) for f in frames], defaults
        )
        # in name order: rustxes' order changes from read to read (a hash map's), and the attributes' order makes the
        # JSON that ids are hashed from: a re-export read in another order would store every event again
        frame = frame.select(sorted(frame.columns))
    if keep:
        _cache[stamp] = frame
    return frame


def join_parts(frames: list[pl.DataFrame], defaults: dict[str, tuple[str, str]]) -> pl.DataFrame:
    """Parts of a log (`_as_text` columns) end to end; a column a part lacks takes the log's default, if any."""
    if len(frames) == 1:
        return frames[0]
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    filled = []
    for f in frames:
        missing = [c for c in columns if c not in f.columns and c in defaults]
        filled.append(f.with_columns([_default(c, *defaults[c]) for c in missing]) if missing else f)
    return pl.concat(filled, how="diagonal")


def _default(name: str, kind: str, value: str) -> pl.Expr:
    """A `<global>` default as rustxes gives it, then `_as_text`: typed by its XES type, dates in UTC."""
    series = pl.Series(name, [value])
    if kind == "date":
        series = series.str.to_datetime(time_zone="UTC", time_unit="us", strict=False).dt.replace_time_zone(None)
    elif kind == "int":
        series = series.cast(pl.Int64, strict=False)
    elif kind == "float":
        series = series.cast(pl.Float64, strict=False)
    elif kind == "boolean":
        series = series.str.to_lowercase() == "true"
    typed = series.to_frame().select(_as_text(name, series.dtype)).to_series()
    return pl.lit(typed[0], dtype=typed.dtype).alias(name)


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """One column of rustxes' frame as the loader takes it (rustxes reads XES dates as UTC wall times)."""
    col = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        instant = col.dt.replace_time_zone("UTC").dt.cast_time_unit("us")
        return instant if name == TIMESTAMP else instant.dt.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").alias(name)
    if dtype == pl.Utf8:
        return col
    if dtype == pl.Boolean:
        return col.cast(pl.Utf8).str.to_lowercase().alias(name)
    return col.cast(pl.Utf8)


def complete(path: Path) -> bool:
    """Whether the file is whole: its gzip stream unbroken and its XML ending in </log>.

    rustxes reads a cut file (an export still being written) without a word, as the events it got.
    """
    import zlib

    tail = b""
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as fh:
            while block := fh.read(1 << 22):
                tail = (tail + block)[-256:]
    except (OSError, EOFError, zlib.error):
        return False
    return tail.rstrip().endswith(b"</log>")


def columns_of(path: Path) -> list[str]:
    """Every attribute key of a log's events (trace attributes as `case:<key>`), whichever event has it."""
    if reader_for(path) == "whole" and complete(path):
        try:
            return read_whole(path, keep=True).columns
        except Lossy:
            pass
    seen: dict[str, None] = {}
    for chunk in read_stream(path):
        seen.update(dict.fromkeys(c for c in chunk.frame.columns if c != "row_number"))
    return list(seen)


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
    """Events of an XES log in file order, each with its trace's attributes as `case:` columns."""
    if reader_for(path) == "stream" or not complete(path):  # a cut file: the stream reader says where it breaks
        yield from read_stream(path, chunk_rows=chunk_rows)
        return
    try:
        frame = read_whole(path)
    except Lossy:  # a value rustxes cannot parse is kept, as text, by the stream reader (and judged by the loader)
        yield from read_stream(path, chunk_rows=chunk_rows)
        return
    for start in range(0, frame.height, chunk_rows):
        part = frame.slice(start, chunk_rows)
        yield RawChunk(
            part.with_columns(
                pl.int_range(start + 1, start + 1 + part.height, dtype=pl.Int64).alias("row_number")
            ).select("row_number", pl.exclude("row_number"))
        )


def read_stream(path: Path, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[RawChunk]:
    """Events of an XES log in file order, streamed: one chunk in memory at a time.

    Trace attributes are those whose parent element is `<trace>` (XES writes them before the
    trace's events); log-level attributes are not event data. An attribute an event (or trace)
    lacks takes its `<global>` default, as the XES standard, rustxes and pm4py read it.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    rows: list[dict] = []
    row = 1
    trace_attrs: dict[str, str | None] = {}
    event_defaults: dict[str, str | None] = {}  # `<global>` values: what an event or trace lacks takes them
    trace_defaults: dict[str, str | None] = {}
    stack: list[str] = []
    try:
        with opener(path, "rb") as fh:
            for event, elem in iterparse(fh, events=("start", "end")):
                tag = _local(elem.tag)
                if event == "start":
                    stack.append(tag)
                    if tag == "trace":
                        trace_attrs = dict(trace_defaults)
                    continue
                stack.pop()
                parent = stack[-1] if stack else None
                if tag == "event":
                    rows.append(
                        {**{f"case:{k}": v for k, v in trace_attrs.items()}, **event_defaults, **_attributes(elem)}
                    )
                    elem.clear()
                    if len(rows) >= chunk_rows:
                        yield _chunk(rows, row)
                        row += len(rows)
                        rows = []
                elif tag == "trace":
                    trace_attrs = {}
                    elem.clear()
                elif tag == "global":
                    (event_defaults if elem.get("scope", "event") == "event" else trace_defaults).update(
                        _attributes(elem)
                    )
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
    names = sorted(columns)  # in name order, as the whole reader gives them (the ids hash the attributes in order)
    frame = pl.DataFrame({n: [r.get(n) for r in rows] for n in names}, schema={n: pl.Utf8 for n in names})
    return RawChunk(
        frame.with_columns(pl.int_range(first, first + frame.height, dtype=pl.Int64).alias("row_number")).select(
            "row_number", pl.exclude("row_number")
        )
    )
