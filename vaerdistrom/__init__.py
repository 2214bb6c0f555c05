"""The shared home: what every layer may import (the canonical schema, the error base, the calendar, time zones).

It imports nothing else of the project, so connectors, the warehouse, mining, flows and the
dashboards can all stand on it without importing each other.
"""
