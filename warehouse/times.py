"""Source times read as UTC instants, and the window a true time falls in.

A time with an offset (`Z`, `+01:00`, PostgreSQL's `+01`) is that instant; a naive one is read
in its source's zone by the daylight-saving rule of `vaerdistrom.timezones`; numbers since
1970 are read as epoch seconds or milliseconds. A value no format fits is null, so its row
goes to quarantine, never a guess.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from vaerdistrom.timezones import local_to_utc
from warehouse.config import Source

# an offset at the end of a time (ISO 8601's Z, +01:00, +0100, and PostgreSQL's +01), after the time's minutes
OFFSET = r"\d\d:\d\d(:\d\d(\.\d+)?)?\s?(Z|[+-]\d\d(:?\d\d)?)$"
_TIME_AND_OFFSET = r"(\d\d:\d\d(?::\d\d(?:\.\d+)?)?)\s?(Z|[+-]\d\d(?::?\d\d)?)$"


def parse_ts(raw: pl.Series, src: Source) -> tuple[pl.Series, int, int]:
    """Source timestamps -> UTC; returns (utc, dst ambiguous, dst nonexistent). Unreadable values -> null.

    `timestamp_format = "epoch_seconds"` (or strptime's "%s") and `"epoch_milliseconds"` read numbers since
    1970-01-01 UTC, never local time; without a format, a chunk whose every time is such a number is read so too.
    """
    if src.timestamp_format in EPOCH_SCALE and raw.dtype != pl.Datetime:
        return _epoch_at(raw, EPOCH_SCALE[src.timestamp_format]), 0, 0
    epoch = _epoch(raw) if not src.timestamp_format else None
    if epoch is not None:
        return epoch, 0, 0
    if raw.dtype == pl.Datetime:
        naive = raw
    else:
        text = raw.cast(pl.Utf8).str.strip_chars()
        if src.timestamp_format:
            naive = text.str.strptime(pl.Datetime("us"), src.timestamp_format, strict=False)
        else:
            offset = text.str.contains(OFFSET).fill_null(False)
            if offset.any():
                zoned = pl.select(pl.when(pl.lit(offset)).then(pl.lit(text))).to_series()
                zoned = zoned.str.replace(r"([+-]\d\d)$", "${1}:00").str.replace(_TIME_AND_OFFSET, "${1}${2}")
                aware = by_shape(zoned, "UTC")
                naive_part = by_shape(pl.select(pl.when(~pl.lit(offset)).then(pl.lit(text))).to_series())
                utc_naive = local_to_utc(naive_part, src.timezone)
                utc = pl.select(pl.when(pl.lit(offset)).then(aware).otherwise(utc_naive.utc)).to_series()
                return utc, utc_naive.ambiguous, utc_naive.nonexistent
            naive = by_shape(text)
    result = local_to_utc(naive, src.timezone)
    return result.utc, result.ambiguous, result.nonexistent


SHAPES = 50  # the most common shapes of a chunk's times that are tried; a real export has one to three


def by_shape(text: pl.Series, time_zone: str | None = None) -> pl.Series:
    """Text times read shape by shape (a shape: the text with every digit as 9), each shape's format inferred from
    its own values: polars infers one format per call from the first value, so a column mixing
    '2025-01-06 10:00' and '2025-01-06T11:00:00', or one whose first value fits no format, would lose the rest.
    A value no format fits is null. `time_zone`: the values carry offsets, read as instants in it."""
    dtype = pl.Datetime("us", time_zone)
    shape = text.str.replace_all(r"[0-9]", "9")
    common = shape.drop_nulls().value_counts(sort=True).head(SHAPES)[shape.name or ""]
    out = pl.Series(text.name, [None] * text.len(), dtype=dtype)
    for one in common.to_list():
        rows = (shape == one).fill_null(False)
        try:
            read = text.filter(rows).str.to_datetime(strict=False, time_unit="us", time_zone=time_zone)
        except pl.exceptions.PolarsError:  # no format fits this shape: its values stay null
            continue
        out = out.scatter(rows.arg_true(), read.cast(dtype))
    return out


EPOCH_SCALE = {"epoch_seconds": 1, "%s": 1, "epoch_milliseconds": 1_000}  # per second
# seconds (9-11 digits) or milliseconds (13 digits) since 1970, UTC; twelve digits are not read as either unasked
# (milliseconds before 2001, or a compact 202501061000)
EPOCH = r"^(\d{9,11}|\d{13})(\.\d+)?$"


def _epoch(raw: pl.Series) -> pl.Series | None:
    """Epoch times as UTC instants, when every value of the chunk is one (a number, or text of digits); else None.

    Up to 11 digits are seconds (to the year 5138), 13 milliseconds.
    """
    if raw.dtype.is_numeric():
        seconds = raw.cast(pl.Float64)
    elif raw.dtype == pl.Utf8:
        text = raw.str.strip_chars()
        present = text.filter(text.is_not_null() & (text != ""))
        if present.is_empty() or not present.str.contains(EPOCH).all():
            return None
        seconds = text.cast(pl.Float64, strict=False)
    else:
        return None
    present = seconds.drop_nulls()
    if present.is_empty():
        return None
    # each value by its own size: 13 digits are milliseconds, up to 11 seconds (a chunk may hold both)
    millis = _epoch_at(seconds, 1_000)
    return (
        pl.select(pl.when(seconds.abs() >= 1e11).then(millis).otherwise(_epoch_at(seconds, 1)))
        .to_series()
        .alias(raw.name)
    )


def _epoch_at(raw: pl.Series, per_second: int) -> pl.Series:
    """Numbers (or their text) counted `per_second` since 1970-01-01 UTC as UTC instants; anything else null."""
    numbers = (
        raw.cast(pl.Float64, strict=False)
        if raw.dtype.is_numeric()
        else raw.cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False)
    )
    micros = (numbers * (1_000_000 / per_second)).round()
    micros = pl.select(pl.when(micros.abs() < 2**62).then(micros)).to_series()  # beyond any datetime: unreadable
    return micros.cast(pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias(raw.name)


def plausible(src: Source, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The window a source's times must fall in (UTC): from its `earliest` day to `days_ahead` days from now."""
    now = now or dt.datetime.now(dt.UTC)
    return (dt.datetime.combine(src.earliest, dt.time(), dt.UTC), now + dt.timedelta(days=src.days_ahead))
