"""The DuckDB warehouse: canonical schema, layers, loads, quarantine, calendars, publishing."""
