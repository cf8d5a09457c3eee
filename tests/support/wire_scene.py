"""What every part of the wire scenario shares: the wire, the admin's ids, the estate's
essentials, and the service URL roots in PowerVC's proxied form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.wire_session import Wire

PROXY = "/powervc/openstack"
IDENTITY = f"{PROXY}/identity/v3"
COMPUTE = f"{PROXY}/compute/v2.1"
IMAGE = f"{PROXY}/image/v2"
NETWORK = f"{PROXY}/network/v2.0"
EMULATOR = "/powervc/emulator/v1"
NOVA_LATEST = {"openstack-api-version": "compute 2.60"}
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPu6ABt2uCXgbTHYqOYcvZSYyDgmVIYpvBQMa6nSVZ0d wire"


@dataclass
class Scene:
    wire: Wire
    project_id: str = ""
    user_id: str = ""
    ids: dict[str, str] = field(default_factory=dict)

    def send(self, method: str, path: str, body: Any = None, **options: Any) -> httpx.Response:
        return self.wire.send(method, path, body, **options)

    def get(self, path: str, **options: Any) -> Any:
        return self.ok(self.send("GET", path, **options))

    def post(self, path: str, body: Any = None, **options: Any) -> Any:
        return self.ok(self.send("POST", path, body, **options))

    def put(self, path: str, body: Any = None, **options: Any) -> Any:
        return self.ok(self.send("PUT", path, body, **options))

    def delete(self, path: str, **options: Any) -> Any:
        return self.ok(self.send("DELETE", path, **options))

    @staticmethod
    def ok(response: httpx.Response) -> Any:
        """The JSON body of a success; a failure stops the scenario (the wire would be the
        recording of a broken scenario, not of the emulator)."""
        if response.status_code >= 400:
            raise AssertionError(
                f"{response.request.method} {response.request.url.path} -> "
                f"{response.status_code}: {response.text[:500]}"
            )
        return response.json() if "json" in response.headers.get("content-type", "") else None

    def volume_root(self, version: str = "v3") -> str:
        return f"{PROXY}/volume/{version}/{self.project_id}"


def password_auth(user: str, password: str, project: str) -> dict[str, Any]:
    domain = {"name": "Default"}
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": user, "domain": domain, "password": password}},
            },
            "scope": {"project": {"name": project, "domain": domain}},
        }
    }
