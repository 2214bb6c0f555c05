"""Presets for the REST connector: the shapes of the case-system APIs municipalities publish.

A preset fills in what a source's `[api]` leaves out (paging, where the records are, the
modified-since parameter) and, when the source gives no `[mapping]`, maps the records'
fields to the canonical event. Anything the source sets itself wins. The shapes, with a
record of each, are documented in docs/connectors.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    description: str
    api: dict  # defaults for the `[api]` keys a source leaves out
    mapping: dict[str, str]  # the canonical field -> the record's dotted path
    personal: list[str] = field(default_factory=list)  # fields pseudonymised at ingest


PRESETS: dict[str, Preset] = {
    # GET /cases?page=1&pageSize=100&modifiedSince=2025-01-01T00:00:00Z
    # -> {"items": [{"caseId", "caseDate", "progressState", "kleNumber", "caseworker", "department",
    #                "modified", "party": {"cpr"}}], "page": 1, "totalCount": 1234}
    "case_list": Preset(
        "a paged case list: one record per case with its case date, progress state, KLE code, caseworker and "
        "department; each pull brings the state a changed case has reached, as an event at its modification time",
        api={
            "method": "GET",
            "items": "items",
            "paging": "page",
            "page_param": "page",
            "limit_param": "pageSize",
            "page_size": 100,
            "first_page": 1,
            "total_path": "totalCount",
            "modified_since_param": "modifiedSince",
            "watermark": "modified",
        },
        mapping={
            "case_id": "caseId",
            "activity": "progressState",
            "ts": "modified",
            "resource": "caseworker",
            "org_unit": "department",
            "citizen_key": "party.cpr",
        },
        personal=["party.cpr"],
    ),
    # POST /search {"skip": 0, "size": 100, "modifiedSince": "2025-01-01T00:00:00Z", ...criteria}
    # with an OAuth2 client-credentials token
    # -> {"results": [{"caseNumber", "title", "kle", "state", "stateChangedAt", "handler": {"name", "unit"},
    #                  "party": {"cpr"}}], "total": 1234}
    "search": Preset(
        "an OAuth2 search endpoint: POST with skip and size in the JSON body; one record per case state",
        api={
            "method": "POST",
            "items": "results",
            "paging": "offset",
            "paging_in": "body",
            "offset_param": "skip",
            "limit_param": "size",
            "page_size": 100,
            "total_path": "total",
            "modified_since_param": "modifiedSince",
            "watermark": "stateChangedAt",
        },
        mapping={
            "case_id": "caseNumber",
            "activity": "state",
            "ts": "stateChangedAt",
            "resource": "handler.name",
            "org_unit": "handler.unit",
            "citizen_key": "party.cpr",
        },
        personal=["party.cpr"],
    ),
}
