"""Signing a person in with Keystone v3, the way a web portal does it.

```python
keystone = Keystone(config)           # the cloud's auth URL, CA bundle and timeout
unscoped = await keystone.password("alice", "secret", domain="Default")
projects = await keystone.projects(unscoped.value)
token = await keystone.rescope(unscoped.value, projects[0].id)   # roles of that project
same = await keystone.validate(token.value)                      # an API client's token
await keystone.revoke(token.value)                               # sign-out
```
A password yields an unscoped token (no project, no roles); a rescope (the `token` method)
gives a token of one project that keeps the first token's expiry. Failures are the client's
errors: `AuthenticationFailed` for a wrong password or a dead token, `TransportError` when
Keystone cannot be reached. `Session` with `auth_type="v3token"` then calls the services
with the user's token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from powerbridge import __version__
from powerbridge.client.config import CloudConfig
from powerbridge.client.errors import TransportError, http_error
from powerbridge.client.session import Token, _tls, parse_token, tokens_url

__all__ = ["Keystone", "Project"]

WRONG_PASSWORD = "check the user name, password and domain"


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    domain_id: str | None = None


class Keystone:
    """Sign-in calls on one cloud's Keystone; use it as an async context manager."""

    def __init__(self, config: CloudConfig, *, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self.tokens = tokens_url(config.auth_url)
        self._client = httpx.AsyncClient(
            transport=transport,
            verify=_tls(config),
            timeout=config.timeout,
            headers={"User-Agent": f"powerbridge/{__version__}", "Accept": "application/json"},
        )

    async def __aenter__(self) -> Keystone:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def password(self, user: str, password: str, *, domain: str = "Default") -> Token:
        """An unscoped token for `user` of `domain` (a name)."""
        who = {"name": user, "domain": {"name": domain}, "password": password}
        body = {
            "auth": {
                "identity": {"methods": ["password"], "password": {"user": who}},
                "scope": "unscoped",  # not the user's default project: the user picks one
            }
        }
        return await self._issue(body, WRONG_PASSWORD)

    async def rescope(self, token: str, project_id: str) -> Token:
        """A token of project `project_id` from `token`, with the user's roles there."""
        body = {
            "auth": {
                "identity": {"methods": ["token"], "token": {"id": token}},
                "scope": {"project": {"id": project_id}},
            }
        }
        return await self._issue(body, "sign in again: the token expired or was revoked")

    async def projects(self, token: str) -> list[Project]:
        """The projects the token's user may scope to, by name."""
        url = self.tokens.removesuffix("/tokens") + "/projects"
        response = await self._send("GET", url, headers={"X-Auth-Token": token})
        rows = response.json().get("projects") or []
        found = [Project(str(p["id"]), str(p["name"]), p.get("domain_id")) for p in rows]
        return sorted(found, key=lambda project: project.name)

    async def validate(self, token: str) -> Token:
        """What Keystone says of `token` (its user, project, roles, expiry); a token may
        always validate itself."""
        headers = {"X-Auth-Token": token, "X-Subject-Token": token}
        sent_at = time.time()
        response = await self._send("GET", self.tokens, headers=headers, hint="sign in again")
        return parse_token(token, response.json(), sent_at)

    async def revoke(self, token: str) -> None:
        """Revoke `token`; one already gone (404) is no error."""
        headers = {"X-Auth-Token": token, "X-Subject-Token": token}
        await self._send("DELETE", self.tokens, headers=headers, expected=(204, 404, 401))

    async def _issue(self, body: dict[str, Any], hint: str) -> Token:
        sent_at = time.time()
        response = await self._send("POST", self.tokens, json=body, hint=hint)
        return parse_token(response.headers.get("x-subject-token"), response.json(), sent_at)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        hint: str | None = None,
        expected: tuple[int, ...] = (),
        **options: Any,
    ) -> httpx.Response:
        try:
            response = await self._client.request(method, url, **options)
        except httpx.TransportError as problem:
            raise TransportError(
                str(problem) or type(problem).__name__,
                service="identity",
                method=method,
                url=url,
                hint="check the cloud's auth URL and that PowerVC is up",
            ) from None
        if response.status_code >= 400 and response.status_code not in expected:
            raise http_error(response, "identity", hint=hint)
        return response
