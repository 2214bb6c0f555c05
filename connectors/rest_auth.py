"""The REST connector's credentials: an OAuth2 client-credentials token, or an API key.

Secrets come from environment variables named in the config, read when they are first needed.
A token is kept until shortly before it expires, and forgotten when the server refuses it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import httpx

from connectors.base import ReadError
from connectors.config import Api

TOKEN_MARGIN_SECONDS = 30  # a token this close to its expiry is renewed first
REFUSED = ("invalid_client", "unauthorized_client", "invalid_grant")  # OAuth2's words for refused credentials

# Posts a form to an address without credentials (the token request), with the pull's retries and pace.
PostForm = Callable[[str, dict[str, str]], httpx.Response]


def secret(variable: str, where: str, what: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        raise ReadError(f"{where}: environment variable {variable} is not set (it holds the {what})")
    return value


class Credentials:
    """A source's credentials, added to each request; an OAuth2 token is asked for through `post_form`."""

    def __init__(self, api: Api, where: str, clock: Callable[[], float], post_form: PostForm) -> None:
        self.api, self.where = api, where
        self.clock, self.post_form = clock, post_form
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)

    def forget_token(self) -> None:
        """The server refused the token (it may have run out early): the next request asks for a new one."""
        self._token = None

    def authorise(self, headers: dict[str, str], query: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """The request's headers and query with the credentials added."""
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

    def hint(self) -> str:
        """What to check when the server refuses the credentials."""
        if self.api.oauth2:
            return f": check {self.api.oauth2.client_id_env} and {self.api.oauth2.client_secret_env}"
        if self.api.api_key:
            return f": check {self.api.api_key.key_env}"
        return ": the source has no credentials configured (oauth2 or api_key)"

    def token(self) -> str:
        """An OAuth2 access token by the client-credentials grant, kept until shortly before it expires."""
        if self._token and self._token[1] > self.clock() + TOKEN_MARGIN_SECONDS:
            return self._token[0]
        o = self.api.oauth2
        assert o is not None  # asked for only when the source has oauth2
        form = {
            "grant_type": "client_credentials",
            "client_id": secret(o.client_id_env, self.where, "OAuth2 client id"),
            "client_secret": secret(o.client_secret_env, self.where, "OAuth2 client secret"),
        }
        if o.scope:
            form["scope"] = o.scope
        response = self.post_form(o.token_url, form)
        try:
            body = response.json()
            access, expires = body["access_token"], float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ReadError(f"{self.where}: {o.token_url} gave no access_token: {response.text[:200]!r}") from None
        self._token = (access, self.clock() + expires)
        return access


def oauth_error(response: httpx.Response) -> str | None:
    """The OAuth2 error an answer names (`invalid_client`, ...), if it is JSON that names one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None
