"""The config models of the connectors that pull from live systems: a source's `[database]` and `[api]` tables.

`warehouse.config` takes them into a source (`kind = "sql"`, `kind = "rest"`); `connectors.sql`
and `connectors.rest` read by them, an API with its preset's shape and the defaults filled in
(`resolved`). Secrets are never in the file: each is named by the environment variable that
holds it, read when the pull starts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from connectors.base import ReadError
from connectors.presets import PRESETS
from vaerdistrom.models import Strict


class Database(Strict):
    """A live SQL database (PostgreSQL, MySQL/MariaDB, SQL Server) read by `connectors.sql`.

    The DSN (`postgresql://user:password@host:5432/db`, `mysql://...`, `mssql://...`) is never
    in the file: `dsn_env` names the environment variable that holds it, read when the run starts.
    """

    dsn_env: str
    table: str | None = None  # a table or view (`schema.table`), or
    query: str | None = None  # a select of your own; vaerdistrom wraps it with the watermark's where clause
    watermark: str | None = None  # a column that grows with new rows (updated_at, or an id): only rows from it on
    lookback_seconds: float = Field(default=0, ge=0)  # a timestamp watermark: read again this far back (late rows)
    lookback_ids: int = Field(default=0, ge=0)  # an integer watermark: read again this many ids back
    start: str | None = None  # the first pull's watermark (an ISO time or an integer); everything when left out
    batch_rows: int = Field(default=50_000, ge=1)  # rows per Arrow batch streamed from the database

    @model_validator(mode="after")
    def _one_of(self) -> Database:
        if (self.table is None) == (self.query is None):
            raise ValueError("give either table or query")
        return self


class OAuth2(Strict):
    """OAuth2 client credentials: a token from `token_url`, renewed when it runs out or is refused."""

    token_url: str
    client_id_env: str
    client_secret_env: str
    scope: str | None = None


class ApiKey(Strict):
    """An API key from the environment, sent in a header (or a query parameter)."""

    key_env: str
    header: str | None = "X-API-Key"
    query_param: str | None = None  # send it as ?name=key instead of a header


class Api(Strict):
    """A paged JSON API read by `connectors.rest` (a preset fills in the shape of a known kind of API)."""

    url: str
    preset: Literal["case_list", "search"] | None = None
    method: Literal["GET", "POST"] | None = None
    body: dict = Field(default_factory=dict)  # POST: the JSON body sent with every page (paging is added to it)
    params: dict[str, str] = Field(default_factory=dict)  # query parameters sent with every page
    headers: dict[str, str] = Field(default_factory=dict)
    items: str | None = None  # the dotted path of the records' array in a page ('' when the page is the array)
    paging: Literal["none", "offset", "page", "cursor", "link"] | None = None
    paging_in: Literal["query", "body"] | None = None  # where the paging parameters go
    page_size: int | None = Field(default=None, ge=1)
    offset_param: str | None = None  # offset paging: the parameter of the first record's position (0-based)
    limit_param: str | None = None  # offset and page paging: the parameter of the page's size
    page_param: str | None = None  # page paging: the parameter of the page's number
    first_page: int | None = None  # page paging: the first page's number (1 by default)
    cursor_param: str | None = None  # cursor paging: the parameter that takes the next cursor
    cursor_path: str | None = None  # cursor paging: the dotted path of the next cursor in a page
    total_path: str | None = None  # offset and page paging: the dotted path of the number of records in all
    modified_since_param: str | None = None  # incremental: the parameter that takes the watermark (ISO 8601, UTC)
    watermark: str | None = None  # incremental: the dotted path of a record's modification time
    lookback_seconds: float = Field(default=0, ge=0)  # asked again this far back (records written late)
    start: str | None = None  # the first pull's modified-since (ISO 8601); everything when left out
    oauth2: OAuth2 | None = None
    api_key: ApiKey | None = None
    requests_per_second: float | None = Field(default=None, gt=0)  # our own limit, besides the server's 429s
    retries: int = Field(default=5, ge=0)  # per request, on 429, 5xx and a dropped connection
    backoff_seconds: float = Field(default=1.0, ge=0)  # the first wait; each retry waits twice as long
    max_wait_seconds: float = Field(default=300.0, ge=0)  # the longest wait a Retry-After may ask for
    timeout_seconds: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _auth(self) -> Api:
        if self.oauth2 and self.api_key:
            raise ValueError("give oauth2 or api_key, not both")
        return self


DEFAULTS = {
    "method": "GET",
    "items": "",
    "paging": "none",
    "page_size": 100,
    "offset_param": "offset",
    "limit_param": "limit",
    "page_param": "page",
    "first_page": 1,
    "cursor_param": "cursor",
}


def resolved(api: Api) -> Api:
    """The API with its preset's shape, then the defaults, filled in where the source left a key out."""
    fill = dict(PRESETS[api.preset].api) if api.preset else {}
    for key, value in DEFAULTS.items():
        fill.setdefault(key, value)
    method = api.method or fill["method"]
    fill.setdefault("paging_in", "body" if method == "POST" else "query")
    out = api.model_copy(update={k: v for k, v in fill.items() if getattr(api, k) is None})
    if out.paging == "cursor" and not out.cursor_path:
        raise ReadError("api.cursor_path: cursor paging needs the dotted path of the next cursor in a page")
    if out.modified_since_param and not out.watermark:
        raise ReadError(
            "api.watermark: a modified-since parameter needs the dotted path of a record's modification time"
        )
    if out.paging_in == "body" and out.method != "POST":
        raise ReadError('api.paging_in: paging in the body needs method = "POST"')
    return out
