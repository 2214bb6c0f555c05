"""Parquet staged straight from the file: the same mapping as `mapping.to_canonical`, done by DuckDB in SQL.

A Parquet file is already typed and columnar, so DuckDB reads it in parallel and maps it in
one pass, with no rows through Python: about four times the chunk path's speed. What still
needs Python runs once per distinct value, not per row: the HMAC pseudonyms of personal
columns and the scrubbing of the few text values that hold a CPR-shaped string. Both come
back as small lookup tables that the SQL joins.

The result is the same as the chunk path's, row for row and id for id (a test loads the same
file both ways). Files the SQL path does not cover (nested columns, text timestamps, naive
timestamps: those need the DST rule of `timezones.local_to_utc`; timestamps among the attributes,
whose JSON text must be polars') take the chunk path.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from vaerdistrom.schema import CONTACTS, EVENTS
from warehouse.config import SECONDS_PER, Source
from warehouse.mapping import safe_names
from warehouse.pseudonym import CPR_PATTERN_POLARS, Pseudonymiser, redact
from warehouse.quote import lit, q
from warehouse.stage import Stager, small_table
from warehouse.times import plausible

WHITESPACE = "' ' || chr(9) || chr(10) || chr(13)"


def mapped_columns(src: Source) -> list[str]:
    m = src.required_mapping
    return [
        c
        for c in (
            m.ts,
            m.case_id,
            m.activity,
            m.lifecycle,
            m.resource,
            m.org_unit,
            m.citizen_key,
            m.direction,
            m.duration,
            src.process_column,
            src.channel_column,
        )
        if c
    ]


def eligible(src: Source, path: Path) -> bool:
    """True when the SQL path maps this file exactly as the chunk path would."""
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError):
        return False  # the chunk path reports it, with the file's name
    m = src.required_mapping
    names = set(schema.names)
    needed = mapped_columns(src) + ([m.source_key] if m.source_key else [])
    odd = (
        pa.types.is_nested,
        pa.types.is_dictionary,
        pa.types.is_decimal,
        pa.types.is_binary,
        pa.types.is_large_binary,
        pa.types.is_fixed_size_binary,
    )  # the chunk path turns these into what it scrubs
    if (
        any(any(kind(f.type) for kind in odd) for f in schema)
        or not set(needed) <= names
        or src.timestamp_format
        or m.start_ts
    ):  # an interval row's start: the chunk path reads it
        return False
    ts = schema.field(m.ts).type
    others = [f for f in schema if f.name != m.ts]
    # time zone aware instants only, and no other timestamps: their JSON text is polars' (ids hash it)
    if not (pa.types.is_timestamp(ts) and ts.tz is not None and not any(pa.types.is_timestamp(f.type) for f in others)):
        return False
    # a number of nine or ten digits may be a CPR number held as a number: the chunk path pseudonymises those
    numbers = [
        f.name
        for f in others
        if (pa.types.is_integer(f.type) or pa.types.is_floating(f.type)) and f.name not in src.personal
    ]
    if numbers:
        import duckdb

        found = (
            duckdb.connect()
            .execute(
                "select "
                + " or ".join(f"bool_or({q(c)} between 100000000 and 9999999999)" for c in numbers)
                + f" from read_parquet({lit(str(path))})"
            )
            .fetchall()[0][0]
        )
        if found:
            return False
    # a text column mostly of CPR numbers is pseudonymised whole: the chunk path decides that from its first values
    texts = [
        f.name
        for f in others
        if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)) and f.name not in src.personal
    ]
    if texts:
        import polars as pl

        from warehouse.pseudonym import mostly_cpr

        head = pl.scan_parquet(path).select(texts).head(1000).collect()
        return not any(mostly_cpr(head[c]) for c in texts)
    return True


def _polars_text(column: str) -> str:
    """An instant as polars writes it in JSON: 2025-03-01T00:03:05.120+00:00 (fraction in 3 or 6 digits, if any)."""
    c = q(column)
    us = f"(epoch_us({c}) % 1000000)"
    return (
        f"case when {c} is null then null else strftime({c} at time zone 'UTC', '%Y-%m-%dT%H:%M:%S') || "
        f"case when {us} = 0 then '' when {us} % 1000 = 0 then '.' || lpad(({us} // 1000)::varchar, 3, '0') "
        f"else '.' || lpad({us}::varchar, 6, '0') end || '+00:00' end"
    )


def _lookup(con: duckdb.DuckDBPyConnection, table: str, pairs: list[tuple[str, str | None]]) -> None:
    small_table(con, table, {"v": ("VARCHAR", [v for v, _ in pairs]), "p": ("VARCHAR", [p for _, p in pairs])})


def stage_file(stage: Stager) -> None:
    """The batch's file staged in SQL (`_batch` a view over it), its rows counted into the batch's report."""
    r = stage.report
    r.rows_read, r.rows_quarantined = stage_sql(
        stage.con, stage.src, stage.name, Path(stage.path), stage.batch_id, stage.pseudo
    )
    r.rows_loaded = r.rows_read - r.rows_quarantined
    if stage.on_rows:
        stage.on_rows(r.rows_read)


def _protected_view(
    con: duckdb.DuckDBPyConnection, src: Source, schema: pa.Schema, scan: str, pseudo: Pseudonymiser
) -> None:
    """View `_protected` over the file: personal columns as pseudonyms, CPR-shaped strings in other text replaced
    (lookups of distinct values), and each row's number."""
    personal = [(i, f) for i, f in enumerate(schema) if f.name in src.personal]
    texts = [
        (i, f)
        for i, f in enumerate(schema)
        if f.name not in src.personal and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
    ]
    # the distinct values wanted, every column's in one scan of the file (a scan per column costs seven times as much)
    wanted = [f"list(distinct {q(f.name)}::varchar) filter (where {q(f.name)} is not null)" for _, f in personal] + [
        f"list(distinct {q(f.name)}) filter (where regexp_matches({q(f.name)}, {lit(CPR_PATTERN_POLARS)}))"
        for _, f in texts
    ]
    found = con.execute(f"select {', '.join(wanted)} from {scan}").fetchall()[0] if wanted else ()
    values = {i: v or [] for (i, _), v in zip(personal + texts, found, strict=True)}
    joins, protected = [], []
    for i, field in enumerate(schema):
        c = q(field.name)
        if field.name in src.personal:
            _lookup(con, f"_p{i}", [(v, pseudo.of(v)) for v in values[i]])
            joins.append(f"left join temp._p{i} on temp._p{i}.v = f.{c}::varchar")
            protected.append(f"temp._p{i}.p as {c}")
        elif i in values and (pairs := [(v, s) for v in values[i] if (s := pseudo.scrub(v)) != v]):
            _lookup(con, f"_s{i}", pairs)
            joins.append(f"left join temp._s{i} on temp._s{i}.v = f.{c}")
            protected.append(f"coalesce(temp._s{i}.p, f.{c}) as {c}")
        else:
            protected.append(f"f.{c}")
    con.execute(
        f"create or replace view main._protected as select f.file_row_number + 1 as row_number, "
        f"{', '.join(protected)} from {scan} as f {' '.join(joins)}"
    )


def _text(c: str | None, fixed: str | None = None, values: dict[str, str] | None = None) -> str:
    """A mapped column as trimmed text (its values translated by `values`), or the fixed value when none is mapped."""
    if c is None:
        return lit(fixed)
    e = f"trim({q(c)}::varchar, {WHITESPACE})"
    if values:
        e = "case " + e + " " + " ".join(f"when {lit(k)} then {lit(v)}" for k, v in values.items()) + f" else {e} end"
    return e


def stage_sql(
    con: duckdb.DuckDBPyConnection, src: Source, name: str, path: Path, batch_id: int, pseudo: Pseudonymiser
) -> tuple[int, int]:
    """Views `_protected` and `_batch` over the file, quarantined rows in `_quarantine`; (rows read, quarantined)."""
    m = src.required_mapping
    schema = pq.read_schema(path)
    scan = f"read_parquet({lit(str(path))}, file_row_number = true)"
    _protected_view(con, src, schema, scan, pseudo)
    unmapped = [f.name for f in schema if f.name not in mapped_columns(src)]
    names = safe_names(schema.names, pseudo)  # a CPR number in a column's name is stored as its pseudonym
    attributes = (
        "to_json(struct_pack(" + ", ".join(f"{q(names[c])} := {q(c)}" for c in unmapped) + "))" if unmapped else "'{}'"
    )
    ts = q(m.ts)
    common = {
        "source": lit(name),
        "ts": ts,
        "resource": _text(m.resource),
        "org_unit": _text(m.org_unit),
        "citizen_key": _text(m.citizen_key),
        "attributes": attributes,
        "source_seq": "row_number",
        "batch_id": str(batch_id),
    }
    channel = _text(src.channel_column, src.channel, src.channel_values)
    direction = _text(m.direction, src.direction, src.direction_values)
    checks: list[tuple[str, str | None, str]] = [("ts", m.ts, "timestamp missing or not readable")]
    if src.records == "contacts":
        duration = "null::double"
        if m.duration:
            text = f"trim({q(m.duration)}::varchar, {WHITESPACE})"
            if src.decimal == ",":
                text = f"replace(replace({text}, '.', ''), ',', '.')"
            duration = f"try_cast({text} as double) * {SECONDS_PER[src.duration_unit]}"
        columns = {
            "contact_id": "null::varchar",
            **common,
            "channel": channel,
            "direction": direction,
            "case_ref": _text(m.case_id),
            "duration_seconds": duration,
        }
        order = CONTACTS.names
    else:
        process = _text(src.process_column, src.process, src.process_values)
        known = sorted(set(src.process_values.values())) if src.process_column and src.process_values else None
        if known:
            process = f"case when {process} in ({', '.join(map(lit, known))}) then {process} end"
        columns = {
            "event_id": "null::varchar",
            "process": process,
            "case_id": _text(m.case_id),
            "activity": _text(m.activity, src.activity),
            **common,
            "lifecycle": _text(m.lifecycle, "complete", src.lifecycle_values),
            "channel": channel,
            "direction": direction,
            "start_ts": "null::timestamptz",
        }
        order = EVENTS.names
        if m.case_id:
            checks.append(("case_id", m.case_id, "case id is empty"))
        checks.append(("activity", m.activity, "activity is empty"))
        if known:
            checks.append(("process", src.process_column, f"value not in process_values ({', '.join(known)})"))
    fail = [
        (f"{field} is null" + ("" if field == "ts" else f" or {field} = ''"), source_col, reason)
        for field, source_col, reason in checks
    ]
    earliest, latest = plausible(src)  # the same window, and the same order of checks, as the chunk path's
    fail.insert(
        1,
        (
            f"ts < {lit(earliest.isoformat())}::timestamptz or ts > {lit(latest.isoformat())}::timestamptz",
            m.ts,
            f"timestamp outside {earliest:%Y-%m-%d} to {latest:%Y-%m-%d} (sources.{name}: earliest, days_ahead)",
        ),
    )
    verdict = "case " + " ".join(f"when {cond} then {lit(reason)}" for cond, _, reason in fail) + " end"
    failed_field = "case " + " ".join(f"when {cond} then {lit(col_)}" for cond, col_, _ in fail) + " end"
    row = (
        "to_json(struct_pack("
        + ", ".join(f"{q(names[f.name])} := {_polars_text(f.name) if f.name == m.ts else q(f.name)}" for f in schema)
        + "))"
    )
    key = f"{q(m.source_key)}::varchar" if m.source_key else "null::varchar"
    con.execute(
        "create or replace view main._canonical as select *, " + f"{verdict} as _reason, "
        f"{failed_field} as _field from (select "
        + ", ".join(f"{columns[c]} as {c}" for c in order)
        + f", {key} as _key, {row} as _row from main._protected)"
    )
    con.execute(
        "create or replace view main._batch as select " + ", ".join(order) + ", _key from main._canonical "
        "where _reason is null"
    )
    con.execute(
        f"insert into main._quarantine select {batch_id}, {lit(name)}, {lit(redact(str(path)))}, source_seq, "
        "_field, "
        "_reason, _row, 'row' from main._canonical where _reason is not null"
    ).fetchall()
    # the file's rows from its metadata, and the rows set aside just now: no scan of the file for either
    read = con.execute(f"select count(*) from {scan}").fetchall()[0][0]
    return read, con.execute("select count(*) from main._quarantine").fetchall()[0][0]
