"""The REST connector's records: values at dotted paths of JSON, records flattened to dotted columns, as a frame.

Records are flattened as the JSON lines reader does (`handler.unit`); a list stays whole, as JSON text.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl


def dig(obj: Any, path: str) -> Any:
    """The value at a dotted path of a JSON object (`a.b.c`; '' is the object itself); None when absent."""
    for part in path.split(".") if path else ():
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def flatten(record: dict, prefix: str = "") -> dict[str, Any]:
    """A record's fields as dotted names; lists stay whole, as JSON text."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= flatten(value, name + ".")
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = value
    return out


def frame_of(records: list[dict[str, Any]]) -> pl.DataFrame:
    """Flattened records as a frame: a field whose values have more than one JSON type becomes text."""
    names = list(dict.fromkeys(k for r in records for k in r))
    columns = {}
    for name in names:
        values = [r.get(name) for r in records]
        kinds = {type(v) for v in values if v is not None}
        if kinds == {int, float}:
            values = [None if v is None else float(v) for v in values]
        elif len(kinds) > 1:
            values = [None if v is None else (json.dumps(v) if isinstance(v, bool) else str(v)) for v in values]
        columns[name] = pl.Series(name, values, dtype=pl.Utf8 if not kinds else None, strict=False)
    return pl.DataFrame(columns) if columns else pl.DataFrame()


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time from a record ('Z' or an offset, or naive); None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
