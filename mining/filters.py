"""The filter every mining function takes: which cases a question is asked about.

A filter selects whole cases (as process-mining tools do: a case is kept with all its
events, or left out). `period` keeps the cases that were open at some time in it (their
first event is before its end and their last event after its start, Disco's
"intersecting" time frame); `org_unit` the cases with an event in that unit; `variant`
the cases whose variant id starts with the given text; `attributes` the cases with each
attribute at the given value (a case attribute, or an attribute of one of its events);
`min_days`/`max_days` the cases whose lead time (first to last event) is in that range.
Dates are days in the municipality's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

DEFAULT_ZONE = "Europe/Copenhagen"


@dataclass(frozen=True)
class Filters:
    """Which cases to look at; the default keeps every case of every process."""

    process: str | None = None
    period_from: dt.date | None = None  # first day kept
    period_to: dt.date | None = None  # last day kept (whole day)
    org_unit: str | None = None
    variant: str | None = None  # a variant id, or its first characters
    attributes: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    min_days: float | None = None
    max_days: float | None = None
    timezone: str = DEFAULT_ZONE

    def __post_init__(self) -> None:
        if self.period_from and self.period_to and self.period_to < self.period_from:
            raise ValueError(f"the period ends ({self.period_to}) before it starts ({self.period_from})")
        if self.min_days is not None and self.max_days is not None and self.max_days < self.min_days:
            raise ValueError(f"max_days ({self.max_days}) is below min_days ({self.min_days})")

    @classmethod
    def of(cls, process: str, filters: Filters | None) -> Filters:
        """`filters` (or none) narrowed to one process."""
        return replace(filters or cls(), process=process)

    @property
    def selects_cases(self) -> bool:
        """True when the filter leaves out cases beyond choosing a process."""
        return any(
            v not in (None, ())
            for v in (
                self.period_from,
                self.period_to,
                self.org_unit,
                self.variant,
                self.attributes,
                self.min_days,
                self.max_days,
            )
        )

    def period_bounds(self) -> tuple[str | None, str | None, dict]:
        """SQL for the period's first instant (a case ending at or after it is kept) and the instant after its last
        day (a case starting before it is kept), None for an open side, and their parameters."""
        start = "timezone($zone, $period_from::timestamp)" if self.period_from is not None else None
        end = "timezone($zone, $period_to::timestamp + interval 1 day)" if self.period_to is not None else None
        params = {k: v for k, v in (("period_from", self.period_from), ("period_to", self.period_to)) if v is not None}
        return start, end, (params | {"zone": self.timezone} if params else {})

    def cases_sql(
        self, case_variants: str = "marts.case_variants", event_sequence: str = "marts.event_sequence"
    ) -> tuple[str, dict[str, object]]:
        """A query of the kept cases (process, case_id) and its parameters."""
        where: list[str] = ["true"]
        params: dict[str, object] = {}
        if self.process is not None:
            where.append("c.process = $process")
            params["process"] = self.process
        start, end, bounds = self.period_bounds()
        if start is not None:
            where.append(f"c.ended_at >= {start}")
        if end is not None:
            where.append(f"c.started_at < {end}")
        params |= bounds
        if self.org_unit is not None:
            where.append(
                f"exists (select 1 from {event_sequence} as e where e.process = c.process "
                "and e.case_id = c.case_id and e.org_unit = $org_unit)"
            )
            params["org_unit"] = self.org_unit
        if self.variant is not None:
            where.append("starts_with(c.variant_id, $variant)")
            params["variant"] = self.variant
        for i, (key, value) in enumerate(self.attributes):
            where.append(
                f"(exists (select 1 from staging.cases as s where s.process = c.process "
                f"and s.case_id = c.case_id and s.attributes->>$key{i} = $value{i}) "
                f"or exists (select 1 from staging.events as e where e.process = c.process "
                f"and e.case_id = c.case_id and e.attributes->>$key{i} = $value{i}))"
            )
            params[f"key{i}"], params[f"value{i}"] = key, value
        if self.min_days is not None:
            where.append("c.lead_time_seconds >= $min_days * 86400")
            params["min_days"] = self.min_days
        if self.max_days is not None:
            where.append("c.lead_time_seconds <= $max_days * 86400")
            params["max_days"] = self.max_days
        return f"select c.process, c.case_id from {case_variants} as c where {' and '.join(where)}", params


def parse_attribute(text: str) -> tuple[str, str]:
    """`key=value` (as typed on the command line) -> (key, value)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"{text!r}: an attribute filter is KEY=VALUE")
    return key, value
