"""Names and values written into DuckDB's SQL text: a quoted identifier, a string literal.

For the few statements whose table or column names, or fixed values, are only known when
they run (a source's columns, a snapshot's tables); everything else passes its values as
parameters.
"""

from __future__ import annotations


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str | None) -> str:
    """A SQL string literal (or NULL)."""
    return "null::varchar" if value is None else "'" + value.replace("'", "''") + "'"
