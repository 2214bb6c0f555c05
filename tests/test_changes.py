"""replace_changed: a table made equal to another by rewriting only the keys whose rows differ."""

from __future__ import annotations

import duckdb

from warehouse.changes import replace_changed


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create table old (process varchar, case_id varchar, n int, tags varchar[])")
    con.execute(
        "insert into old values ('a', '1', 1, ['x']), ('a', '2', 2, []), ('b', '1', 3, null), "
        "(null, '9', 4, ['y']), ('b', '7', 5, ['z'])"
    )
    con.execute("create table new as select * from old")
    return con


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(f"select * from {table} order by all").fetchall()


def test_only_the_keys_whose_rows_differ_are_rewritten_and_the_tables_end_equal():
    con = _con()
    con.execute("update new set n = 20 where process = 'a' and case_id = '2'")  # changed
    con.execute("update new set tags = ['y', 'w'] where process is null")  # changed in a list, under a null key
    con.execute("delete from new where process = 'b' and case_id = '7'")  # gone
    con.execute("insert into new values ('c', '1', 6, [])")  # new
    # a row left alone stays where it was: count the rows a key-by-key rewrite touches through rowids
    before = dict(con.execute("select case_id || coalesce(process, '-'), rowid from old").fetchall())
    assert replace_changed(con, "new", "old", ("process", "case_id")) == 4
    assert _rows(con, "old") == _rows(con, "new")
    after = dict(con.execute("select case_id || coalesce(process, '-'), rowid from old").fetchall())
    assert {k for k in after if before.get(k) == after[k]} == {"1a", "1b"}  # the unchanged rows were not rewritten


def test_nothing_changed_writes_nothing():
    con = _con()
    assert replace_changed(con, "new", "old", ("process", "case_id")) == 0
    assert _rows(con, "old") == _rows(con, "new")


def test_a_table_with_equal_rows_is_copied_whole_when_set_difference_misses_a_change():
    con = _con()
    con.execute("insert into new select * from new where case_id = '1' and process = 'a'")  # a row twice
    assert replace_changed(con, "new", "old", ("process", "case_id")) == -1
    assert _rows(con, "old") == _rows(con, "new")


def test_a_failure_leaves_the_target_as_it_was():
    con = _con()
    con.execute("update new set n = 20")
    con.execute("alter table old add column extra int")  # columns no longer line up: the comparison fails
    rows = _rows(con, "old")
    try:
        replace_changed(con, "new", "old", ("process", "case_id"))
    except duckdb.Error:
        pass
    else:
        raise AssertionError("a comparison of tables with other columns must fail")
    assert _rows(con, "old") == rows
