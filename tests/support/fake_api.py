"""A case system's JSON API on 127.0.0.1, for the REST connector's tests: every kind of paging, OAuth2 and
API keys, and failures on demand (429 with Retry-After, 5xx, rate-limit headers, a page that is not JSON).

The server keeps a log of the requests it answered, so a test can check what the connector asked.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeApi:
    records: list = field(default_factory=list)
    client_id: str = "vaerdistrom"
    client_secret: str = "hemmelig"
    api_key: str = "noegle-1"
    auth: str | None = None  # None | "bearer" | "api_key"
    token_uses: int | None = None  # a token is refused after this many uses (it "expired")
    fail_next: list = field(default_factory=list)  # (status, headers, body) answered before the next data pages
    log: list = field(default_factory=list)  # (method, path, query, json body, headers) of every request
    tokens_issued: int = 0
    headers_next: list = field(default_factory=list)  # extra headers of the next data pages, one dict a page

    def __post_init__(self) -> None:
        self._uses: dict[str, int] = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                api._handle(self, "GET")

            def do_POST(self) -> None:
                api._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --------------------------------------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        raw = h.rfile.read(int(h.headers.get("content-length") or 0))
        body = None
        if raw and h.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(raw)
        self.log.append((method, parts.path, query, body, dict(h.headers)))
        if parts.path == "/token":
            return self._token(h, {k: v[0] for k, v in parse_qs(raw.decode()).items()})
        if not self._authorised(h, query):
            return self._send(h, 401, {"error": "unauthorized", "message": "no valid credentials"})
        if self.fail_next:
            status, headers, payload = self.fail_next.pop(0)
            return self._send(h, status, payload, headers)
        since = query.get("modifiedSince") or (body or {}).get("modifiedSince")
        rows = [r for r in self.records if not since or not isinstance(r, dict) or r.get("modified", "") >= since]
        if parts.path == "/cases":  # page paging, the case list preset's shape
            page, size = int(query.get("page", 1)), int(query.get("pageSize", 100))
            return self._send(
                h, 200, {"items": rows[(page - 1) * size : page * size], "page": page, "totalCount": len(rows)}
            )
        if parts.path == "/offset":
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
            return self._send(h, 200, {"data": rows[offset : offset + limit], "total": len(rows)})
        if parts.path == "/cursor":
            start = int(query.get("cursor", "0"))
            nxt = start + 40 if start + 40 < len(rows) else None
            return self._send(
                h, 200, {"data": rows[start : start + 40], "meta": {"next": None if nxt is None else str(nxt)}}
            )
        if parts.path == "/link":
            page = int(query.get("p", 1))
            more = page * 30 < len(rows)
            link = {"Link": f'<{self.url}/link?p={page + 1}>; rel="next"'} if more else {}
            return self._send(h, 200, rows[(page - 1) * 30 : page * 30], link)
        if parts.path == "/search" and method == "POST":  # the search preset's shape
            skip, size = body.get("skip", 0), body.get("size", 100)
            return self._send(h, 200, {"results": rows[skip : skip + size], "total": len(rows)})
        if parts.path == "/broken":
            return self._send_raw(h, 200, b'{"items": [{"caseId": "A"', "application/json")
        return self._send(h, 404, {"error": "not_found"})

    def _token(self, h: BaseHTTPRequestHandler, form: dict) -> None:
        if form.get("grant_type") != "client_credentials":
            return self._send(h, 400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return self._send(h, 401, {"error": "invalid_client", "error_description": "unknown client or secret"})
        self.tokens_issued += 1
        token = f"tok-{self.tokens_issued}"
        self._uses[token] = 0
        return self._send(h, 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _authorised(self, h: BaseHTTPRequestHandler, query: dict) -> bool:
        if self.auth == "api_key":
            return h.headers.get("X-API-Key") == self.api_key or query.get("api_key") == self.api_key
        if self.auth == "bearer":
            token = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
            if token not in self._uses:
                return False
            self._uses[token] += 1
            if self.token_uses is not None and self._uses[token] > self.token_uses:
                del self._uses[token]
                return False
        return True

    def _send(self, h: BaseHTTPRequestHandler, status: int, payload, headers: dict | None = None) -> None:
        if status == 200 and self.headers_next:
            headers = {**(headers or {}), **self.headers_next.pop(0)}
        self._send_raw(h, status, json.dumps(payload).encode(), "application/json", headers)

    def _send_raw(
        self, h: BaseHTTPRequestHandler, status: int, data: bytes, kind: str, headers: dict | None = None
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)
