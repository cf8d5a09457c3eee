"""Nova key pairs: the SSH public keys new servers are deployed with (`key_name`).

`Compute` offers these calls (`compute.create_keypair(name, public_key)`); they live here to
keep compute.py about servers and templates. A key pair is the caller's (nova keys them by
user); `fingerprint` is nova's: MD5 of the key blob, colon hex.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from powerbridge.client import _resource
from powerbridge.client._records import WireRecord
from powerbridge.client.session import Session

__all__ = ["KeyPair", "KeyPairCalls"]

SERVICE = "compute"
PATH = "/os-keypairs"
KEYPAIR_MICROVERSION = "2.2"  # `type`, 201 on create: every PowerVC 2.x offers it


@dataclass(frozen=True)
class KeyPair(WireRecord):
    name: str
    fingerprint: str = ""
    public_key: str = ""
    type: str = "ssh"


class KeyPairCalls:
    """`/os-keypairs`, mixed into `Compute`."""

    session: Session

    async def keypairs(self) -> list[KeyPair]:
        body = await _resource.get_json(
            self.session, SERVICE, PATH, microversion=KEYPAIR_MICROVERSION
        )
        rows = body.get("keypairs") or []
        return [KeyPair.from_wire(_inner(row)) for row in rows if isinstance(row, dict)]

    async def keypair(self, name: str) -> KeyPair:
        """The key pair `name`; NotFound when there is none."""
        path = _resource.item_path(PATH, name)
        body = await _resource.get_json(
            self.session, SERVICE, path, microversion=KEYPAIR_MICROVERSION
        )
        return KeyPair.from_wire(_inner(body))

    async def create_keypair(self, name: str, public_key: str) -> KeyPair:
        """Import `public_key` (an OpenSSH public key line) as key pair `name`."""
        response = await self.session.request(
            SERVICE,
            "POST",
            PATH,
            json={"keypair": {"name": name, "public_key": public_key.strip(), "type": "ssh"}},
            microversion=KEYPAIR_MICROVERSION,
            idempotent=False,
        )
        return KeyPair.from_wire(_inner(response.json()))

    async def delete_keypair(self, name: str) -> None:
        await self.session.request(
            SERVICE,
            "DELETE",
            _resource.item_path(PATH, name),
            microversion=KEYPAIR_MICROVERSION,
        )


def _inner(body: Any) -> dict[str, Any]:
    found = body.get("keypair") if isinstance(body, dict) else None
    return found if isinstance(found, dict) else {}
