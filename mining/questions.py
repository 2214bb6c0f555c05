"""The questions users ask, each with its levels (bupaR's `level`), and the mart that answers each level.

`vaerdistrom query QUESTION --level LEVEL` and the dashboards ask through `ask`, so a
question has one name and one answer everywhere. The questions and their levels are
`mining/sql/questions.yml`; which mart answers a level is said by the mart's own .yml. The
first level of a question is its default.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from mining.catalogue import CATALOGUE, VIEWS
from mining.engine import query
from mining.filters import Filters

# question -> level -> the mart answering it in the question's default view
QUESTIONS: dict[str, dict[str, str]] = {
    q.name: {level: CATALOGUE.answering(q.name, level, None) for level in q.levels}
    for q in CATALOGUE.questions.values()
}
# How a log with start and complete events, or interval rows (a start and a completion column), is counted:
# - events: every event by its activity name, in case order (ts, then file order): pm4py's view, in which a
#   started and completed activity is two events (A, A) and an interval row one;
# - instances: activity instances, as Disco shows them: a start/complete pair, or an interval row, is one
#   instance with its duration, in the order the instances started.
# A log of complete events only gives the same answer in both. The default view of each question that has two:
DEFAULT_VIEW: dict[str, str] = {q.name: q.default_view for q in CATALOGUE.questions.values() if q.default_view}
# the marts of the other view, by (question, level); valuestream counts instances only (it needs their durations)
OTHER_VIEW: dict[tuple[str, str], str] = {
    (q, level): CATALOGUE.answering(q, level, next(v for v in VIEWS if v != view))
    for q, view in DEFAULT_VIEW.items()
    for level in QUESTIONS[q]
}


def mart_for(question: str, level: str | None = None, view: str | None = None) -> str:
    """The mart answering `question` at `level` (default: its first) in `view` (default: the question's own);
    a clear error for unknown names."""
    levels = QUESTIONS.get(question)
    if levels is None:
        raise KeyError(f"unknown question {question!r} (ask one of: {', '.join(QUESTIONS)})")
    level = level or next(iter(levels))
    if level not in levels:
        raise KeyError(f"{question} has no level {level!r} (its levels: {', '.join(levels)})")
    if view is None:
        return levels[level]
    if view not in VIEWS:
        raise KeyError(f"no view {view!r} (the views: {', '.join(VIEWS)})")
    if question not in DEFAULT_VIEW:
        only = "instances: it needs their durations" if question == "valuestream" else "the events as loaded"
        if question == "valuestream" and view == "instances":
            return levels[level]
        raise KeyError(f"--view is for {', '.join(DEFAULT_VIEW)}; {question} counts {only}")
    return levels[level] if view == DEFAULT_VIEW[question] else OTHER_VIEW[(question, level)]


def ask(
    con: duckdb.DuckDBPyConnection,
    question: str,
    level: str | None = None,
    filters: Filters | None = None,
    view: str | None = None,
) -> pa.Table:
    """The answer to `question` at `level`, in `view` (events or instances), over the cases `filters` keeps."""
    return query(con, mart_for(question, level, view), filters)
