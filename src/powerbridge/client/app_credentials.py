"""Keystone v3 application credentials: what a service makes so a job runs as its user.

```python
async with AppCredentials(config) as keystone:
    made = await keystone.create(user_token, user_id, name="portal-job-12", expires_at=later)
    ...                                    # the job authenticates with made.id / made.secret
    await keystone.delete(other_token, user_id, made.id)      # the owner's or an admin's token
```
A credential is restricted (Keystone's default): a token got with it can neither make nor
delete application credentials or trusts, so deleting it needs a token of its owner got
otherwise (a password or token sign-in) or an administrator's. It cannot outlive the
`expires_at` it is made with, nor widen its owner's roles in the project (`roles` may only
narrow them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from powerbridge.client.signin import Keystone

__all__ = ["AppCredential", "AppCredentials"]


@dataclass(frozen=True)
class AppCredential:
    id: str
    name: str
    user_id: str
    project_id: str | None
    secret: str
    expires_at: datetime | None

    def __repr__(self) -> str:  # never the secret, in a log or a traceback
        return f"AppCredential(id={self.id!r}, name={self.name!r}, user_id={self.user_id!r})"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parsed(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class AppCredentials(Keystone):
    """Making and deleting a user's application credentials (`/v3/users/{id}/...`)."""

    async def __aenter__(self) -> AppCredentials:
        return self

    def _url(self, user_id: str, credential_id: str | None = None) -> str:
        base = f"{self.tokens.removesuffix('/auth/tokens')}/users/{user_id}/application_credentials"
        return f"{base}/{credential_id}" if credential_id else base

    async def create(
        self,
        token: str,
        user_id: str,
        *,
        name: str,
        expires_at: datetime,
        roles: Sequence[str] = (),
        description: str = "",
    ) -> AppCredential:
        """A restricted credential of the token's project; `roles` (names) narrow it to
        those of the user's roles there (none given: all of them)."""
        entity: dict[str, Any] = {
            "name": name,
            "description": description,
            "expires_at": _iso(expires_at),
            "unrestricted": False,
        }
        if roles:
            entity["roles"] = [{"name": role} for role in roles]
        response = await self._send(
            "POST",
            self._url(user_id),
            json={"application_credential": entity},
            headers={"X-Auth-Token": token},
            hint="sign in again: the token expired or was revoked",
        )
        made = response.json()["application_credential"]
        return AppCredential(
            id=str(made["id"]),
            name=str(made["name"]),
            user_id=user_id,
            project_id=made.get("project_id"),
            secret=str(made["secret"]),
            expires_at=_parsed(made.get("expires_at")),
        )

    async def delete(self, token: str, user_id: str, credential_id: str) -> None:
        """Delete it; one already gone (404) is no error."""
        await self._send(
            "DELETE",
            self._url(user_id, credential_id),
            headers={"X-Auth-Token": token},
            expected=(204, 404),
        )
