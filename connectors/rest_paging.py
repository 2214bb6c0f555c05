"""The REST connector's paging: a pull's pages, one request each, until a page says it is the last.

Paging by offset, by page number, by a cursor in the page, or by the `Link: <...>; rel="next"`
header. The configured address gets the source's parameters, the paging and the modified-since;
an address the server gave for the next page is asked as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from connectors.base import ReadError
from connectors.config import Api
from connectors.rest_http import Session
from connectors.rest_records import dig
from connectors.watermark import Watermark

Links = dict[str | None, dict[str, str]]  # a response's Link header: rel -> {"url": ..., "rel": ...}


def http_time(t: dt.datetime) -> str:
    """A watermark as a modified-since value: ISO 8601, in UTC with 'Z' when the time has a zone."""
    if t.tzinfo is None:
        return t.isoformat()
    return t.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"


def pages(session: Session, ask_from: Watermark | None) -> Iterator[list[Any]]:
    """Each page's records, following the source's kind of paging until a page says it is the last."""
    api = session.api
    assert api.items is not None  # resolved() fills it in ('' when the page is the array)
    pager = Pager(api, session.where)
    while True:
        body, links = _page(session, pager.url, pager.params(), ask_from)
        items = dig(body, api.items)
        if not isinstance(items, list):
            have = ", ".join(body) if isinstance(body, dict) else type(body).__name__
            raise ReadError(
                f"{session.where}: a page of {api.url} has no list at {api.items or '(the page)'!r} (it has: {have})"
            )
        yield items
        if not pager.advance(body, items, links):
            return


class Pager:
    """Where the next page is: the paging parameters for the configured address, or the server's next address."""

    def __init__(self, api: Api, where: str) -> None:
        # resolved() fills in the page's size and the first page's number (config.DEFAULTS)
        assert api.page_size is not None and api.first_page is not None
        self.api, self.where = api, where
        self.size, self.first_page = api.page_size, api.first_page
        self.offset, self.page_no = 0, api.first_page
        self.cursor: str | None = None
        self.url = api.url
        self.seen: set[str] = set()

    def params(self) -> dict[str, Any]:
        """The paging parameters of the next request."""
        api = self.api
        if api.paging == "offset":
            assert api.offset_param is not None and api.limit_param is not None  # resolved() fills them in
            return {api.offset_param: self.offset, api.limit_param: self.size}
        if api.paging == "page":
            assert api.page_param is not None and api.limit_param is not None  # resolved() fills them in
            return {api.page_param: self.page_no, api.limit_param: self.size}
        if api.paging == "cursor" and self.cursor is not None and self.url == self.api.url:
            assert api.cursor_param is not None  # resolved() fills it in
            return {api.cursor_param: self.cursor}
        return {}

    def advance(self, body: Any, items: list[Any], links: Links) -> bool:
        """Move on past a page of `items`; False when it was the last."""
        api = self.api
        if api.paging == "none" or not items:
            return False
        if api.paging == "offset":
            return self._after_offset(body, items)
        if api.paging == "page":
            return self._after_page(body, items)
        nxt = self._after_cursor(body) if api.paging == "cursor" else self._after_link(links)
        if nxt is None:
            return False
        if nxt in self.seen:
            raise ReadError(f"{self.where}: {api.url} sent the same next page ({nxt}) twice; stopped")
        self.seen.add(nxt)
        return True

    def _total(self, body: Any) -> Any:
        return dig(body, self.api.total_path) if self.api.total_path else None

    def _after_offset(self, body: Any, items: list[Any]) -> bool:
        total = self._total(body)
        self.offset += len(items)
        return not (len(items) < self.size or (isinstance(total, int) and self.offset >= total))

    def _after_page(self, body: Any, items: list[Any]) -> bool:
        total = self._total(body)
        if len(items) < self.size or (
            isinstance(total, int) and (self.page_no - self.first_page + 1) * self.size >= total
        ):
            return False
        self.page_no += 1
        return True

    def _after_cursor(self, body: Any) -> str | None:
        """The next cursor, or the next page's whole address; None when there is none."""
        assert self.api.cursor_path is not None  # resolved() refuses cursor paging without it
        cursor = dig(body, self.api.cursor_path)
        if cursor in (None, ""):
            return None
        self.cursor = str(cursor)
        self.url = self.cursor if self.cursor.startswith(("http://", "https://")) else self.api.url
        return self.cursor

    def _after_link(self, links: Links) -> str | None:
        """The next page's address in the Link header; None when there is none."""
        nxt = links.get("next", {}).get("url")
        if not nxt:
            return None
        self.url = nxt
        return nxt


def _page(session: Session, url: str, paging: dict[str, Any], ask_from: Watermark | None) -> tuple[Any, Links]:
    """One page's JSON and its links."""
    api = session.api
    assert api.method is not None  # resolved() fills it in
    params: dict[str, str] = {}
    body = dict(api.body) if api.method == "POST" else None
    if url == api.url:
        extra = dict(paging)
        if api.modified_since_param and ask_from is not None:
            extra[api.modified_since_param] = http_time(dt.datetime.fromisoformat(ask_from.value))
        params = dict(api.params)
        if api.paging_in == "body":
            body = {**(body or {}), **extra}
        else:
            params |= {k: str(v) for k, v in extra.items()}
    response = session.send(api.method, url, params=params, json_body=body)
    links = response.links
    try:
        return response.json(), links
    except ValueError as e:
        raise ReadError(
            f"{session.where}: {api.method} {url} did not answer JSON ({e}): {response.text[:200]!r}"
        ) from None
