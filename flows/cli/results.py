"""Mined data on stdout, as the user asked: CSV, JSON or a table for people (`--format`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flows.cli.output import echo_data, say

if TYPE_CHECKING:
    import pyarrow as pa


def emit(table: pa.Table, output: str, limit: int | None) -> None:
    """A result (an Arrow table) as CSV, JSON or a table, on stdout."""
    if output == "csv":
        import io

        import pyarrow.csv as pacsv

        sink = io.BytesIO()
        pacsv.write_csv(_csv_safe(table), sink)
        echo_data(sink.getvalue().decode("utf-8").rstrip("\n"))
    elif output == "json":
        emit_json(table.to_pylist())
    else:
        _print_table(table, limit)


def emit_json(data: Any) -> None:
    """Data as indented JSON on stdout: dates as ISO text, durations as seconds, DuckDB's big integers as numbers."""
    import json

    echo_data(json.dumps(data, ensure_ascii=False, default=_json_default, indent=1))


def _csv_safe(table: pa.Table) -> pa.Table:
    """Lists (a variant's activities) as text for CSV: the items joined by ' > '."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, f in enumerate(table.schema):
        if pa.types.is_list(f.type):
            table = table.set_column(i, f.name, pc.binary_join(table.column(i), " > "))
    return table


def _json_default(v: Any) -> Any:
    """Values JSON has no type for: dates as ISO text, durations as seconds, DuckDB's HUGEINT (a Decimal) as a
    number."""
    import decimal

    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    return str(v)


def _format_value(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, list):
        return " > ".join(map(str, v))
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="seconds")
    return str(v)


def _print_table(table: pa.Table, limit: int | None) -> None:
    rows = table.to_pylist()
    shown = rows if limit is None else rows[:limit]
    names = table.column_names
    cells = [[_format_value(r[n]) for n in names] for r in shown]
    widths = [min(40, max([len(n)] + [len(c[i]) for c in cells])) for i, n in enumerate(names)]

    def line(values: list[str]) -> str:  # a row's cells, or the names: one per column, as the widths
        cut = ((v if len(v) <= w else v[: w - 1] + "…").ljust(w) for v, w in zip(values, widths, strict=True))
        return "  ".join(cut).rstrip()

    echo_data(line(names))
    echo_data(line(["-" * w for w in widths]))
    for c in cells:
        echo_data(line(c))
    if len(rows) > len(shown):
        say(f"({len(rows) - len(shown):,} more rows: --limit 0 shows all, --format csv or json for scripts)")
