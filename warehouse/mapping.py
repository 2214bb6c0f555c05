"""One chunk of a source's rows mapped to the canonical schema (the chunk path of a load).

Personal columns pseudonymised and CPR-shaped strings scrubbed from all other text
(`protect`), times read in the source's zone (`times.parse_ts`), the mapped columns taken out
and everything else kept as JSON `attributes`, and rows that cannot be used set aside for
quarantine with their row number, field and reason (`to_canonical`).
"""

from __future__ import annotations

import json

import polars as pl
import pyarrow as pa

from connectors.base import RawChunk
from vaerdistrom.schema import CONTACTS, EVENTS
from warehouse.batch import LoadError
from warehouse.config import PULLED, SECONDS_PER, Source
from warehouse.pseudonym import Pseudonymiser, cpr_digits, mostly_cpr
from warehouse.times import parse_ts, plausible


def staged(schema: pa.Schema) -> pa.Schema:
    """A canonical schema as staged within a batch: the id still empty, the source's key beside it."""
    return pa.schema([f.with_nullable(True) for f in schema] + [pa.field("_key", pa.string())])


def protect(
    frame: pl.DataFrame,
    personal: list[str],
    pseudo: Pseudonymiser,
    times: tuple[str | None, ...] = (),
    whole: set[str] | None = None,
) -> pl.DataFrame:
    """Personal columns pseudonymised, every other text column scrubbed of CPR-shaped strings, and every number
    column of CPR numbers held as numbers (but the columns in `times`: an epoch second can look like one).

    A column not declared personal whose values are mostly CPR numbers (`mostly_cpr`) is pseudonymised whole too,
    and its name added to `whole` (a load's set, kept across its chunks, so the file's column is treated alike in
    every chunk and the load's summary can name it)."""
    whole = set() if whole is None else whole
    frame = _plain(frame, pseudo)
    candidates = [c for c in frame.columns if c not in personal and c not in times and c != "row_number"]
    whole.update(c for c in candidates if c not in whole and mostly_cpr(frame[c]))
    personal_cols = [c for c in frame.columns if c in personal or c in whole]
    text_cols = [c for c, t in frame.schema.items() if t == pl.Utf8 and c not in personal_cols and c != "row_number"]
    number_cols = [
        c
        for c, t in frame.schema.items()
        if (t.is_integer() or t.is_float()) and c not in personal_cols and c != "row_number" and c not in times
    ]
    return frame.with_columns(
        [pseudo.column(frame[c]).alias(c) for c in personal_cols]
        + [pseudo.scrub_column(frame[c]).alias(c) for c in text_cols]
        + [pseudo.scrub_numbers(frame[c]).alias(c) for c in number_cols]
    )


def _plain(frame: pl.DataFrame, pseudo: Pseudonymiser) -> pl.DataFrame:
    """Every column in a type the scrubber reads: categories and bytes as text, decimals as numbers, and lists and
    structs with CPR numbers anywhere inside (a value, a key, a number) as the JSON text of their scrubbed value."""
    out = []
    for name, dtype in frame.schema.items():
        column = frame[name]
        if isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype == pl.Binary:
            out.append(column.cast(pl.Utf8))
        elif isinstance(dtype, pl.Decimal):
            out.append(column.cast(pl.Int64 if dtype.scale == 0 else pl.Float64))
        elif dtype.is_nested():
            values = column.to_list()
            scrubbed = [_scrub_value(v, pseudo) for v in values]
            if scrubbed != values:
                out.append(
                    pl.Series(
                        name,
                        [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in scrubbed],
                        dtype=pl.Utf8,
                    )
                )
    return frame.with_columns(out) if out else frame


def _scrub_value(value, pseudo: Pseudonymiser):
    """A nested value with CPR numbers replaced by their pseudonyms in its texts, its keys and its whole numbers."""
    if isinstance(value, str):
        return pseudo.scrub(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return pseudo.of_digits(str(value).zfill(10)) if cpr_digits(str(value).zfill(10)) and value >= 10**8 else value
    if isinstance(value, dict):
        return {pseudo.scrub(str(k)): _scrub_value(v, pseudo) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub_value(v, pseudo) for v in value]
    return value


def safe_names(columns: list[str], pseudo: Pseudonymiser) -> dict[str, str]:
    """Each column's name as it may be stored (a key of `attributes`, of a quarantined row): CPR-shaped strings in
    it replaced by their pseudonyms, and kept apart from the other names."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for c in columns:
        name = base = pseudo.scrub(c) or ""
        i = 2
        while name in taken:
            name, i = f"{base}_{i}", i + 1
        out[c] = name
        taken.add(name)
    return out


def _seconds(column: str | None, src: Source) -> pl.Expr:
    """A duration column as seconds: text read with the source's decimal mark, times its unit."""
    if column is None:
        return pl.lit(None, dtype=pl.Float64)
    text = pl.col(column).cast(pl.Utf8).str.strip_chars()
    if src.decimal == ",":
        text = text.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    return text.cast(pl.Float64, strict=False) * SECONDS_PER[src.duration_unit]


def _oversized(
    frame: pl.DataFrame, src: Source, pseudo: Pseudonymiser, quarantine: list[tuple]
) -> tuple[pl.DataFrame, list[tuple]]:
    """The rows with a text field longer than the source's `max_field_bytes` set aside for quarantine (each value
    cut to 2,000 characters there), and the frame without them. `frame` is protected already."""
    text = [c for c, t in frame.schema.items() if t == pl.Utf8]
    if not text:
        return frame, quarantine
    lengths = frame.select([pl.col(c).str.len_bytes().fill_null(0) for c in text])
    over = lengths.select(pl.max_horizontal(pl.all()) > src.max_field_bytes).to_series()
    if not over.any():
        return frame, quarantine
    rows = frame.filter(over)
    first_long = lengths.filter(over).select(pl.concat_list(pl.all()).list.arg_max()).to_series()
    names = safe_names([c for c in frame.columns if c != "row_number"], pseudo)
    cut = rows.select(
        "row_number",
        *[pl.col(c).cast(pl.Utf8).str.slice(0, 2000).alias(names[c]) for c in frame.columns if c != "row_number"],
    )
    for r, i in zip(cut.iter_rows(named=True), first_long.to_list(), strict=True):
        rn = r.pop("row_number")
        data = json.dumps(r, ensure_ascii=False, default=str)
        quarantine.append(
            (rn, names[text[i]], f"field longer than {src.max_field_bytes:,} bytes (max_field_bytes)", data)
        )
    return frame.filter(~over), quarantine


# One check of a mapped row: (canonical field, the source column it came from, the reason, the rows failing it;
# None: the rows where the field is null or empty).
Check = tuple[str, str | None, str, pl.Series | None]


def to_canonical(
    chunk: RawChunk, src: Source, name: str, batch_id: int, pseudo: Pseudonymiser, whole: set[str] | None = None
) -> tuple[pa.Table, list[tuple], int, int]:
    """(canonical rows, quarantine rows (row number, field, reason, row json), dst ambiguous, dst nonexistent).

    `whole`: the load's columns found to hold CPR numbers (see `protect`), filled as chunks come."""
    frame = chunk.frame
    quarantine = [
        (row, None, reason, json.dumps({"line": pseudo.scrub(text)[:2000]}, ensure_ascii=False))
        for row, reason, text in chunk.unreadable
    ]
    m = src.required_mapping
    frame = _sparse_filled(frame, src, name)
    if not frame.height:
        return _empty(src), quarantine, 0, 0
    frame = protect(frame, src.personal, pseudo, (m.ts, m.start_ts, m.duration), whole)
    frame, quarantine = _oversized(frame, src, pseudo, quarantine)
    if not frame.height:
        return _empty(src), quarantine, 0, 0
    ts, start, ambiguous, nonexistent = _read_times(frame, src)
    row_cols = [c for c in frame.columns if c != "row_number"]
    names = safe_names(row_cols, pseudo)  # a CPR number in a column's name is stored as its pseudonym
    common = _common_columns(row_cols, names, src, name, batch_id)
    channel = _text(src.channel_column, src.channel, src.channel_values)
    direction = _text(m.direction, src.direction, src.direction_values)
    unreadable_ts = "timestamp missing or not readable" + (
        f" as {src.timestamp_format}" if src.timestamp_format else ""
    )
    if src.records == "contacts":
        columns = {
            "contact_id": pl.lit(None, dtype=pl.Utf8),
            **common,
            "channel": channel,
            "direction": direction,
            "case_ref": _text(m.case_id),
            "duration_seconds": _seconds(m.duration, src),
        }
        schema = CONTACTS
        checks: list[Check] = [("ts", m.ts, unreadable_ts, None)]
    else:
        columns, checks = _event_columns(frame, src, common, channel, direction, unreadable_ts, start)
        schema = EVENTS
    key = pl.col(m.source_key).cast(pl.Utf8) if m.source_key else pl.lit(None, dtype=pl.Utf8)
    out = frame.with_columns(_ts=ts, _start=start if start is not None else pl.lit(None, dtype=ts.dtype)).select(
        **{c: columns[c] for c in schema.names}, _key=key
    )
    _add_window_checks(checks, out, src, name, start is not None)
    out = _set_aside(frame, out, checks, row_cols, names, quarantine)
    return out.to_arrow().cast(staged(schema)), quarantine, ambiguous, nonexistent


def _empty(src: Source) -> pa.Table:
    """No rows, in the schema the source's records are staged in."""
    return staged(CONTACTS if src.records == "contacts" else EVENTS).empty_table()


def _sparse_filled(frame: pl.DataFrame, src: Source, name: str) -> pl.DataFrame:
    """The chunk with the optional mapped columns it lacks added as NULL; a LoadError for a needed one it lacks.

    The fields a row cannot do without must be columns of every chunk; the others may be sparse (an attribute
    on 10 of 60,000 events leaves a chunk without the column): there they are NULL."""
    m = src.required_mapping
    needed = [c for c in (m.ts, m.case_id, m.activity, src.process_column, src.channel_column) if c]
    missing = [c for c in needed if c not in frame.columns]
    optional = [
        c
        for c in (m.start_ts, m.lifecycle, m.resource, m.org_unit, m.citizen_key, m.source_key, m.direction, m.duration)
        if c and c not in frame.columns
    ]
    if frame.height and optional:
        frame = frame.with_columns([pl.lit(None, dtype=pl.Utf8).alias(c) for c in dict.fromkeys(optional)])
    if frame.height and missing:
        raise LoadError(
            f"column {missing[0]!r} named in sources.{name} is not in the "
            f"{'rows' if src.kind in PULLED else 'file'} "
            f"(it has: {', '.join(c for c in frame.columns if c != 'row_number')})"
        )
    return frame


def _read_times(frame: pl.DataFrame, src: Source) -> tuple[pl.Series, pl.Series | None, int, int]:
    """(the rows' times in UTC, their start times (an interval row's; None when the source maps none), dst
    ambiguous, dst nonexistent: both columns counted)."""
    m = src.required_mapping
    ts, ambiguous, nonexistent = parse_ts(frame[m.ts], src)
    start = None
    if m.start_ts and src.records != "contacts":
        start, start_ambiguous, start_nonexistent = parse_ts(frame[m.start_ts], src)
        ambiguous, nonexistent = ambiguous + start_ambiguous, nonexistent + start_nonexistent
    return ts, start, ambiguous, nonexistent


def _text(c: str | None, fixed: str | None = None, values: dict[str, str] | None = None) -> pl.Expr:
    """A mapped column as trimmed text (its values translated by `values`), or the fixed value when none is mapped."""
    if c is None:
        return pl.lit(fixed, dtype=pl.Utf8)
    e = pl.col(c).cast(pl.Utf8).str.strip_chars().str.strip_chars("\ufeff")  # a BOM mid-file (two exports
    return e.replace(values) if values else e  # joined) is no part of a case id


def _common_columns(
    row_cols: list[str], names: dict[str, str], src: Source, name: str, batch_id: int
) -> dict[str, pl.Expr]:
    """The columns events and contacts share; the source's columns that are not mapped kept as `attributes`."""
    m = src.required_mapping
    mapped = {
        m.ts,
        m.start_ts,
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
    }
    attrs_cols = [c for c in row_cols if c not in mapped]  # everything else the source has, kept
    return {
        "source": pl.lit(name, dtype=pl.Utf8),
        "ts": pl.col("_ts"),
        "resource": _text(m.resource),
        "org_unit": _text(m.org_unit),
        "citizen_key": _text(m.citizen_key),
        "attributes": pl.struct([pl.col(c).alias(names[c]) for c in attrs_cols]).struct.json_encode()
        if attrs_cols
        else pl.lit("{}"),
        "source_seq": pl.col("row_number"),
        "batch_id": pl.lit(batch_id, dtype=pl.Int64),
    }


def _event_columns(
    frame: pl.DataFrame,
    src: Source,
    common: dict[str, pl.Expr],
    channel: pl.Expr,
    direction: pl.Expr,
    unreadable_ts: str,
    start: pl.Series | None,
) -> tuple[dict[str, pl.Expr], list[Check]]:
    """An event source's columns, and the checks its rows must pass."""
    m = src.required_mapping
    process = _text(src.process_column, src.process, src.process_values)
    known = sorted(set(src.process_values.values())) if src.process_column and src.process_values else None
    if known:
        process = pl.when(process.is_in(known)).then(process).otherwise(None)
    columns = {
        "event_id": pl.lit(None, dtype=pl.Utf8),
        "process": process,
        "case_id": _text(m.case_id),
        "activity": _text(m.activity, src.activity),
        **common,
        "lifecycle": _text(m.lifecycle, "complete", src.lifecycle_values),
        "channel": channel,
        "direction": direction,
        "start_ts": pl.col("_start"),
    }
    checks: list[Check] = [("ts", m.ts, unreadable_ts, None), ("activity", m.activity, "activity is empty", None)]
    if m.case_id:  # an event without its case would vanish from every mart
        checks.insert(1, ("case_id", m.case_id, "case id is empty", None))
    if start is not None:  # an empty start is no start (the row is one event); a start given must be read
        assert m.start_ts is not None  # a start is read only when the mapping names its column (`_read_times`)
        given = frame[m.start_ts].cast(pl.Utf8).str.strip_chars()
        checks.append(
            (
                "start_ts",
                m.start_ts,
                "start timestamp not readable" + (f" as {src.timestamp_format}" if src.timestamp_format else ""),
                start.is_null() & given.is_not_null() & (given != ""),
            )
        )
    if known:
        checks.append(("process", src.process_column, f"value not in process_values ({', '.join(known)})", None))
    return columns, checks


def _add_window_checks(checks: list[Check], out: pl.DataFrame, src: Source, name: str, has_start: bool) -> None:
    """The checks of a time read, but not one that can be true (a year 0001, a 9999 placeholder)."""
    m = src.required_mapping
    earliest, latest = plausible(src)
    checks.insert(
        1,
        (
            "ts",
            m.ts,
            f"timestamp outside {earliest:%Y-%m-%d} to {latest:%Y-%m-%d} (sources.{name}: earliest, days_ahead)",
            ((out["ts"] < earliest) | (out["ts"] > latest)).fill_null(False),
        ),
    )
    if has_start:
        checks.append(
            (
                "start_ts",
                m.start_ts,
                f"start timestamp outside {earliest:%Y-%m-%d} to {latest:%Y-%m-%d}",
                ((out["start_ts"] < earliest) | (out["start_ts"] > latest)).fill_null(False),
            )
        )


def _set_aside(
    frame: pl.DataFrame,
    out: pl.DataFrame,
    checks: list[Check],
    row_cols: list[str],
    names: dict[str, str],
    quarantine: list[tuple],
) -> pl.DataFrame:
    """`out` without the rows that fail a check; each such row into `quarantine` once, for the first check it
    fails, with its source row as JSON (`frame` holds the rows as protected)."""
    bad = None
    for field, source_col, reason, failing in checks:  # failing: the rows that fail it; None: a null or empty field
        hit = out[field].is_null() if failing is None else failing
        if failing is None and out[field].dtype == pl.Utf8:
            hit = hit | (out[field] == "")
        if bad is not None:
            hit = hit & ~bad
        if hit.any():
            rows = frame.filter(hit)
            for rn, data in zip(
                rows["row_number"].to_list(),
                rows.select(pl.struct([pl.col(c).alias(names[c]) for c in row_cols]).struct.json_encode())[
                    :, 0
                ].to_list(),
                strict=True,
            ):
                quarantine.append((rn, None if source_col is None else names.get(source_col, source_col), reason, data))
        bad = hit if bad is None else bad | hit
    if bad is not None and bad.any():
        out = out.filter(~bad)
    return out
