"""REST connector: a paged JSON API, read incrementally by a modified-since parameter.

Paging by offset, by page number, by a cursor in the page, or by the `Link: <...>; rel="next"`
header. Auth by OAuth2 client credentials (the token renewed when it runs out or is refused)
or by an API key; secrets come from environment variables named in the config, read when the
pull starts. A 429 or 5xx answer, or a dropped connection, is retried with exponential backoff,
waiting what the server's `Retry-After` asks (up to `max_wait_seconds`); a `RateLimit-Remaining:
0` makes the next request wait for the reset; `requests_per_second` caps our own pace. Refused
credentials are one clear error, never retried.

Records are flattened to dotted columns (`handler.unit`), as the JSON lines reader does, and
leave as `RawChunk`s for the normal load path; a record that is not a JSON object is handed on
as unreadable, to be quarantined with its number in the pull.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import polars as pl

from connectors.base import RawChunk, ReadError
from connectors.config import Api, resolved
from connectors.watermark import Watermark

CHUNK_RECORDS = 5_000  # records gathered from pages into one chunk
TOKEN_MARGIN_SECONDS = 30  # a token this close to its expiry is renewed first


def dig(obj: Any, path: str) -> Any:
    """The value at a dotted path of a JSON object (`a.b.c`; '' is the object itself); None when absent."""
    for part in path.split(".") if path else ():
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def flatten(record: dict, prefix: str = "") -> dict[str, Any]:
    """A record's fields as dotted names; lists stay whole, as JSON text."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= flatten(value, name + ".")
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = value
    return out


def frame_of(records: list[dict[str, Any]]) -> pl.DataFrame:
    """Flattened records as a frame: a field whose values have more than one JSON type becomes text."""
    names = list(dict.fromkeys(k for r in records for k in r))
    columns = {}
    for name in names:
        values = [r.get(name) for r in records]
        kinds = {type(v) for v in values if v is not None}
        if kinds == {int, float}:
            values = [None if v is None else float(v) for v in values]
        elif len(kinds) > 1:
            values = [None if v is None else (json.dumps(v) if isinstance(v, bool) else str(v)) for v in values]
        columns[name] = pl.Series(name, values, dtype=pl.Utf8 if not kinds else None, strict=False)
    return pl.DataFrame(columns) if columns else pl.DataFrame()


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time from a record ('Z' or an offset, or naive); None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def http_time(t: dt.datetime) -> str:
    """A watermark as a modified-since value: ISO 8601, in UTC with 'Z' when the time has a zone."""
    if t.tzinfo is None:
        return t.isoformat()
    return t.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"


def retry_after(response: httpx.Response, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asks us to wait (`Retry-After` in seconds or as an HTTP date), if it says."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


def rate_reset(response: httpx.Response, now: Callable[[], float] = time.time) -> float | None:
    """Seconds until the server's rate window resets, when it says none are left (`RateLimit-*`, `X-RateLimit-*`)."""
    headers = response.headers
    remaining = headers.get("ratelimit-remaining") or headers.get("x-ratelimit-remaining")
    reset = headers.get("ratelimit-reset") or headers.get("x-ratelimit-reset")
    if remaining is None or reset is None:
        return None
    try:
        if int(float(remaining)) > 0:
            return None
        seconds = float(reset)
    except ValueError:
        return None
    return max(0.0, seconds - now()) if seconds > 1e9 else seconds  # an epoch time, or seconds to go


def secret(variable: str, where: str, what: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        raise ReadError(f"{where}: environment variable {variable} is not set (it holds the {what})")
    return value


class RestPull:
    """One pull's records as `RawChunk`s; after the last, `high` is the latest modification time seen."""

    def __init__(
        self,
        api: Api,
        *,
        since: Watermark | None,
        where: str,
        ask_from: Watermark | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`since`: the last pull's watermark; `ask_from`: what to ask modified-since (default `since`)."""
        self.api = resolved(api)
        self.since, self.where = since, where
        self.ask_from = ask_from or since
        self.high: Watermark | None = since
        self._high_time = dt.datetime.fromisoformat(since.value) if since else None
        self.client = client or httpx.Client(timeout=api.timeout_seconds, follow_redirects=True)
        self.sleep, self.clock = sleep, clock
        self.rows = 0
        self.requests = 0  # requests sent, retries included
        self.retried = 0
        self.waited_seconds = 0.0
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)
        self._links: dict = {}
        self._next_at = 0.0  # the earliest monotonic time of the next request (our pace, the server's reset)

    def __iter__(self) -> Iterator[RawChunk]:
        records: list[dict] = []
        unreadable: list[tuple[int, str, str]] = []
        first = 1
        for page in self._pages():
            for item in page:
                number = first + len(records) + len(unreadable)
                if isinstance(item, dict):
                    flat = flatten(item)
                    flat["row_number"] = number
                    records.append(flat)
                    self._track(dig(item, self.api.watermark) if self.api.watermark else None)
                else:
                    unreadable.append(
                        (number, "record is not a JSON object", json.dumps(item, ensure_ascii=False)[:2000])
                    )
            if len(records) + len(unreadable) >= CHUNK_RECORDS:
                yield self._chunk(records, unreadable)
                first += len(records) + len(unreadable)
                records, unreadable = [], []
        if records or unreadable:
            yield self._chunk(records, unreadable)

    def _chunk(self, records: list[dict], unreadable: list[tuple[int, str, str]]) -> RawChunk:
        self.rows += len(records) + len(unreadable)
        frame = frame_of(records) if records else pl.DataFrame({"row_number": pl.Series([], dtype=pl.Int64)})
        frame = frame.with_columns(pl.col("row_number").cast(pl.Int64)).select("row_number", pl.exclude("row_number"))
        return RawChunk(frame, unreadable)

    def _track(self, value: Any) -> None:
        t = parse_time(value)
        if t is None:
            return
        high = self._high_time
        if high is not None and (t.tzinfo is None) != (high.tzinfo is None):  # naive and zoned: naive read as UTC
            t, high = (x if x.tzinfo else x.replace(tzinfo=dt.UTC) for x in (t, high))
        if high is None or t > high:
            self._high_time = t
            self.high = Watermark.of(t)

    # paging ---------------------------------------------------------------------------------------------------

    def _pages(self) -> Iterator[list]:
        """Each page's records, following the source's kind of paging until a page says it is the last."""
        api = self.api
        size = api.page_size
        offset, page_no, cursor = 0, api.first_page, None
        url = api.url
        seen: set[str] = set()
        while True:
            paging: dict[str, Any] = {}
            if api.paging == "offset":
                paging = {api.offset_param: offset, api.limit_param: size}
            elif api.paging == "page":
                paging = {api.page_param: page_no, api.limit_param: size}
            elif api.paging == "cursor" and cursor is not None and url == api.url:
                paging = {api.cursor_param: cursor}
            body = self._page(url, paging)
            items = dig(body, api.items)
            if not isinstance(items, list):
                have = ", ".join(body) if isinstance(body, dict) else type(body).__name__
                raise ReadError(
                    f"{self.where}: a page of {api.url} has no list at {api.items or '(the page)'!r} (it has: {have})"
                )
            yield items
            total = dig(body, api.total_path) if api.total_path else None
            if api.paging == "none" or not items:
                return
            if api.paging == "offset":
                offset += len(items)
                if len(items) < size or (isinstance(total, int) and offset >= total):
                    return
                continue
            if api.paging == "page":
                if len(items) < size or (isinstance(total, int) and (page_no - api.first_page + 1) * size >= total):
                    return
                page_no += 1
                continue
            if api.paging == "cursor":  # the next cursor, or the next page's whole address
                cursor = dig(body, api.cursor_path)
                if cursor in (None, ""):
                    return
                cursor = str(cursor)
                nxt = cursor
                url = cursor if cursor.startswith(("http://", "https://")) else api.url
            else:  # link: the next page's address in the Link header
                nxt = self._links.get("next", {}).get("url")
                if not nxt:
                    return
                url = nxt
            if nxt in seen:
                raise ReadError(f"{self.where}: {api.url} sent the same next page ({nxt}) twice; stopped")
            seen.add(nxt)

    def _page(self, url: str, paging: dict[str, Any]) -> Any:
        """One page's JSON. The configured address gets the source's parameters, the paging and the
        modified-since; an address the server gave for the next page is asked as it is."""
        api = self.api
        params: dict[str, Any] = {}
        body = dict(api.body) if api.method == "POST" else None
        if url == api.url:
            extra = dict(paging)
            if api.modified_since_param and self.ask_from is not None:
                extra[api.modified_since_param] = http_time(dt.datetime.fromisoformat(self.ask_from.value))
            params = dict(api.params)
            if api.paging_in == "body":
                body = {**(body or {}), **extra}
            else:
                params |= {k: str(v) for k, v in extra.items()}
        response = self._send(api.method, url, params=params, json_body=body)
        self._links = response.links
        try:
            return response.json()
        except ValueError as e:
            raise ReadError(
                f"{self.where}: {api.method} {url} did not answer JSON ({e}): {response.text[:200]!r}"
            ) from None

    # requests -------------------------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        json_body: Any = None,
        form: dict | None = None,
        authorised: bool = True,
    ) -> httpx.Response:
        """A request, retried on 429, 5xx and dropped connections; refused credentials raise at once."""
        api = self.api
        renewed = False
        attempt = 0
        while True:
            headers = dict(api.headers)
            query = dict(params or {})
            if authorised:
                headers, query = self._authorise(headers, query)
            self._pace()
            self.requests += 1
            try:
                response = self.client.request(
                    method, url, params=query or None, json=json_body, data=form, headers=headers
                )
            except httpx.TransportError as e:
                if attempt >= api.retries:
                    raise ReadError(
                        f"{self.where}: {method} {url} failed after {attempt + 1} attempts: {type(e).__name__}: {e}"
                    ) from None
                self._wait(api.backoff_seconds * 2**attempt, url)
                attempt += 1
                continue
            code = response.status_code
            reset = rate_reset(response)
            if reset:
                self._next_at = max(self._next_at, self.clock() + min(reset, api.max_wait_seconds))
            if code == 401 and authorised and api.oauth2 and not renewed:
                self._token, renewed = None, True  # the token may have run out early: one new token
                continue
            if code in (401, 403) or (not authorised and code == 400 and _oauth_error(response) in REFUSED):
                raise ReadError(
                    f"{self.where}: {url} refused the credentials ({code} {response.reason_phrase})"
                    f"{self._check_hint()}{_detail(response)}"
                )
            if code == 429 or code >= 500:
                if attempt >= api.retries:
                    raise ReadError(
                        f"{self.where}: {method} {url} still answered {code} {response.reason_phrase} "
                        f"after {api.retries} retries{_detail(response)}"
                    )
                asked = retry_after(response)
                if asked is not None and asked > api.max_wait_seconds:
                    raise ReadError(
                        f"{self.where}: {url} asked us to wait {asked:.0f} s (Retry-After), more than "
                        f"max_wait_seconds = {api.max_wait_seconds:.0f}"
                    )
                self._wait(asked if asked is not None else api.backoff_seconds * 2**attempt, url)
                attempt += 1
                continue
            if code >= 400:
                raise ReadError(
                    f"{self.where}: {method} {url} answered {code} {response.reason_phrase}{_detail(response)}"
                )
            return response

    def _wait(self, seconds: float, url: str) -> None:
        self.retried += 1
        self.waited_seconds += seconds
        self.sleep(seconds)

    def _pace(self) -> None:
        """Wait for our own pace (`requests_per_second`) and for the server's rate window."""
        now = self.clock()
        if self._next_at > now:
            self.waited_seconds += self._next_at - now
            self.sleep(self._next_at - now)
        if self.api.requests_per_second:
            self._next_at = max(now, self._next_at) + 1 / self.api.requests_per_second

    def _check_hint(self) -> str:
        if self.api.oauth2:
            return f": check {self.api.oauth2.client_id_env} and {self.api.oauth2.client_secret_env}"
        if self.api.api_key:
            return f": check {self.api.api_key.key_env}"
        return ": the source has no credentials configured (oauth2 or api_key)"

    def _authorise(self, headers: dict, query: dict) -> tuple[dict, dict]:
        api = self.api
        if api.oauth2:
            headers["Authorization"] = f"Bearer {self.token()}"
        elif api.api_key:
            key = secret(api.api_key.key_env, self.where, "API key")
            if api.api_key.query_param:
                query[api.api_key.query_param] = key
            else:
                headers[api.api_key.header or "X-API-Key"] = key
        return headers, query

    def token(self) -> str:
        """An OAuth2 access token by the client-credentials grant, kept until shortly before it expires."""
        if self._token and self._token[1] > self.clock() + TOKEN_MARGIN_SECONDS:
            return self._token[0]
        o = self.api.oauth2
        form = {
            "grant_type": "client_credentials",
            "client_id": secret(o.client_id_env, self.where, "OAuth2 client id"),
            "client_secret": secret(o.client_secret_env, self.where, "OAuth2 client secret"),
        }
        if o.scope:
            form["scope"] = o.scope
        response = self._send("POST", o.token_url, form=form, authorised=False)
        try:
            body = response.json()
            access, expires = body["access_token"], float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ReadError(f"{self.where}: {o.token_url} gave no access_token: {response.text[:200]!r}") from None
        self._token = (access, self.clock() + expires)
        return access


REFUSED = ("invalid_client", "unauthorized_client", "invalid_grant")  # OAuth2's words for refused credentials


def _oauth_error(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def _detail(response: httpx.Response) -> str:
    """What the server said, in short (an OAuth2 error and its description, or the body's start)."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())[:200]
        return f": {text}" if text else ""
    if isinstance(body, dict) and "error" in body:
        desc = body.get("error_description") or body.get("message") or ""
        return f": {body['error']}" + (f" ({desc})" if desc else "")
    return ": " + json.dumps(body, ensure_ascii=False)[:200]
