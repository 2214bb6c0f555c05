"""What every connector hands the warehouse: raw chunks of rows, numbered, and one error kind.

A reader (a file of one kind) and a puller (a live database or API, `watermark.Puller`) both yield `RawChunk`s:
the rows as the source has them (its own column names, nested fields as `a.b`), each row's
number in the source (1 = the first data row), and the rows that could not be read at all,
so the loader can quarantine them with their number. Mapping to the canonical schema is the
warehouse's; a connector knows its source and nothing downstream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import polars as pl

from vaerdistrom.errors import VaerdistromError

if TYPE_CHECKING:
    import pyarrow as pa

CHUNK_ROWS = 50_000


@dataclass
class RawChunk:
    """Rows read from a source: `frame` with `row_number` (1-based data row) as its first column."""

    frame: pl.DataFrame
    unreadable: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, reason, text)


class ReadError(VaerdistromError, ValueError):
    """A source that cannot be read as its declared kind (said with the file's name, or the source's)."""


# A file reader: called with the file's path and its kind's options (`chunk_rows` among them, keyword only), it yields
# the file's rows as chunks of at most `chunk_rows`, never the whole file at once.
Reader = Callable[..., Iterator[RawChunk]]


def numbered(frame: pl.DataFrame, first: int) -> pl.DataFrame:
    """The frame with `row_number` (from `first` on) as its first column."""
    return frame.with_columns(pl.int_range(first, first + frame.height, dtype=pl.Int64).alias("row_number")).select(
        "row_number", pl.exclude("row_number")
    )


def arrow_frame(table: pa.Table) -> pl.DataFrame:
    """An Arrow table as a polars frame. (`pl.from_arrow` is typed frame or series, as pyarrow has no types to
    tell a table from an array by: a table gives a frame.)"""
    return cast(pl.DataFrame, pl.from_arrow(table))


def open_bytes(path: Path):
    """A file's bytes, gunzipped when its name ends in .gz."""
    import gzip

    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique as a CSV header's are: a repeated name gets _2, _3, ..."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out
