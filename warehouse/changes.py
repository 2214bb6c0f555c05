"""Making a table equal to another by rewriting only the keys whose rows differ.

A mart rebuilt whole every night (contacts attributed against all cases, deadlines judged
against the data's horizon, a citizen's journey) still changes in a few of its rows. Writing
only those rows (into the warehouse, and into the published snapshot) costs a comparison
instead of a copy: DuckDB compares 250,000 rows in about 0.2 s and takes longer to compress
and write them.
"""

from __future__ import annotations

import duckdb

from warehouse.migrations import rollback


def replace_changed(con: duckdb.DuckDBPyConnection, source: str, target: str, key: tuple[str, ...]) -> int:
    """`target` made equal to `source` (same columns), in one transaction: for each key whose rows differ (a row in
    one and not in the other, compared whole), its rows deleted from `target` and copied from `source`. Returns
    how many keys changed.

    Set difference finds every change when a table holds no two equal rows, as a mart does (a key among its
    columns is unique); the row counts are compared after, and a `target` that still differs is copied whole
    (returning -1).
    """
    on = " and ".join(f"x.{k} is not distinct from c.{k}" for k in key)
    con.execute("begin transaction")
    try:
        con.execute(
            f"create or replace temp table _changed_keys as select distinct {', '.join(key)} from ("
            f"(select * from {source} except select * from {target}) union all "
            f"(select * from {target} except select * from {source}))"
        )
        changed = con.execute("select count(*) from _changed_keys").fetchall()[0][0]
        if changed:
            con.execute(f"delete from {target} as x using _changed_keys as c where {on}")
            con.execute(f"insert into {target} select x.* from {source} as x semi join _changed_keys as c on {on}")
        counts = con.execute(f"select (select count(*) from {source}), (select count(*) from {target})").fetchall()
        if counts[0][0] != counts[0][1]:
            con.execute(f"create or replace table {target} as select * from {source}")
            changed = -1
        con.execute("drop table _changed_keys")
        con.execute("commit")
    except BaseException:
        rollback(con)
        raise
    return changed
