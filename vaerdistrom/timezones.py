"""Naive source times to UTC, with one documented rule for the daylight-saving edges.

A naive timestamp is read in its source's zone (default Europe/Copenhagen). Twice a year
a local time is not one instant: in spring 02:00-02:59 does not exist, in autumn it
happens twice. The rule, for both: **read the time with the UTC offset in force just
before the change**. So 2025-03-30 02:30 is read as +01:00 (01:30 UTC, shown on the
clock as 03:30), and 2025-10-26 02:30 as +02:00 (00:30 UTC, the first of the two). That is
what a clock nobody has changed yet would have shown. Both kinds are counted, so the
batch can report how many rows the rule touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

DEFAULT_ZONE = "Europe/Copenhagen"


@dataclass(frozen=True)
class LocalisedTimes:
    """UTC instants and how many rows fell in a DST gap (nonexistent) or overlap (ambiguous)."""

    utc: pl.Series
    nonexistent: int
    ambiguous: int


def local_to_utc(naive: pl.Series, zone: str = DEFAULT_ZONE) -> LocalisedTimes:
    """Naive local datetimes in `zone` -> UTC datetimes (nulls stay null), by the rule above."""
    if naive.dtype == pl.Datetime and getattr(naive.dtype, "time_zone", None):
        return LocalisedTimes(naive.dt.convert_time_zone("UTC"), 0, 0)
    naive = naive.cast(pl.Datetime("us"))
    strict = naive.dt.replace_time_zone(zone, ambiguous="null", non_existent="null")
    local = naive.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
    gap = local.is_null() & naive.is_not_null()
    ambiguous = int((strict.is_null() & ~gap & naive.is_not_null()).sum())
    shift = 1
    while gap.any() and shift <= 3:  # before the change: an hour earlier exists, then add the hour back
        earlier = (naive - pl.duration(hours=shift)).dt.replace_time_zone(
            zone, ambiguous="earliest", non_existent="null"
        ) + pl.duration(hours=shift)
        local = pl.select(pl.when(gap).then(earlier).otherwise(local)).to_series()
        gap = local.is_null() & naive.is_not_null()
        shift += 1
    nonexistent = int((strict.is_null() & naive.is_not_null()).sum()) - ambiguous
    return LocalisedTimes(local.dt.convert_time_zone("UTC").alias(naive.name), nonexistent, ambiguous)
