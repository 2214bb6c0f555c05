"""`vaerdistrom.toml`: the sources a municipality loads and its processes, typed.

Errors name the key and say what is wrong (`sources.telefoni.mapping.ts: field required`).
Secrets are never in the file: the pseudonymisation key comes from the environment or a
key file named here. Paths are relative to the config file.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from connectors.config import Api, Database
from connectors.presets import PRESETS
from vaerdistrom.errors import UsageError
from vaerdistrom.models import Strict

CONTACT_CHANNELS = ("phone", "email", "digital_post", "visit")
PULLED = ("sql", "rest")  # source kinds pulled from a live system (a database, an API) rather than read from files
SECONDS_PER = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0}  # duration_unit -> seconds


class ConfigError(UsageError, ValueError):
    """The config file is missing, not TOML, or does not describe a usable setup."""


class Mapping(Strict):
    """Which source column (or JSON path `a.b`) holds each canonical field."""

    ts: str
    start_ts: str | None = None  # an interval row's start (the row is one activity instance; ts its completion)
    case_id: str | None = None
    activity: str | None = None
    lifecycle: str | None = None
    resource: str | None = None
    org_unit: str | None = None
    citizen_key: str | None = None
    source_key: str | None = None  # the source's own row key: makes reloads idempotent
    direction: str | None = None
    duration: str | None = None  # contacts: how long the call or visit took (a number in duration_unit)


class Source(Strict):
    """One source: a file (or glob) of one system's export, a live database, or a JSON API."""

    kind: Literal["csv", "parquet", "jsonl", "excel", "xes", "ocel", "sql", "rest"]
    path: str | None = None
    database: Database | None = None  # kind = "sql"
    api: Api | None = None  # kind = "rest"
    records: Literal["events", "contacts"] = "events"
    encoding: str | None = None
    delimiter: str | None = None
    decimal: Literal[".", ","] = "."  # the decimal mark of numbers read from text (durations)
    duration_unit: Literal["seconds", "minutes", "hours"] = "seconds"
    timestamp_format: str | None = None  # a strptime format, or epoch_seconds / epoch_milliseconds (UTC)
    max_field_bytes: int = Field(default=1 << 20, gt=0)  # a row with a longer field goes to quarantine
    # CSV: a last line without a line ending (an export cut off mid-write) goes to quarantine, or loads ("load")
    unterminated_last_line: Literal["quarantine", "load"] = "quarantine"
    timezone: str = "Europe/Copenhagen"
    earliest: dt.date = dt.date(1900, 1, 1)  # a time before this day, or more than days_ahead days from now, is
    days_ahead: int = 366  # a placeholder (0001-01-01, 9999-12-31) or a typo: the row goes to quarantine
    ready_file: str | None = None  # a file the export writes when it is done: the source is read only once it is there
    min_age_seconds: int = 0  # a file modified more recently than this is left for a later run
    sheets: str | None = None
    channel: str | None = None
    channel_column: str | None = None
    channel_values: dict[str, str] = Field(default_factory=dict)
    process: str | None = None
    process_column: str | None = None
    process_values: dict[str, str] = Field(default_factory=dict)
    activity: str | None = None  # a fixed activity name (contact logs)
    direction: Literal["inbound", "outbound"] | None = None
    direction_values: dict[str, str] = Field(default_factory=dict)
    lifecycle_values: dict[str, str] = Field(default_factory=dict)
    personal: list[str] = Field(default_factory=list)
    object_type: str | None = None  # OCEL: the object type whose objects are the cases
    mapping: Mapping | None = None  # OCEL logs map themselves (event type, time, id)

    @model_validator(mode="before")
    @classmethod
    def _preset_mapping(cls, data):
        """A REST source with a preset and no mapping takes the preset's mapping."""
        api = data.get("api") if isinstance(data, dict) else None
        if isinstance(api, dict) and data.get("kind") == "rest" and api.get("preset") and "mapping" not in data:
            preset = PRESETS.get(api["preset"])
            if preset is not None:
                data = {"personal": list(preset.personal), **data, "mapping": dict(preset.mapping)}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        self._check_origin()
        self._check_mapping()
        self._check_records()
        return self

    def _check_origin(self) -> None:
        """Where the rows come from: a path for a file source, [database] or [api] for a pulled one."""
        if self.kind == "sql" and self.database is None:
            raise ValueError("a sql source needs [database] (dsn_env and a table or query)")
        if self.kind == "rest" and self.api is None:
            raise ValueError("a rest source needs [api] (url, and paging or a preset)")
        if self.kind in PULLED and self.path is not None:
            raise ValueError(f"a {self.kind} source has no path")
        if self.kind not in PULLED and self.path is None:
            raise ValueError("path: field required")
        if self.database is not None and self.kind != "sql":
            raise ValueError("database is for sql sources only")
        if self.api is not None and self.kind != "rest":
            raise ValueError("api is for rest sources only")

    def _check_mapping(self) -> None:
        """An OCEL log names its object type and maps itself; every other source has a mapping."""
        if self.kind == "ocel":
            if not self.object_type:
                raise ValueError("an OCEL source needs object_type: the object type whose objects are the cases")
            if self.records != "events":
                raise ValueError("an OCEL source holds events, not contacts")
        elif self.object_type:
            raise ValueError("object_type is for OCEL sources only")
        elif self.mapping is None:
            raise ValueError("mapping: field required")
        if self.records == "events" and self.kind != "ocel" and not (self.required_mapping.activity or self.activity):
            raise ValueError("an event source needs mapping.activity or a fixed activity")

    def _check_records(self) -> None:
        """An event source names its process, a contact source its channel."""
        if self.records == "events" and not (self.process or self.process_column):
            raise ValueError("an event source needs process or process_column")
        if self.records == "contacts" and not (self.channel or self.channel_column):
            raise ValueError("a contact source needs channel or channel_column")
        if self.channel and self.channel not in (*CONTACT_CHANNELS, "case_system", "self_service", "letter"):
            raise ValueError(f"unknown channel {self.channel!r}")

    # Every source but an OCEL log has a mapping, a sql source its [database] and a rest source its [api]
    # (`_consistent` checks that on load): the code that reads them asks for them here, typed as set.

    @property
    def required_mapping(self) -> Mapping:
        """The source's mapping; a ConfigError for an OCEL source, which has none (the log maps itself)."""
        if self.mapping is None:
            raise ConfigError(f"a {self.kind} source has no mapping")
        return self.mapping

    @property
    def required_database(self) -> Database:
        """A sql source's [database]; a ConfigError for any other kind."""
        if self.database is None:
            raise ConfigError(f"a {self.kind} source has no [database]")
        return self.database

    @property
    def required_api(self) -> Api:
        """A rest source's [api]; a ConfigError for any other kind."""
        if self.api is None:
            raise ConfigError(f"a {self.kind} source has no [api]")
        return self.api


class Rule(Strict):
    """A rule every case of a process must keep, checked by the mining step.

    response: after `activity`, `response` within `days` (calendar or working) days;
    precedence: `activity` before `before` (checked in the cases where `before` happens);
    must_happen / must_not_happen: `activity` happens (does not happen) in every case.
    """

    name: str
    kind: Literal["response", "precedence", "must_happen", "must_not_happen"]
    activity: str
    response: str | None = None
    days: int | None = Field(default=None, ge=0)
    working_days: bool = False
    before: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Rule:
        if self.kind == "response" and (self.response is None or self.days is None):
            raise ValueError(f"rule {self.name!r}: a response rule needs response and days")
        if self.kind == "precedence" and self.before is None:
            raise ValueError(f"rule {self.name!r}: a precedence rule needs before")
        if self.kind != "response" and (self.response is not None or self.days is not None):
            raise ValueError(f"rule {self.name!r}: response and days are for response rules")
        if self.kind != "precedence" and self.before is not None:
            raise ValueError(f"rule {self.name!r}: before is for precedence rules")
        return self


class Process(Strict):
    code: str | None = None
    name_da: str
    name_en: str
    bpmn: str | None = None
    deadline_days: int | None = None
    deadline_working_days: bool = False
    deadline_from: str | None = None
    deadline_from_column: bool = False
    deadline_to: str | None = None
    deadline_label_da: str | None = None
    deadline_label_en: str | None = None
    deadline_source: str | None = None
    # waits the process intends (a follow-up after six months): shown, but not ranked as bottlenecks
    planned_waits: list[tuple[str, str]] = Field(default_factory=list)
    # the value stream's cost: kroner per hour of hands-on time, and hands-on minutes per activity where the
    # source has no start/complete pairs to measure them
    hourly_rate_dkk: float | None = Field(default=None, ge=0)
    standard_minutes: dict[str, float] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    discovery_noise: float = Field(default=0.2, ge=0, le=1)  # the inductive miner's noise threshold (IMf)
    # seconds a run may spend aligning this process's variants against `bpmn` (most frequent first); the rest are
    # checked by token replay, and fitness is token-based until every variant has been aligned
    conformance_seconds: float = Field(default=60.0, ge=0)
    precision_seconds: float = Field(default=60.0, ge=0)  # for replaying the variants' prefixes (precision)


class Municipality(Strict):
    name: str
    timezone: str = "Europe/Copenhagen"


class Nightly(Strict):
    """The nightly run: when it is scheduled, where it publishes, and how it treats a failing source."""

    cron: str = "0 2 * * *"  # every night at 02:00 in `timezone`
    timezone: str = "Europe/Copenhagen"
    published: str = "published"  # the folder whose snapshot dashboards and reports read
    retries: int = Field(default=3, ge=0)  # per source, for reading its files (a network share, an export in progress)
    retry_delay_seconds: float = Field(default=30.0, ge=0)  # the first wait; each retry waits twice as long
    fail_on_source_error: bool = True  # a source that failed makes the run Failed (the others still load and publish)


class Config(Strict):
    municipality: Municipality
    warehouse: str = "vaerdistrom.duckdb"
    memory_limit: str = "2GB"  # DuckDB's memory cap while loading; it spills to disk beyond it
    key_file: str | None = None
    sources: dict[str, Source]
    processes: dict[str, Process] = Field(default_factory=dict)
    nightly: Nightly = Field(default_factory=Nightly)


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def load_config(path: str | Path) -> tuple[Config, Path]:
    """The parsed config and the folder its relative paths start from."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file (`vaerdistrom init` writes an example)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        return Config.model_validate(data), path.parent
    except ValidationError as e:
        first = e.errors()[0]
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        msg = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{path}: {_where(first['loc'])}: {msg}{more}") from None
