"""The options several commands share, typed once: the config, a warehouse file, the output format, dates."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import Annotated, Any

import typer

from vaerdistrom.errors import UsageError

CONFIG = Path("vaerdistrom.toml")

Config = Annotated[Path, typer.Option("--config", help="The config file describing the sources and processes.")]
Warehouse = Annotated[Path | None, typer.Option("--warehouse", help="A warehouse file (instead of the config's).")]


class Format(enum.StrEnum):
    """How a command prints its answer: a table for people, CSV or JSON for scripts."""

    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[
    Format, typer.Option("--format", help="How to print the answer: a table for people, csv or json for scripts.")
]


def parse_date(value: str, option: str) -> dt.date:
    """A day given as YYYY-MM-DD; anything else is bad input naming its option."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} must be a date as YYYY-MM-DD, got {value!r}") from None


def warehouse_of(config: Path) -> tuple[Any, Path, Path]:
    """The config read, its folder, and its warehouse, which must exist (a load made it)."""
    from warehouse.config import load_config

    cfg, root = load_config(config)
    path = root / cfg.warehouse
    if not path.exists():
        raise UsageError(f"no warehouse at {path} yet: run `vaerdistrom load --config {config}`")
    return cfg, root, path


def mined_warehouse(config: Path, warehouse: Path | None) -> tuple[Path, Any]:
    """The warehouse a reading command opens (`--warehouse`, else the config's) and the config, if one was read."""
    from warehouse.config import load_config

    cfg = None
    if warehouse is None:
        cfg, root = load_config(config)
        warehouse = root / cfg.warehouse
    if not warehouse.exists():
        raise UsageError(f"no warehouse at {warehouse}: run `vaerdistrom load` and `vaerdistrom mine` first")
    return warehouse, cfg
