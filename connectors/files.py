"""File connectors: read an export in chunks, never whole, as raw polars frames.

Every reader yields `RawChunk`s: the rows as they are in the file (column names as in
the file, nested JSON flattened to `a.b`), each row's number in the file (1 = the first
data row), and rows that could not be read at all (a malformed JSON line), so the loader
can quarantine them with their row number. Mapping to the canonical schema happens in
the warehouse; this module knows files, nothing downstream.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CHUNK_ROWS = 50_000
NULL_STRINGS = ["", "NULL", "null"]


@dataclass
class RawChunk:
    """Rows read from a file: `frame` with `row_number` (1-based data row) as its first column."""

    frame: pl.DataFrame
    unreadable: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, reason, text)


class ReadError(ValueError):
    """A file that cannot be read as its declared format (said with the file's name)."""


def _open(path: Path):
    """A file's bytes, gunzipped when its name ends in .gz."""
    import gzip

    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _numbered(frame: pl.DataFrame, first: int) -> pl.DataFrame:
    return frame.with_columns(pl.int_range(first, first + frame.height, dtype=pl.Int64).alias("row_number")) \
        .select("row_number", pl.exclude("row_number"))


def read_csv(path: Path, *, encoding: str | None = None, delimiter: str | None = None,
             chunk_rows: int = CHUNK_ROWS) -> Iterator[RawChunk]:
    """A delimited text file, every column as text; encoding and delimiter detected when not given."""
    encoding = encoding or detect_encoding(path)
    delimiter = delimiter or detect_delimiter(path, encoding)
    with _open(path) as fh:
        header = fh.readline().decode(encoding).lstrip("\ufeff").rstrip("\r\n")
    names = next(csv.reader([header], delimiter=delimiter)) if header else []  # quoted names unquoted
    if names and names[-1] == "":  # a trailing delimiter on every line: a nameless empty last column
        names[-1] = "_trailing"
    seen: dict[str, int] = {}
    unique = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="gzip" if path.name.lower().endswith(".gz") else None),
            read_options=pacsv.ReadOptions(encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
                                           column_names=unique, skip_rows=1, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in unique},
                                                 null_values=NULL_STRINGS, strings_can_be_null=True))
    except (pa.ArrowInvalid, OSError) as e:
        raise ReadError(f"{path}: cannot read as CSV ({encoding}, {delimiter!r}): {e}") from None
    row = 1
    pending: list[pa.RecordBatch] = []
    pending_rows = 0

    def emit(final: bool):
        nonlocal row, pending, pending_rows
        table = pa.Table.from_batches(pending)
        take = table.num_rows if final else table.num_rows - table.num_rows % chunk_rows
        for offset in range(0, take, chunk_rows):
            frame = pl.from_arrow(table.slice(offset, min(chunk_rows, take - offset)))
            yield RawChunk(_numbered(frame.drop("_trailing", strict=False), row))
            row += frame.height
        rest = table.slice(take)
        pending, pending_rows = ([b for b in rest.to_batches()], rest.num_rows)

    try:
        for batch in reader:
            pending.append(batch)
            pending_rows += batch.num_rows
            if pending_rows >= chunk_rows:
                yield from emit(final=False)
    except pa.ArrowInvalid as e:
        raise ReadError(f"{path}: CSV broken after data row {row + pending_rows - 1}: {e}") from None
    if pending_rows:
        yield from emit(final=True)


def detect_encoding(path: Path) -> str:
    """utf-8-sig when the file starts with a BOM, utf-8 when its start decodes as UTF-8, else cp1252."""
    with _open(path) as fh:
        head = fh.read(1 << 20)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "cp1252"
    return "utf-8"


def detect_delimiter(path: Path, encoding: str) -> str:
    """The most frequent of ; , tab | in the header line."""
    with _open(path) as fh:
        header = fh.readline().decode(encoding, errors="replace")
    counts = {d: header.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested objects as `parent.child` columns."""
    while any(isinstance(dtype, pl.Struct) for dtype in frame.dtypes):
        cols = []
        for name, dtype in frame.schema.items():
            if isinstance(dtype, pl.Struct):
                cols += [pl.col(name).struct.field(f.name).alias(f"{name}.{f.name}") for f in dtype.fields]
            else:
                cols.append(pl.col(name))
        frame = frame.select(cols)
    return frame


def read_jsonl(path: Path, *, chunk_rows: int = CHUNK_ROWS, **_) -> Iterator[RawChunk]:
    """JSON lines, one object per line; a line that is not a JSON object is reported, not fatal."""
    row = 1
    with path.open("rb") as fh:
        while True:
            lines = fh.readlines(1 << 22)
            if not lines:
                break
            for start in range(0, len(lines), chunk_rows):
                part = lines[start:start + chunk_rows]
                yield _json_chunk(part, row)
                row += len(part)


def _json_chunk(lines: list[bytes], first: int) -> RawChunk:
    if all(line.strip().startswith(b"{") for line in lines):
        try:  # the fast path: every line an object polars can read
            frame = _flatten(pl.read_ndjson(io.BytesIO(b"".join(lines)), infer_schema_length=None))
            if frame.height == len(lines):
                return RawChunk(_numbered(frame, first))
        except Exception:  # noqa: BLE001 - any parse problem: fall back to line by line, which names the line
            pass
    unreadable = []
    good = []
    numbers = []
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            unreadable.append((first + i, "empty line", ""))
            continue
        try:
            obj = json.loads(text)
        except ValueError as e:
            unreadable.append((first + i, f"not JSON: {e.msg} at column {e.colno}", text.decode("utf-8", "replace")))
            continue
        if not isinstance(obj, dict):
            unreadable.append((first + i, "not a JSON object", text.decode("utf-8", "replace")))
            continue
        good.append(text)
        numbers.append(first + i)
    if good:
        frame = _flatten(pl.read_ndjson(io.BytesIO(b"\n".join(good)), infer_schema_length=None))
        frame = frame.with_columns(pl.Series("row_number", numbers, dtype=pl.Int64)).select(
            "row_number", pl.exclude("row_number"))
    else:
        frame = pl.DataFrame({"row_number": pl.Series([], dtype=pl.Int64)})
    return RawChunk(frame, unreadable)


def read_parquet(path: Path, *, chunk_rows: int = CHUNK_ROWS, **_) -> Iterator[RawChunk]:
    """A Parquet file, one row group (or `chunk_rows`) at a time."""
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise ReadError(f"{path}: cannot read as Parquet: {e}") from None
    row = 1
    for batch in pf.iter_batches(batch_size=chunk_rows):
        frame = pl.from_arrow(pa.Table.from_batches([batch]))
        yield RawChunk(_numbered(_flatten(frame), row))
        row += frame.height


def read_excel(path: Path, *, sheets: str | None = None, chunk_rows: int = CHUNK_ROWS, **_) -> Iterator[RawChunk]:
    """The sheets of an .xlsx file whose names match `sheets` (a glob; default all), read as a stream.

    Row numbers run on across sheets, so a row is identified by its number in the whole export.
    """
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several kinds for a file that is not a workbook
        raise ReadError(f"{path}: cannot read as Excel: {e}") from None
    row = 1
    try:
        for ws in book.worksheets:
            if sheets and not fnmatch.fnmatch(ws.title, sheets):
                continue
            it = ws.iter_rows(values_only=True)
            header = next(it, None)
            if header is None:
                continue
            names = [str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(header)]
            buf = []
            for values in it:
                buf.append(values)
                if len(buf) >= chunk_rows:
                    yield RawChunk(_numbered(pl.DataFrame(buf, schema=names, orient="row",
                                                          infer_schema_length=None), row))
                    row += len(buf)
                    buf = []
            if buf:
                yield RawChunk(_numbered(pl.DataFrame(buf, schema=names, orient="row", infer_schema_length=None),
                                         row))
                row += len(buf)
    finally:
        book.close()


def _read_xes(path: Path, **kw) -> Iterator[RawChunk]:
    from connectors.xes import read_xes

    return read_xes(path, **kw)


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet, "excel": read_excel, "xes": _read_xes}
