"""A pull's watermark: the highest value of the column (or field) that grows with new rows.

A source read from a live system (`connectors.sql`, `connectors.rest`) asks for the rows
from its last pull's watermark on, less a lookback for rows written late. The value is kept
as text with its kind, so it goes back to the source as the type it came as.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from connectors.base import RawChunk, ReadError


@dataclass(frozen=True)
class Watermark:
    """The highest watermark a pull saw, as text, with its kind: integer, timestamp, timestamptz, date, text."""

    kind: str
    value: str

    def back(self, *, seconds: float = 0, ids: int = 0) -> Watermark:
        """The watermark moved back by the lookback (seconds for times and dates, ids for integers)."""
        if self.kind == "integer":
            return Watermark(self.kind, str(int(self.value) - ids))
        if self.kind in ("timestamp", "timestamptz") and seconds:
            return Watermark(
                self.kind, (dt.datetime.fromisoformat(self.value) - dt.timedelta(seconds=seconds)).isoformat()
            )
        if self.kind == "date" and seconds:
            return Watermark(
                self.kind, (dt.date.fromisoformat(self.value) - dt.timedelta(days=-(-seconds // 86400))).isoformat()
            )
        return self

    @staticmethod
    def parse(text: str) -> Watermark:
        """A watermark given by hand (`start`): an integer, a date, or an ISO 8601 time."""
        text = text.strip()
        try:
            return Watermark("integer", str(int(text)))
        except ValueError:
            pass
        try:
            return (
                Watermark("date", dt.date.fromisoformat(text).isoformat())
                if len(text) == 10
                else Watermark.of(dt.datetime.fromisoformat(text))
            )
        except ValueError:
            raise ReadError(f"watermark {text!r} is neither an integer nor an ISO 8601 date or time") from None

    @staticmethod
    def of(value) -> Watermark:
        """The watermark of a value read from the database."""
        if isinstance(value, bool):
            raise ReadError("a true/false column cannot be a watermark")
        if isinstance(value, int):
            return Watermark("integer", str(value))
        if isinstance(value, dt.datetime):
            return Watermark("timestamptz" if value.tzinfo else "timestamp", value.isoformat())
        if isinstance(value, dt.date):
            return Watermark("date", value.isoformat())
        return Watermark("text", str(value))


class Puller(Protocol):
    """One pull from a live system (`connectors.sql.SqlPull`, `connectors.rest.RestPull`): its rows as chunks;
    after the last, `high` is the highest watermark seen."""

    high: Watermark | None

    def __iter__(self) -> Iterator[RawChunk]: ...
