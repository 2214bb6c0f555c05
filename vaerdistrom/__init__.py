"""The shared home: what every layer may import.

The canonical schema, the error base, the base of the config models, the calendar and time zones.

It imports nothing else of the project, so connectors, the warehouse, mining, flows and the
dashboards can all stand on it without importing each other.
"""
