"""What each simulated system exports, in that system's own format and quirks.

- sbsys (ESDH case system), `sbsys/sagsaktiviteter.csv`: `;`, cp1252, CRLF, Danish headers,
  `dd-mm-yyyy HH:MM` local, decimal comma
- nexus (care system), `nexus/haendelser.jsonl`: JSON lines, nested objects, ISO 8601 with offset
- momentum (job centre), `momentum/sygedagpenge.parquet`: Parquet, `timestamp[us, UTC]`, date column
- pladsanvisning (placement system), `pladsanvisning/pladsanvisning.xlsx`: Excel, real date cells
  (local time), one sheet per 1,048,575 rows
- telefoni (telephony), `telefoni/opkald.csv`: `,`, UTF-8 with BOM, `yyyy-mm-dd HH:MM:SS` local
- digital_post (e-mail, Digital Post), `digital_post/beskeder.jsonl`: JSON lines, UTC with `Z`
- borgerservice (front-desk queue), `borgerservice/koelog.csv`: `;`, UTF-8 with BOM,
  `dd.mm.yyyy HH:MM:SS` local, decimal comma

Case systems write in case order as cases finish (`simulator.case_exports`, on `CaseExport`
here); contact logs are written in time order (spilled in weekly parts, then sorted one week
at a time: bounded memory) by `simulator.contact_logs`. Both use the helpers here (`FileInfo`,
`local_ts`, `utc_iso`).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from simulator.engine import Case, Event

TZ = "Europe/Copenhagen"
FLUSH_ROWS = 25_000


def local_ts(col: str | pl.Expr) -> pl.Expr:
    """Local wall-clock seconds -> timezone-aware Europe/Copenhagen datetimes."""
    expr = pl.col(col) if isinstance(col, str) else col
    return (
        (expr.cast(pl.Int64) * 1_000_000)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone(TZ, ambiguous="earliest", non_existent="raise")
    )


def utc_iso(col: str | pl.Expr) -> pl.Expr:
    """Local wall-clock seconds -> `2025-01-02T08:15:00Z`."""
    return local_ts(col).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def cpr_digits(cpr: str) -> str:
    return cpr.replace("-", "")


@dataclass
class FileInfo:
    """What the ground truth says about one exported file."""

    path: str
    system: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    timestamp_format: str | None = None
    timezone: str | None = None
    rows: int = 0
    events: int = 0
    contacts: int = 0
    cases: int = 0  # every case is written once, whole, so counting is enough

    def as_json(self) -> dict:
        return {
            "path": self.path,
            "system": self.system,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "timestamp_format": self.timestamp_format,
            "timezone": self.timezone,
            "rows": self.rows,
            "events": self.events,
            "contacts": self.contacts,
            "cases": self.cases,
        }


class CaseExport:
    """Base for a case system's export: buffer rows of finished cases, flush in chunks."""

    info: FileInfo

    FIELDS: tuple[str, ...]

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: list[tuple] = []
        self.buf: dict[str, list] = {}

    def add(self, case: Case, events: list[Event]) -> None:
        if not events:
            return
        self.info.cases += 1
        self.info.rows += len(events)
        self.info.events += len(events)
        self.rows.extend(self._rows(case, events))
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def _rows(self, case: Case, events: list[Event]) -> list[tuple]:
        raise NotImplementedError

    def flush(self) -> None:
        if self.rows:
            self.buf = dict(zip(self.FIELDS, map(list, zip(*self.rows, strict=True)), strict=False))  # no rows: {}
            self._write()
        self.rows = []
        self.buf = {}

    def close(self) -> None:
        self.flush()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def dump_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
