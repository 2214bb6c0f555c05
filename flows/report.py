"""What a night did (`NightResult`, with a `SourceResult` per source) and its morning report (`summary_markdown`: rows
per source, KPIs against the night before, new deadline breaches, warnings), and the warning a load gives when it
pseudonymised columns whole."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.batch import BatchReport
from warehouse.pseudonym import redact


@dataclass
class SourceResult:
    source: str
    reports: list[BatchReport] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def rows(self) -> dict[str, int]:
        return {
            k: sum(getattr(r, k) for r in self.reports)
            for k in ("rows_read", "rows_loaded", "rows_new", "rows_quarantined")
        }


@dataclass
class NightResult:
    night: dt.date
    run_id: str
    started_at: dt.datetime
    sources: list[SourceResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kpis: list[dict] = field(default_factory=list)
    previous: dict[str, dict] = field(default_factory=dict)
    breaches: list[dict] = field(default_factory=list)
    snapshot: Path | None = None
    published: dict[str, str] = field(default_factory=dict)  # mart -> 'whole' or 'cases' (updated case by case)
    status: str = "running"
    message: str = ""
    failure: str = ""  # the step that failed (mining, publishing, ...), in one line
    summary_md: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def failed_sources(self) -> list[str]:
        return [s.source for s in self.sources if s.error]


KPIS = (
    "n_cases",
    "median_lead_time_days",
    "p90_lead_time_days",
    "share_within_deadline",
    "rework_rate",
    "contacts_per_case",
    "process_cycle_efficiency",
)


def _fmt(value, key: str) -> str:
    if value is None:
        return "–"
    if key.startswith("share") or key in ("rework_rate", "process_cycle_efficiency"):
        return f"{value:.1%}"
    if key == "n_cases":
        return f"{value:,}"
    return f"{value:.2f}"


def summary_markdown(result: NightResult) -> str:
    """The morning report: rows per source, KPIs against the night before, new deadline breaches, warnings."""
    lines = [f"# vaerdistrom, night of {result.night.isoformat()}: {result.status}", ""]
    if result.message:
        lines += [result.message, ""]
    lines += [
        "## Sources",
        "",
        "| source | batches loaded | rows read | new rows | quarantined | error |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for s in result.sources:
        rows = s.rows
        loaded = sum(1 for r in s.reports if not r.skipped)
        lines.append(
            f"| {s.source} | {loaded} | {rows['rows_read']:,} | {rows['rows_new']:,} | "
            f"{rows['rows_quarantined']:,} | {s.error or ''} |"
        )
    if result.kpis:
        lines += [
            "",
            "## KPIs per process (the night before in brackets)",
            "",
            "| process | " + " | ".join(KPIS) + " |",
            "|---|" + "---:|" * len(KPIS),
        ]
        for k in result.kpis:
            before = result.previous.get(k["process"], {})
            cells = [_fmt(k[c], c) + (f" ({_fmt(before.get(c), c)})" if before else "") for c in KPIS]
            lines.append(f"| {k['process']} | " + " | ".join(cells) + " |")
    lines += ["", f"## New deadline breaches: {len(result.breaches):,}", ""]
    per_process: dict[str, int] = {}
    for b in result.breaches:
        per_process[b["process"]] = per_process.get(b["process"], 0) + 1
    lines += [f"- {p}: {n:,}" for p, n in sorted(per_process.items())] or ["None."]
    if result.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in result.warnings]
    return redact("\n".join(lines) + "\n") or ""  # it goes to a file, the run history and Prefect


def pseudonymised_whole(source: str, report: BatchReport) -> str:
    """The line saying which columns of a file held CPR numbers without being declared personal."""
    columns = sorted(report.columns_pseudonymised)
    names = ", ".join(repr(redact(c)) for c in columns)
    return (
        f"sources.{source}: {names} held CPR numbers in most rows and {'was' if len(columns) == 1 else 'were'} "
        f"pseudonymised whole; declare {'it' if len(columns) == 1 else 'them'} under `personal`"
    )
