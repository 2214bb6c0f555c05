"""File connectors: read an export in chunks, never whole, as raw polars frames.

`READERS` names the reader of each kind of file a source may be: delimited text
(`connectors.delimited`), JSON lines, Parquet and Excel (here), and XES (`connectors.xes`).
Each yields `RawChunk`s (`connectors.base`): the rows as they are in the file (column names
as in the file, nested JSON flattened to `a.b`), each row's number in the file, and rows that
could not be read at all (a malformed JSON line), for the loader to quarantine.
"""

from __future__ import annotations

import fnmatch
import io
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from connectors.base import CHUNK_ROWS, RawChunk, Reader, ReadError, arrow_frame, numbered, open_bytes, unique_names
from connectors.delimited import read_csv
from connectors.xes import read_xes


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
    """JSON lines (gzipped when the name ends in .gz), one object per line; a line that is not a JSON object, or
    not UTF-8, is reported, not fatal."""
    row = 1
    with open_bytes(path) as fh:
        while True:
            lines = fh.readlines(1 << 22)
            if not lines:
                break
            for start in range(0, len(lines), chunk_rows):
                part = lines[start : start + chunk_rows]
                yield _json_chunk(part, row)
                row += len(part)


def _json_chunk(lines: list[bytes], first: int) -> RawChunk:
    if all(line.strip().startswith(b"{") for line in lines):
        try:  # the fast path: every line an object polars can read
            frame = _flatten(pl.read_ndjson(io.BytesIO(b"".join(lines)), infer_schema_length=None))
            if frame.height == len(lines):
                return RawChunk(numbered(frame, first))
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
            obj = json.loads(text.decode("utf-8"))
        except UnicodeDecodeError as e:
            unreadable.append(
                (
                    first + i,
                    f"not UTF-8 text (byte 0x{text[e.start]:02x} at column {e.start + 1})",
                    text.decode("utf-8", "replace"),
                )
            )
            continue
        except json.JSONDecodeError as e:
            unreadable.append((first + i, f"not JSON: {e.msg} at column {e.colno}", text.decode("utf-8", "replace")))
            continue
        except ValueError as e:  # valid JSON Python will not read: an integer of more than 4,300 digits
            unreadable.append((first + i, f"not readable JSON: {e}", text.decode("utf-8", "replace")))
            continue
        if not isinstance(obj, dict):
            unreadable.append((first + i, "not a JSON object", text.decode("utf-8", "replace")))
            continue
        good.append(text)
        numbers.append(first + i)
    if good:
        try:
            frame = _flatten(pl.read_ndjson(io.BytesIO(b"\n".join(good)), infer_schema_length=None))
        except Exception:  # noqa: BLE001 - a key whose value changes shape (1, then {"a": 1}), or a NaN: as text
            frame = _as_text([json.loads(line.decode("utf-8")) for line in good])
        frame = frame.with_columns(pl.Series("row_number", numbers, dtype=pl.Int64)).select(
            "row_number", pl.exclude("row_number")
        )
    else:
        frame = pl.DataFrame({"row_number": pl.Series([], dtype=pl.Int64)})
    return RawChunk(frame, unreadable)


def _as_text(objects: list[dict]) -> pl.DataFrame:
    """JSON objects as a frame of text columns: nested objects as `parent.child`, lists as their JSON, every other
    value as its text (true/false for booleans); for lines polars cannot read as one table."""

    def flat(obj: dict, prefix: str = "") -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for key, value in obj.items():
            name = prefix + str(key)
            if isinstance(value, dict):
                out.update(flat(value, name + "."))
            elif isinstance(value, list):
                out[name] = json.dumps(value, ensure_ascii=False)
            elif isinstance(value, bool):
                out[name] = "true" if value else "false"
            else:
                out[name] = None if value is None else str(value)
        return out

    rows = [flat(o) for o in objects]
    names = list(dict.fromkeys(k for r in rows for k in r))
    return pl.DataFrame({n: [r.get(n) for r in rows] for n in names}, schema={n: pl.Utf8 for n in names})


def read_parquet(path: Path, *, chunk_rows: int = CHUNK_ROWS, **_) -> Iterator[RawChunk]:
    """A Parquet file, one row group (or `chunk_rows`) at a time."""
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise ReadError(f"{path}: cannot read as Parquet: {e}") from None
    row = 1
    for batch in pf.iter_batches(batch_size=chunk_rows):
        frame = arrow_frame(pa.Table.from_batches([batch]))
        yield RawChunk(numbered(_flatten(frame), row))
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
            names = unique_names([str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(header)])
            buf = []
            for values in it:
                buf.append(values)
                if len(buf) >= chunk_rows:
                    yield RawChunk(numbered(_cells(buf, names), row))
                    row += len(buf)
                    buf = []
            if buf:
                yield RawChunk(numbered(_cells(buf, names), row))
                row += len(buf)
    finally:
        book.close()


def _cells(rows: list[tuple], names: list[str]) -> pl.DataFrame:
    """Rows of cells as a frame, each column typed by its cells; a column whose cells mix kinds (a text cell in a
    column of dates: "ukendt") as text, dates in ISO 8601, so one odd cell is judged in its row, not fatal."""
    rows = [tuple(r) + (None,) * (len(names) - len(r)) if len(r) < len(names) else tuple(r[: len(names)]) for r in rows]
    try:
        return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
        pass
    columns = {}
    for i, name in enumerate(names):
        values = [r[i] for r in rows]
        try:
            columns[name] = pl.Series(name, values, strict=True)
        except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
            columns[name] = pl.Series(
                name,
                [
                    None
                    if v is None
                    else v.isoformat(sep=" ")
                    if hasattr(v, "isoformat") and not isinstance(v, str)
                    else str(v)
                    for v in values
                ],
                dtype=pl.Utf8,
            )
    return pl.DataFrame(columns)


READERS: dict[str, Reader] = {
    "csv": read_csv,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
    "excel": read_excel,
    "xes": read_xes,
}
