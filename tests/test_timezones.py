"""Naive local times to UTC, including the two daylight-saving edges of 2025 in Copenhagen."""

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from vaerdistrom.timezones import local_to_utc

UTC = ZoneInfo("UTC")


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_gap_and_overlap_are_read_with_the_offset_before_the_change():
    naive = pl.Series(
        "t",
        [
            dt.datetime(2025, 3, 30, 1, 59),
            dt.datetime(2025, 3, 30, 2, 30),
            dt.datetime(2025, 3, 30, 3, 0),
            dt.datetime(2025, 10, 26, 2, 30),
            dt.datetime(2025, 10, 26, 3, 30),
            None,
            dt.datetime(2025, 6, 1, 12, 0),
        ],
    )
    r = local_to_utc(naive)
    assert r.utc.to_list() == [
        utc(2025, 3, 30, 0, 59),
        utc(2025, 3, 30, 1, 30),
        utc(2025, 3, 30, 1, 0),
        utc(2025, 10, 26, 0, 30),
        utc(2025, 10, 26, 2, 30),
        None,
        utc(2025, 6, 1, 10, 0),
    ]
    assert (r.nonexistent, r.ambiguous) == (1, 1)
    assert r.utc.name == "t"


def test_already_zoned_times_are_converted_not_reinterpreted():
    aware = pl.Series([dt.datetime(2025, 1, 1, 9, 0)]).dt.replace_time_zone("Europe/Copenhagen")
    r = local_to_utc(aware)
    assert r.utc.to_list() == [utc(2025, 1, 1, 8, 0)] and (r.nonexistent, r.ambiguous) == (0, 0)


@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1)))
def test_agrees_with_zoneinfo_where_the_local_time_is_unambiguous(naive):
    zone = ZoneInfo("Europe/Copenhagen")
    naive = naive.replace(microsecond=0)
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    r = local_to_utc(pl.Series([naive]))
    if first.utcoffset() == second.utcoffset():  # neither gap nor overlap
        assert r.utc.to_list() == [first.astimezone(UTC)] and (r.nonexistent, r.ambiguous) == (0, 0)
    else:  # zoneinfo's fold=0 is the offset before the change: the same rule
        assert r.utc.to_list() == [first.astimezone(UTC)] and r.nonexistent + r.ambiguous == 1
