"""Delimited text files (CSV and its kin), read in chunks, never whole, every column as text.

Encoding and delimiter are detected when the source does not give them. Arrow reads the file
fast while its rows are well formed; from the first row it cannot take, the rest is read row
by row, and each bad row is handed on as unreadable with its number and reason, so one bad
row never costs the file.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from connectors.base import CHUNK_ROWS, RawChunk, ReadError, arrow_frame, numbered, open_bytes, unique_names

NULL_STRINGS = ["", "NULL", "null"]
MAX_FIELD_BYTES = 1 << 20  # a longer field is no value a process step has: its row goes to quarantine


def read_csv(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    max_field_bytes: int = MAX_FIELD_BYTES,
    unterminated_last_line: str = "quarantine",
) -> Iterator[RawChunk]:
    """A delimited text file, every column as text; encoding and delimiter detected when not given.

    Read fast by Arrow while every row is well formed. At the first row Arrow cannot take (a
    row with more or fewer fields than the header, a last line cut off, a field longer than
    Arrow's 4 MB block), the rest of the file is read row by row instead, and each such row
    is reported as unreadable with its row number and reason (it goes to quarantine), so one
    bad row never costs the file. A file that is not text at all (binary, broken gzip) is
    refused whole, in one line.

    A last line without a line ending, in a file whose lines have them, is an export cut off
    mid-write (a time "10:1" for "10:15" reads as 10:01): with `unterminated_last_line =
    "quarantine"` (the default) it goes to quarantine, and loads once a later export ends it.
    """
    try:
        encoding = encoding or detect_encoding(path)
    except (OSError, EOFError) as e:  # a gzip cut off or corrupt
        raise ReadError(f"{path}: not readable ({e}); refused whole") from None
    _refuse_binary(path, encoding)
    skip = 1  # lines before the first data row
    with io.TextIOWrapper(open_bytes(path), encoding=encoding, newline="", errors="surrogateescape") as fh:
        try:
            header = fh.readline().lstrip("\ufeff").rstrip("\r\n")
            hint = SEP_HINT.fullmatch(header)
            if hint:  # Excel's "sep=;" line: the delimiter, said before the header
                delimiter = delimiter or hint.group(1)
                header, skip = fh.readline().rstrip("\r\n"), 2
        except UnicodeDecodeError as e:
            raise ReadError(f"{path}: the header is not {encoding} text ({e.reason}); give the encoding") from None
        except (OSError, EOFError) as e:
            raise ReadError(f"{path}: not a readable file ({e}); refused whole") from None
    if _UNDECODED.search(header):
        raise ReadError(f"{path}: the header is not {encoding} text; give the encoding")
    delimiter = delimiter or detect_delimiter(path, encoding)
    names = next(csv.reader([header], delimiter=delimiter)) if header else []  # quoted names unquoted
    if names and names[-1] == "":  # a trailing delimiter on every line: a nameless empty last column
        names[-1] = "_trailing"
    unique = unique_names(names)
    cut = unterminated_last_line == "quarantine" and _unterminated(path, encoding)
    row = 1
    try:
        for chunk in _arrow_chunks(path, encoding, delimiter, unique, chunk_rows, cut, skip):
            yield chunk
            row += chunk.frame.height + len(chunk.unreadable)
    except _Malformed:
        yield from _row_by_row(path, encoding, delimiter, unique, row, chunk_rows, max_field_bytes, cut, skip)


SEP_HINT = re.compile(r'"?sep=(.)"?')  # Excel's first line naming the delimiter
_UNDECODED = re.compile("[\udc80-\udcff]")  # a byte the encoding could not read, as surrogateescape keeps it
CUT = "the last line has no line ending: cut off mid-write? (it loads once an export ends it)"


def _unterminated(path: Path, encoding: str) -> bool:
    """True when the file's last line has no line ending and an earlier line has one (not known for gzip: False)."""
    if path.name.lower().endswith(".gz"):
        return False
    with path.open("rb") as fh:
        size = fh.seek(0, io.SEEK_END)
        if size < 4:
            return False
        fh.seek(max(0, size - 4))
        tail = fh.read()
        fh.seek(0)
        head = fh.read(1 << 20)
    wide = encoding.lower().replace("_", "-").startswith("utf-16")
    newline = (b"\n\x00", b"\x00\n", b"\r\x00", b"\x00\r") if wide else (b"\n", b"\r")
    return not tail.endswith(newline) and (b"\n" in head or b"\r" in head)


def _trailing(frame: pl.DataFrame) -> pl.DataFrame:
    """The nameless last column (a header that ends in a delimiter) left out when it is empty throughout, as a
    trailing delimiter on every line makes it; kept as column_<n> when some row has a value there."""
    if "_trailing" not in frame.columns:
        return frame
    if frame["_trailing"].null_count() == frame.height:
        return frame.drop("_trailing")
    return frame.rename({"_trailing": f"column_{frame.columns.index('_trailing') + 1}"})


class _Malformed(Exception):
    """Arrow met a row it cannot take: the rest of the file is read row by row."""


def _arrow_chunks(
    path: Path, encoding: str, delimiter: str, names: list[str], chunk_rows: int, cut: bool, skip: int = 1
) -> Iterator[RawChunk]:
    """The file's rows by Arrow, `chunk_rows` at a time; _Malformed at the first row it cannot take (before
    yielding the chunk that would hold it). `cut`: the last row is reported unreadable (see `read_csv`)."""
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="gzip" if path.name.lower().endswith(".gz") else None),
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
                column_names=names,
                skip_rows=skip,
                block_size=1 << 22,
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=NULL_STRINGS, strings_can_be_null=True
            ),
        )
    except (pa.ArrowInvalid, OSError, EOFError, UnicodeDecodeError):
        raise _Malformed from None
    row = 1
    pending: list[pa.RecordBatch] = []
    pending_rows = 0

    def emit(final: bool) -> Iterator[RawChunk]:
        nonlocal row, pending, pending_rows
        table = pa.Table.from_batches(pending)
        # a row is always held back until the file's end is known: the last one may be cut
        take = table.num_rows if final else (table.num_rows - 1) // chunk_rows * chunk_rows
        for offset in range(0, take, chunk_rows):
            frame = arrow_frame(table.slice(offset, min(chunk_rows, take - offset)))
            unreadable = []
            if final and cut and offset + frame.height == take:
                last = frame.row(frame.height - 1)
                unreadable = [(row + frame.height - 1, CUT, _line(["" if v is None else v for v in last], delimiter))]
                frame = frame.head(frame.height - 1)
            yield RawChunk(numbered(_trailing(frame), row), unreadable)
            row += frame.height + len(unreadable)
        rest = table.slice(take)
        pending, pending_rows = ([b for b in rest.to_batches()], rest.num_rows)

    batches = iter(reader)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            break
        except (pa.ArrowInvalid, OSError, EOFError, UnicodeDecodeError):
            raise _Malformed from None
        pending.append(batch)
        pending_rows += batch.num_rows
        if pending_rows >= chunk_rows:
            yield from emit(final=False)
    if pending_rows:
        yield from emit(final=True)


def _row_by_row(
    path: Path,
    encoding: str,
    delimiter: str,
    names: list[str],
    first: int,
    chunk_rows: int,
    max_field_bytes: int,
    cut: bool,
    skip: int = 1,
) -> Iterator[RawChunk]:
    """The file's data rows from row `first` on, by Python's csv module: a row with another number of fields than
    the header, or a field over `max_field_bytes`, is reported unreadable (row number, reason, its text); so is
    the last row when `cut` (see `read_csv`)."""
    csv.field_size_limit(sys.maxsize)  # a long field is judged here, by max_field_bytes, not by the csv module
    width = len(names)
    keep = list(range(width))
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    unreadable: list[tuple[int, str, str]] = []

    def chunk() -> RawChunk:
        frame = pl.DataFrame(
            [[r[i] for i in keep] for r in rows], schema={names[i]: pl.Utf8 for i in keep}, orient="row"
        )
        frame = (
            _trailing(frame)
            .with_columns(pl.Series("row_number", numbers, dtype=pl.Int64))
            .select("row_number", pl.exclude("row_number"))
        )
        return RawChunk(frame, unreadable)

    row = 0
    try:
        with io.TextIOWrapper(open_bytes(path), encoding=encoding, newline="", errors="surrogateescape") as fh:
            records = csv.reader(fh, delimiter=delimiter)
            for _ in range(skip):  # the header (and Excel's "sep=" line before it)
                next(records, None)
            for fields in records:
                if not fields:  # an empty line is no row (as Arrow reads it)
                    continue
                row += 1
                if row < first:
                    continue
                if len(rows) + len(unreadable) >= chunk_rows:  # yielded before the next row: the last stays here
                    yield chunk()
                    rows, numbers, unreadable = [], [], []
                bad = _bad_row(fields, names, encoding, delimiter, max_field_bytes)
                if bad is not None:
                    unreadable.append((row, *bad))
                else:
                    rows.append([None if f in NULL_STRINGS else f for f in fields])
                    numbers.append(row)
    except UnicodeDecodeError as e:
        raise ReadError(f"{path}: data row {row + 1} is not {encoding} text ({e.reason}); give the encoding") from None
    except (OSError, EOFError) as e:  # a gzip cut off or corrupt
        raise ReadError(f"{path}: not readable after data row {row} ({e}); refused whole") from None
    if cut and numbers and numbers[-1] == row:  # the last row was read as good: it may be cut
        unreadable.append((row, CUT, _line(["" if v is None else v for v in rows.pop()], delimiter)))
        numbers.pop()
    if rows or unreadable:
        yield chunk()


def _bad_row(
    fields: list[str], names: list[str], encoding: str, delimiter: str, max_field_bytes: int
) -> tuple[str, str] | None:
    """Why a row the csv module read is unreadable, and its text as quarantine keeps it; None when it is good."""
    width = len(names)
    long = next(
        (i for i, f in enumerate(fields) if len(f) > max_field_bytes // 4 and len(f.encode()) > max_field_bytes),
        None,
    )
    odd = next((i for i, f in enumerate(fields) if _UNDECODED.search(f)), None)
    if odd is not None:
        undecoded = _UNDECODED.search(fields[odd])
        assert undecoded is not None  # the search that found `odd`
        byte = ord(undecoded.group(0)) - 0xDC00
        return (
            f"not {encoding} text (byte 0x{byte:02x} in field "
            f"{names[odd] if odd < width else odd + 1!r}; give the encoding)",
            _UNDECODED.sub("\ufffd", _line(fields, delimiter)),
        )
    if len(fields) != width:
        return (
            f"row has {len(fields)} fields, the header {width} (cut off, or a delimiter or quote out of place)",
            _line(fields, delimiter),
        )
    if long is not None:
        return (
            f"field {names[long]!r} is longer than {max_field_bytes:,} bytes (max_field_bytes)",
            _line(fields, delimiter),
        )
    return None


def _line(fields: list[str], delimiter: str) -> str:
    """A row's text as quarantine keeps it: its fields joined, each cut to 2,000 characters."""
    return delimiter.join(f if len(f) <= 2000 else f[:2000] + "…" for f in fields)


def _refuse_binary(path: Path, encoding: str) -> None:
    """ReadError when the file is not text: NUL bytes in its first 64 KB (outside UTF-16), or gzip that does not
    open."""
    if path.name.lower().endswith(".gz") and path.stat().st_size == 0:
        raise ReadError(f"{path}: an empty file, not gzip (a gzip file has a header even when empty); refused whole")
    if encoding.lower().replace("_", "-").startswith("utf-16"):
        return
    try:
        with open_bytes(path) as fh:
            head = fh.read(1 << 16)
    except (OSError, EOFError) as e:
        raise ReadError(f"{path}: not readable ({e}); refused whole") from None
    if b"\x00" in head:
        raise ReadError(f"{path}: a binary file, not delimited text (NUL bytes in its first 64 KB); refused whole")


def detect_encoding(path: Path) -> str:
    """The encoding of a text file, from all of it: a BOM (UTF-8, UTF-16), UTF-16 by its zero bytes, UTF-8 when
    every byte decodes as UTF-8 (or nearly: a stray byte among many valid characters), else cp1252 (Latin-1 with
    the Windows characters).

    The whole file is checked, not its first megabyte: an export whose first rows are ASCII can hold an "ø"
    on row 900,000.
    """
    import codecs

    with open_bytes(path) as fh:
        head = fh.read(1 << 16)
        if head.startswith(b"\xef\xbb\xbf"):
            return "utf-8-sig"
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16"
        sample = head[:4096]
        if len(sample) >= 4 and sample.count(0) >= len(sample) // 4:  # ASCII text as UTF-16: every other byte 0
            return "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        decoder = codecs.getincrementaldecoder("utf-8")()
        block = head
        try:
            while block:
                decoder.decode(block)
                block = fh.read(1 << 20)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    # Not UTF-8 throughout: UTF-8 with a stray byte or two (its rows with them go to quarantine) when its other
    # characters beyond ASCII are valid UTF-8 and outnumber the bytes that are not, else cp1252.
    invalid = valid = 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    with open_bytes(path) as fh:
        while block := fh.read(1 << 20):
            text = decoder.decode(block)
            bad = text.count("\ufffd")
            invalid += bad
            valid += len(text) - len(text.encode("ascii", "ignore").decode()) - bad
        invalid += decoder.decode(b"", final=True).count("\ufffd")
    return "utf-8" if valid > invalid else "cp1252"


def detect_delimiter(path: Path, encoding: str) -> str:
    """The most frequent of ; , tab | in the header line."""
    with io.TextIOWrapper(open_bytes(path), encoding=encoding, errors="replace", newline="") as fh:
        header = fh.readline()
    counts = {d: header.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","
