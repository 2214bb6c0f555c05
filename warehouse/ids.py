"""Stable ids for a batch's rows, and the INSERT of those rows that are not stored yet (`insert_new`).

An event's (or contact's) id is an MD5, stored as a UUID, of its source and the source's own key
or, without one, of the row's content (every column but where it came from) and its occurrence
number among identical rows of the file: identical rows stay distinct, a re-export gives every
old row its old id, and rows already stored are left out by an anti-join on the id. Ids have
always been made so; what changed is how the occurrence numbers are found. A window over the
whole batch, partitioned by the hash of each row's content, sorts every row with all its columns;
here only the (source_seq, hash) pairs are read and their hashes sorted, and only the partitions
of more than one row (a file seldom has any) are numbered. A source's first batch, without keys,
is stored first and numbered from the stored rows (read back in a sixth of the time it takes to
map the file again); any other batch is numbered from its stage before it is stored.
"""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.stage import small_table


def insert_new(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], *, source: str, batch_id: int, keyed: bool
) -> int:
    """The staged batch (`_batch`) stored in `table` (the rows not stored yet, with their ids); how many rows."""
    stored = con.execute(f"select exists(select 1 from {table} where source = ?)", [source]).fetchall()[0][0]
    if not keyed and not stored:
        # nothing of the source is stored: every row is new, so its stored rows are the whole batch, and the few
        # that repeat another are given their occurrence number afterwards
        new = con.execute(insert_new_sql(table, columns, False, "0")).fetchall()[0][0]
        where = f"from {table} where batch_id = {int(batch_id)}"
        pairs = con.sql(f"select source_seq, hash({content_sql(columns)}) as h {where}").pl()
        numbered = _numbered(_split_shared(con, pairs, columns, table, f"batch_id = {int(batch_id)}"))
        if numbered is None:
            con.execute(f"delete {where}").fetchall()
            return con.execute(insert_new_sql(table, columns, False, None)).fetchall()[0][0]
        if numbered.height:
            small_table(con, "_occ", _columns(numbered))
            con.execute(
                f"update {table} set {columns[0]} = {_digest(columns, '_occ.n::varchar')} from temp._occ "
                f"where {table}.batch_id = {int(batch_id)} and {table}.source_seq = _occ.source_seq"
            ).fetchall()
            con.execute("drop table temp._occ")
        return new
    occurrence = occurrences(con, columns)
    new = con.execute(insert_new_sql(table, columns, keyed, occurrence)).fetchall()[0][0]
    con.execute("drop table if exists temp._occ")
    return new


def insert_new_sql(table: str, columns: list[str], keyed: bool, occurrence: str | None = None) -> str:
    """INSERT of the staged batch's rows that are not stored yet, with their stable ids; a keyed source can repeat
    a key within a file, and only its first row is kept.

    `occurrence`, how a key-less row's occurrence number is had: "0", no row repeats another; "_occ", from the
    table `occurrences` made (joined by source_seq); None, numbered here by a window over the whole batch (the slow
    way, kept for a batch whose rows the others cannot tell apart).
    """
    id_column = columns[0]
    if occurrence is None:
        content = f"case when _key is null then {content_sql(columns)} end"
        number = f"(row_number() over (partition by {content} order by source_seq) - 1)::varchar"
    elif occurrence == "0":
        number = "'0'"
    else:
        number = "coalesce(_occ.n, 0)::varchar"
    digest = (
        "md5(case when _key is not null then source || chr(31) || 'key' || chr(31) || _key "
        f"else concat(source, chr(31), 'row', chr(31), {', '.join(content_parts(columns))}, chr(31), {number}) "
        "end)::uuid"
    )
    join = " left join temp._occ as _occ using (source_seq)" if occurrence == "_occ" else ""
    staged_rows = (
        "select " + ", ".join(f"{digest} as {c}" if c == id_column else c for c in columns) + f" from _batch{join}"
    )
    once = f" qualify row_number() over (partition by {id_column} order by source_seq) = 1" if keyed else ""
    return (
        f"insert into {table} select * from ({staged_rows}) as n where not exists "
        f"(select 1 from {table} as t where t.{id_column} = n.{id_column}){once}"
    )


def _digest(columns: list[str], number: str) -> str:
    """A key-less row's id, its occurrence number given (one concat() of every part, not a chain of ||, which copies
    the growing text at every step: the same text, as every part is non-null)."""
    return f"md5(concat(source, chr(31), 'row', chr(31), {', '.join(content_parts(columns))}, chr(31), {number}))::uuid"


def content_parts(columns: list[str]) -> list[str]:
    """The parts of a row's content as its id hashes them: every column but the id and where the row came from,
    each as text (chr(30) for null), chr(31) between them; an interval row's start last, where it has one (so
    that older rows keep their ids)."""
    parts: list[str] = []
    for c in columns:
        if c not in (columns[0], "source", "source_seq", "batch_id", "start_ts"):
            parts += [
                *(["chr(31)"] if parts else []),
                f"coalesce({'epoch_us(ts)' if c == 'ts' else c}::varchar, chr(30))",
            ]
    if "start_ts" in columns:
        parts.append("coalesce(chr(31) || 'start' || epoch_us(start_ts)::varchar, '')")
    return parts


def content_sql(columns: list[str]) -> str:
    """A key-less row's content, as text (see `content_parts`)."""
    return f"concat({', '.join(content_parts(columns))})"


def occurrences(con: duckdb.DuckDBPyConnection, columns: list[str]) -> str | None:
    """The staged batch's key-less rows' occurrence numbers above 0, in `temp._occ` (source_seq, n); how
    `insert_new_sql` is then to have them ("0" when no row repeats another), or None when it must number them itself
    (a key-less row's content hashes as a keyed row's null content does: keyed rows share its partition).
    """
    pairs = con.sql(f"select source_seq, hash({content_sql(columns)}) as h from _batch where _key is null").pl()
    null_content = con.execute("select hash(null::varchar)").fetchall()[0][0]
    if (pairs["h"] == null_content).any() and con.execute("select count(_key) from _batch").fetchall()[0][0]:
        return None
    numbered = _numbered(_split_shared(con, pairs, columns, "_batch", "_key is null"))
    if numbered is None:
        return None
    if numbered.is_empty():
        return "0"
    small_table(con, "_occ", _columns(numbered))
    return "_occ"


def _split_shared(
    con: duckdb.DuckDBPyConnection, pairs: pl.DataFrame, columns: list[str], relation: str, where: str
) -> pl.DataFrame:
    """`pairs` (source_seq, h) with the rows whose hash another row shares hashed again with MD5 (h the first 64 bits
    of it): DuckDB's `hash()` is quick but weak on text (two different rows can share it, and the second would be
    numbered as a repeat of the first and given another id than it has alone); MD5 is strong but slow, so only the
    few rows that share a quick hash pay for it. A `source_seq` that is not one row's alone is left as it is
    (`_numbered` then gives up on the batch)."""
    hashes = pairs["h"].sort()
    shared = pairs.filter(pl.col("h").is_in(hashes.filter(hashes == hashes.shift(1)).unique().implode()))
    seqs = shared["source_seq"].drop_nulls().unique()
    if seqs.is_empty():
        return pairs
    small_table(con, "_shared", {"source_seq": ("BIGINT", seqs.to_list())})
    strong = con.sql(
        f"select source_seq, any_value(md5_number_lower({content_sql(columns)})) as strong, count(*) as n "
        f"from {relation} where {where} and source_seq in (select source_seq from temp._shared) group by source_seq"
    ).pl()
    con.execute("drop table temp._shared")
    strong = strong.filter(pl.col("n") == 1).select("source_seq", pl.col("strong").cast(pl.UInt64))
    return (
        pairs.join(strong, on="source_seq", how="left")
        .with_columns(h=pl.coalesce("strong", "h"))
        .select("source_seq", "h")
    )


def _numbered(pairs: pl.DataFrame) -> pl.DataFrame | None:
    """The occurrence numbers above 0 (source_seq, n) of rows given as (source_seq, h): rows numbered by
    source_seq from 0 within each partition of equal h. None when a numbered row could not be found again alone by
    its source_seq (one shared by two rows, or null)."""
    hashes = pairs["h"].sort()
    repeated = hashes.filter(hashes == hashes.shift(1)).unique()
    numbered = (
        pairs.filter(pl.col("h").is_in(repeated.implode()))
        .sort("h", "source_seq")
        .select("source_seq", n=pl.int_range(pl.len(), dtype=pl.Int64).over("h"))
        .filter(pl.col("n") > 0)
    )
    seqs = numbered["source_seq"]
    alone = pairs.filter(pl.col("source_seq").is_in(seqs.implode())).height == seqs.n_unique() == seqs.len()
    return numbered if alone and not seqs.null_count() else None


def _columns(numbered: pl.DataFrame) -> dict[str, tuple[str, list]]:
    return {"source_seq": ("BIGINT", numbered["source_seq"].to_list()), "n": ("BIGINT", numbered["n"].to_list())}
