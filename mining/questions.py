"""The questions users ask, each with its levels (bupaR's `level`), and the mart that answers each level.

`vaerdistrom query QUESTION --level LEVEL` and the dashboards ask through `ask`, so a
question has one name and one answer everywhere. The first level of a question is its
default.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from mining.filters import Filters
from mining.marts import query

QUESTIONS: dict[str, dict[str, str]] = {
    "dfg": {"transition": "dfg", "endpoint": "dfg_endpoints"},
    "variants": {"variant": "variants", "case": "case_variants"},
    "valuestream": {"activity": "value_stream", "process": "value_stream_summary", "case": "value_stream_cases",
                    "instance": "activity_instances"},
    "bottlenecks": {"transition": "bottlenecks", "activity": "bottleneck_activities", "owner": "bottleneck_owners",
                    "month": "bottleneck_months", "case": "bottleneck_cases"},
    "rework": {"activity": "rework"},
    "contacts": {"process": "contact_summary", "wait": "contact_waits", "contact": "contact_cases"},
    "journeys": {"citizen": "citizen_journeys", "handover": "handovers"},
    "deadlines": {"month": "deadline_summary", "case": "deadlines"},
    "rules": {"month": "rule_summary", "case": "rule_checks"},
    "conformance": {"process": "conformance_processes", "month": "conformance_summary", "deviation": "deviations",
                    "case": "conformance_cases"},
}


def mart_for(question: str, level: str | None = None) -> str:
    """The mart answering `question` at `level` (default: its first); a clear error for unknown names."""
    levels = QUESTIONS.get(question)
    if levels is None:
        raise KeyError(f"unknown question {question!r} (ask one of: {', '.join(QUESTIONS)})")
    level = level or next(iter(levels))
    if level not in levels:
        raise KeyError(f"{question} has no level {level!r} (its levels: {', '.join(levels)})")
    return levels[level]


def ask(con: duckdb.DuckDBPyConnection, question: str, level: str | None = None,
        filters: Filters | None = None) -> pa.Table:
    """The answer to `question` at `level` over the cases `filters` keeps."""
    return query(con, mart_for(question, level), filters)
