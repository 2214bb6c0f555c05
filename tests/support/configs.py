"""A municipality's `vaerdistrom.toml` for tests, written from TOML pieces."""

from __future__ import annotations

from pathlib import Path


def write_config(folder: Path, sources: str) -> None:
    """`vaerdistrom.toml` in `folder`: a warehouse, a municipality and the `sources` given (TOML)."""
    (folder / "vaerdistrom.toml").write_text(
        'warehouse = "w.duckdb"\n\n[municipality]\nname = "Prøve Kommune"\n\n' + sources, encoding="utf-8"
    )


def csv_source(
    name: str,
    path: str,
    *,
    case_id: str = "case",
    activity: str = "activity",
    ts: str = "timestamp",
    process: str = "p",
    options: str = "",
    mapping: str = "",
) -> str:
    """One `[sources.NAME]` table of a CSV source (TOML), with its mapping; `options` and `mapping` add lines."""
    return (
        f'[sources.{name}]\nkind = "csv"\npath = "{path}"\nprocess = "{process}"\n{options}'
        f'[sources.{name}.mapping]\ncase_id = "{case_id}"\nactivity = "{activity}"\nts = "{ts}"\n{mapping}\n'
    )
