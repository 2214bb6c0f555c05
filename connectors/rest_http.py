"""The REST connector's requests: paced, retried, and sent with the source's credentials.

A 429 or 5xx answer, or a dropped connection, is retried with exponential backoff, waiting what
the server's `Retry-After` asks (up to `max_wait_seconds`); a `RateLimit-Remaining: 0` makes the
next request wait for the reset; `requests_per_second` caps our own pace. Refused credentials
are one clear error, never retried.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from connectors.base import ReadError
from connectors.config import Api
from connectors.rest_auth import REFUSED, Credentials, oauth_error


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


class Session:
    """Requests to one API, counted: `requests` sent (retries included), `retried`, `waited_seconds`."""

    def __init__(
        self,
        api: Api,
        where: str,
        *,
        client: httpx.Client,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        self.api, self.where = api, where
        self.client, self.sleep, self.clock = client, sleep, clock
        self.credentials = Credentials(api, where, clock, self._post_form)
        self.requests = 0  # requests sent, retries included
        self.retried = 0
        self.waited_seconds = 0.0
        self._next_at = 0.0  # the earliest monotonic time of the next request (our pace, the server's reset)

    def _post_form(self, url: str, form: dict[str, str]) -> httpx.Response:
        return self.send("POST", url, form=form, authorised=False)

    def send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
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
                headers, query = self.credentials.authorise(headers, query)
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
                self._wait(api.backoff_seconds * 2**attempt)
                attempt += 1
                continue
            code = response.status_code
            reset = rate_reset(response)
            if reset:
                self._next_at = max(self._next_at, self.clock() + min(reset, api.max_wait_seconds))
            if code == 401 and authorised and api.oauth2 and not renewed:
                self.credentials.forget_token()  # the token may have run out early: one new token
                renewed = True
                continue
            if code in (401, 403) or (not authorised and code == 400 and oauth_error(response) in REFUSED):
                raise ReadError(
                    f"{self.where}: {url} refused the credentials ({code} {response.reason_phrase})"
                    f"{self.credentials.hint()}{_detail(response)}"
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
                self._wait(asked if asked is not None else api.backoff_seconds * 2**attempt)
                attempt += 1
                continue
            if code >= 400:
                raise ReadError(
                    f"{self.where}: {method} {url} answered {code} {response.reason_phrase}{_detail(response)}"
                )
            return response

    def _wait(self, seconds: float) -> None:
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
