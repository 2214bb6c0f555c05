"""REST connector: a paged JSON API, read incrementally by a modified-since parameter.

Paging by offset, by page number, by a cursor in the page, or by the `Link: <...>; rel="next"`
header (`rest_paging`). Auth by OAuth2 client credentials (the token renewed when it runs out or
is refused) or by an API key; secrets come from environment variables named in the config, read
when the pull starts (`rest_auth`). A 429 or 5xx answer, or a dropped connection, is retried with
exponential backoff, waiting what the server's `Retry-After` asks (up to `max_wait_seconds`); a
`RateLimit-Remaining: 0` makes the next request wait for the reset; `requests_per_second` caps
our own pace. Refused credentials are one clear error, never retried (`rest_http`).

Records are flattened to dotted columns (`handler.unit`), as the JSON lines reader does
(`rest_records`), and leave as `RawChunk`s for the normal load path; a record that is not a JSON
object is handed on as unreadable, to be quarantined with its number in the pull.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import polars as pl

from connectors.base import RawChunk
from connectors.config import Api, resolved
from connectors.rest_http import Session
from connectors.rest_paging import pages
from connectors.rest_records import dig, flatten, frame_of, parse_time
from connectors.watermark import Watermark

CHUNK_RECORDS = 5_000  # records gathered from pages into one chunk


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
        self.session = Session(
            self.api,
            where,
            client=client or httpx.Client(timeout=api.timeout_seconds, follow_redirects=True),
            sleep=sleep,
            clock=clock,
        )
        self.rows = 0

    @property
    def requests(self) -> int:
        """Requests sent, retries included."""
        return self.session.requests

    @property
    def retried(self) -> int:
        return self.session.retried

    @property
    def waited_seconds(self) -> float:
        return self.session.waited_seconds

    def token(self) -> str:
        """An OAuth2 access token by the client-credentials grant, kept until shortly before it expires."""
        return self.session.credentials.token()

    def __iter__(self) -> Iterator[RawChunk]:
        records: list[dict] = []
        unreadable: list[tuple[int, str, str]] = []
        first = 1
        for page in pages(self.session, self.ask_from):
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
