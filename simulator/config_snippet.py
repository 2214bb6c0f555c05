"""The config snippet a simulation writes beside its exports (`vaerdistrom.toml`).

It describes each exported file the way a data team would describe its own sources
(format, encoding, time zone, which columns map to the canonical event, which are
personal) and each process's intended BPMN and published deadline, so the warehouse
can load the simulated municipality like a real one.
"""

from __future__ import annotations

import json

from simulator.spec import SimulationSpec
from simulator.templates.common import ProcessTemplate

SOURCES = {
    "sbsys": {
        "kind": "csv",
        "path": "sbsys/sagsaktiviteter.csv",
        "encoding": "cp1252",
        "delimiter": ";",
        "decimal": ",",
        "timestamp_format": "%d-%m-%Y %H:%M",
        "timezone": "Europe/Copenhagen",
        "channel": "case_system",
        "process_column": "Sagsmodel",
        "process_values": {"Byggesag": "byggesag", "Helhedsplan": "helhedsplan"},
        "personal": ["Part CPR", "Sagstitel"],
        "mapping": {
            "case_id": "Sagsnummer",
            "activity": "Aktivitet",
            "ts": "Udført",
            "resource": "Udført af",
            "org_unit": "Afdeling",
            "citizen_key": "Part CPR",
        },
        "processes": ("byggesag", "helhedsplan"),
    },
    "nexus": {
        "kind": "jsonl",
        "path": "nexus/haendelser.jsonl",
        "encoding": "utf-8",
        "timezone": "Europe/Copenhagen",
        "channel": "case_system",
        "process": "visitation",
        "personal": ["borger.cpr"],
        "lifecycle_values": {"STARTED": "start", "FINISHED": "complete"},
        "mapping": {
            "case_id": "forloeb.id",
            "activity": "aktivitet",
            "ts": "tidspunkt",
            "lifecycle": "status",
            "resource": "medarbejder.navn",
            "org_unit": "medarbejder.organisation",
            "citizen_key": "borger.cpr",
            "source_key": "haendelsesId",
        },
        "processes": ("visitation",),
    },
    "momentum": {
        "kind": "parquet",
        "path": "momentum/sygedagpenge.parquet",
        "timezone": "UTC",
        "channel": "case_system",
        "process": "sygedagpenge",
        "personal": ["cpr"],
        "mapping": {
            "case_id": "forloebsid",
            "activity": "aktivitet",
            "ts": "tidspunkt",
            "lifecycle": "livscyklus",
            "resource": "sagsbehandler",
            "org_unit": "enhed",
            "citizen_key": "cpr",
        },
        "processes": ("sygedagpenge",),
    },
    "pladsanvisning": {
        "kind": "excel",
        "path": "pladsanvisning/pladsanvisning.xlsx",
        "sheets": "Hændelser*",
        "timezone": "Europe/Copenhagen",
        "channel": "self_service",
        "process": "pladsanvisning",
        "personal": ["Barnets CPR", "Ansøgers CPR"],
        "mapping": {
            "case_id": "Ansøgningsnr",
            "activity": "Hændelse",
            "ts": "Tidspunkt",
            "resource": "Medarbejder",
            "org_unit": "Afdeling",
            "citizen_key": "Ansøgers CPR",
        },
        "processes": ("pladsanvisning",),
    },
    "telefoni": {
        "records": "contacts",
        "kind": "csv",
        "path": "telefoni/opkald.csv",
        "encoding": "utf-8-sig",
        "delimiter": ",",
        "timestamp_format": "%Y-%m-%d %H:%M:%S",
        "timezone": "Europe/Copenhagen",
        "channel": "phone",
        "activity": "Telefonopkald",
        "personal": ["CPR", "Notat"],
        "direction_values": {"Indgående": "inbound", "Udgående": "outbound"},
        "mapping": {
            "source_key": "OpkaldsID",
            "ts": "Starttidspunkt",
            "direction": "Retning",
            "citizen_key": "CPR",
            "case_id": "Sagsnummer",
            "resource": "Medarbejder",
            "org_unit": "Kø",
            "duration": "Varighed (sek)",
        },
    },
    "digital_post": {
        "records": "contacts",
        "kind": "jsonl",
        "path": "digital_post/beskeder.jsonl",
        "encoding": "utf-8",
        "timezone": "UTC",
        "channel_column": "kanal",
        "channel_values": {"E-mail": "email", "Digital Post": "digital_post"},
        "activity": "Skriftlig henvendelse",
        "personal": ["afsender.cpr", "emne"],
        "direction_values": {"Indgående": "inbound", "Udgående": "outbound"},
        "mapping": {
            "source_key": "beskedId",
            "ts": "tidspunkt",
            "direction": "retning",
            "citizen_key": "afsender.cpr",
            "case_id": "sagsreference",
            "org_unit": "postkasse",
        },
    },
    "borgerservice": {
        "records": "contacts",
        "kind": "csv",
        "path": "borgerservice/koelog.csv",
        "encoding": "utf-8-sig",
        "delimiter": ";",
        "decimal": ",",
        "timestamp_format": "%d.%m.%Y %H:%M:%S",
        "timezone": "Europe/Copenhagen",
        "channel": "visit",
        "direction": "inbound",
        "activity": "Besøg i Borgerservice",
        "personal": ["CPR", "Bemærkning"],
        "duration_unit": "minutes",
        "mapping": {
            "source_key": "BesoegsID",
            "ts": "Oprettet",
            "citizen_key": "CPR",
            "case_id": "Sagsnummer",
            "resource": "Medarbejder",
            "org_unit": "Kø",
            "duration": "Betjeningstid (min)",
        },
    },
}


HOURLY_RATE_DKK = 500  # the simulated municipality's cost of an hour of hands-on time [E]


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def config_toml(spec: SimulationSpec, templates: list[ProcessTemplate]) -> str:
    """TOML describing the exported sources and the processes of this simulation."""
    keys = {t.key for t in templates}
    lines = [
        f"# Sources and processes of the simulated municipality {spec.municipality!r}.",
        "# Written by `vaerdistrom simulate`; paths are relative to this file.",
        "",
        'warehouse = "vaerdistrom.duckdb"',
        'key_file = "pseudonym.key"  # or set VAERDISTROM_PSEUDONYM_KEY; never commit the key',
        "",
        "[municipality]",
        f"name = {_value(spec.municipality)}",
        'timezone = "Europe/Copenhagen"',
        "",
    ]
    for name, src in SOURCES.items():
        procs = src.get("processes")
        if procs is not None and not keys.intersection(procs):
            continue
        lines.append(f"[sources.{name}]")
        tables = []
        for k, v in src.items():
            if k == "processes":
                continue
            if isinstance(v, dict):
                tables.append((k, v))
            else:
                lines.append(f"{k} = {_value(v)}")
        for k, v in tables:
            lines.append("")
            lines.append(f"[sources.{name}.{k}]")
            lines += [f"{_value(kk)} = {_value(vv)}" for kk, vv in v.items()]
        lines.append("")
    for t in templates:
        d = t.deadline
        lines += [
            f"[processes.{t.key}]",
            f"code = {_value(t.code)}",
            f"name_da = {_value(t.name_da)}",
            f"name_en = {_value(t.name_en)}",
            f"bpmn = {_value(f'bpmn/{t.key}.bpmn')}",
            f"deadline_days = {d.days}",
            f"deadline_working_days = {_value(d.working_days)}",
            f"deadline_from = {_value(d.from_activity)}",
            f"deadline_from_column = {_value(d.from_column)}",
            f"deadline_to = {_value(d.to_activity)}",
            f"deadline_label_da = {_value(d.label_da)}",
            f"deadline_label_en = {_value(d.label_en)}",
            f"deadline_source = {_value('sourced' if d.source == 'S' else 'estimate')}",
            f"hourly_rate_dkk = {HOURLY_RATE_DKK}  # an estimate: a caseworker's hour with overhead, in kroner",
            "",
        ]
        for rule in t.rules:
            lines.append(f"[[processes.{t.key}.rules]]")
            lines += [f"{k} = {_value(v)}" for k, v in rule.items()]
            lines.append("")
    return "\n".join(lines)
