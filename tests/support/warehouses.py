"""Warehouses for tests: an empty one with every migration applied."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from warehouse.migrations import connect


@pytest.fixture
def fresh_warehouse(tmp_path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty warehouse in `tmp_path` (`warehouse.duckdb`), every migration applied; closed after the test."""
    con = connect(tmp_path / "warehouse.duckdb")
    try:
        yield con
    finally:
        con.close()
