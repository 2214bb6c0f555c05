"""Ids come out as they always have: an MD5 of the row's content and its occurrence number, whichever way the
occurrence numbers are found (stored first and numbered after, numbered from the stage, or the old window)."""

import hashlib
import uuid

import polars as pl
import pytest

from vaerdistrom.schema import EVENTS
from warehouse.ids import insert_new, insert_new_sql
from warehouse.migrations import connect

COLUMNS = EVENTS.names
# (source_seq, activity, key): rows of one case at one time, so a row's content is its activity alone
ROWS = [(1, "A", None), (2, "B", None), (3, "A", None), (4, "C", None), (5, "A", None), (6, "B", None)]
TS = "2025-03-01 10:00:00+00"
EPOCH_US = "1740823200000000"


def _stage(con, rows: list[tuple[int, str, str | None]], batch_id: int) -> None:
    """`_batch` as a stage table holding `rows`."""
    con.execute("drop table if exists main._batch")
    con.execute("create table main._batch as select *, null::varchar as _key from staging.events limit 0")
    for seq, activity, key in rows:
        con.execute(
            "insert into main._batch values (null, 's', 'p', 'c1', ?, ?::timestamptz, 'complete', null, null, "
            "'case_system', null, null, '{}', ?, ?, null, ?)",
            [activity, TS, seq, batch_id, key],
        )


def _ids(con) -> set[tuple[int, str]]:
    return {(seq, str(i)) for seq, i in con.execute("select source_seq, event_id from staging.events").fetchall()}


def _by_hand(activity: str, n: int) -> str:
    """The id of a key-less row of `ROWS` that is the n-th (from 0) with its content, computed here from the
    definition: source, 'row', the content's fields (null as chr(30)), the occurrence number, chr(31) between."""
    content = ["p", "c1", activity, EPOCH_US, "complete", "\x1e", "\x1e", "case_system", "\x1e", "\x1e", "{}"]
    text = "\x1f".join(["s", "row", *content, str(n)])
    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


def _window(tmp_path, batches: list[list[tuple[int, str, str | None]]], name: str) -> set[tuple[int, str]]:
    """The oracle: the same batches stored with the window over the whole batch (how ids were always numbered)."""
    con = connect(tmp_path / f"{name}.duckdb")
    for b, rows in enumerate(batches, 1):
        _stage(con, rows, b)
        keyed = any(key for _, _, key in rows)
        con.execute(insert_new_sql("staging.events", COLUMNS, keyed, None)).fetchall()
    ids = _ids(con)
    con.close()
    return ids


def _stored(con, batches: list[list[tuple[int, str, str | None]]]) -> set[tuple[int, str]]:
    for b, rows in enumerate(batches, 1):
        _stage(con, rows, b)
        keyed = any(key for _, _, key in rows)
        insert_new(con, "staging.events", COLUMNS, source="s", batch_id=b, keyed=keyed)
    return _ids(con)


def test_repeated_rows_of_a_first_batch_are_numbered_in_file_order(fresh_warehouse, tmp_path):
    ids = _stored(fresh_warehouse, [ROWS])
    assert ids == {
        (1, _by_hand("A", 0)),
        (2, _by_hand("B", 0)),
        (3, _by_hand("A", 1)),
        (4, _by_hand("C", 0)),
        (5, _by_hand("A", 2)),
        (6, _by_hand("B", 1)),
    }
    assert ids == _window(tmp_path, [ROWS], "oracle")


def test_a_re_export_stores_only_its_new_rows_with_the_ids_of_the_window(fresh_warehouse, tmp_path):
    first = ROWS[:2]  # A, B; then the whole file, a third A among its rows
    ids = _stored(fresh_warehouse, [first, ROWS])
    assert ids == _window(tmp_path, [first, ROWS], "oracle")
    assert fresh_warehouse.execute("select count(*) from staging.events where batch_id = 2").fetchall() == [(4,)]
    assert (5, _by_hand("A", 2)) in ids


@pytest.mark.parametrize("stored_before", [False, True])
def test_rows_that_share_their_number_are_numbered_by_the_window(fresh_warehouse, tmp_path, stored_before):
    """Two identical rows with the same source_seq (a reader that numbers twice) cannot be told apart by it: the
    window numbers them, first batch or not."""
    rows = [*ROWS, (7, "A", None), (7, "A", None)]
    batches = [[(1, "A", None)], rows] if stored_before else [rows]
    ids = _stored(fresh_warehouse, batches)
    assert ids == _window(tmp_path, batches, "oracle")
    assert (7, _by_hand("A", 3)) in ids and (7, _by_hand("A", 4)) in ids


def test_keyed_and_key_less_rows_of_one_batch_get_the_ids_of_the_window(fresh_warehouse, tmp_path):
    rows = [(1, "A", "k1"), (2, "A", None), (3, "A", "k2"), (4, "A", None), (5, "B", "k1")]
    ids = _stored(fresh_warehouse, [rows])
    assert ids == _window(tmp_path, [rows], "oracle")
    assert (2, _by_hand("A", 0)) in ids and (4, _by_hand("A", 1)) in ids
    assert len(ids) == 4  # k1 twice: only its first row is kept


def test_rows_that_share_the_quick_hash_but_not_their_content_are_not_numbered_as_repeats(tmp_path):
    """DuckDB's `hash()` is weak on text (two case numbers of one municipality's shape share it): rows whose quick
    hash is shared are told apart by MD5 of their content, so a row is numbered 1 only after a row just like it."""
    from warehouse.ids import _numbered, _split_shared

    con = connect(tmp_path / "w.duckdb")
    _stage(con, ROWS, batch_id=1)
    # every row given the same quick hash, as two different texts can have: only content can tell them apart
    pairs = pl.DataFrame(
        {"source_seq": [1, 2, 3, 4, 5, 6], "h": [7] * 6}, schema={"source_seq": pl.Int64, "h": pl.UInt64}
    )
    assert sorted(_numbered(pairs).rows()) == [
        (2, 1),
        (3, 2),
        (4, 3),
        (5, 4),
        (6, 5),
    ]  # what the quick hash alone gives
    split = _split_shared(con, pairs, COLUMNS, "_batch", "_key is null")
    # A at 1, 3, 5 and B at 2, 6 repeat: the second A is numbered 1, the third 2, the second B 1; C (4) is alone
    assert sorted(_numbered(split).rows()) == [(3, 1), (5, 2), (6, 1)]
    left = "select count(*) from information_schema.tables where table_catalog = 'temp' and table_name = '_shared'"
    assert con.execute(left).fetchall() == [(0,)]
