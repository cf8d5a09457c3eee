"""An authenticated httpx client for acceptance tests against an emulator under uvicorn: each
service found in the token's catalog, deploys and clock advances in one call."""

from __future__ import annotations

from typing import Any

import httpx

from powerbridge.emulator.server import RunningEmulator

IDENTITY = "/powervc/openstack/identity/v3"
ADMIN_API = "/powervc/emulator/v1"


class Cloud:
    """An authenticated httpx client that finds each service in the token's catalog."""

    def __init__(self, running: RunningEmulator) -> None:
        self.running = running
        self.http = httpx.Client(base_url=running.base_url, timeout=20, trust_env=False)
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "root",
                            "domain": {"name": "Default"},
                            "password": "passw0rd",
                        }
                    },
                },
                "scope": {"project": {"name": "ibm-default", "domain": {"name": "Default"}}},
            }
        }
        token = self.http.post(f"{IDENTITY}/auth/tokens", json=body)
        assert token.status_code == 201, token.text
        self.http.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        self.urls = {
            entry["type"]: next(e["url"] for e in entry["endpoints"] if e["interface"] == "public")
            for entry in token.json()["token"]["catalog"]
        }

    def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, self.urls[service] + path, **kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, ADMIN_API + path, **kwargs)

    def first_id(self, service: str, path: str, key: str) -> str:
        response = self.call("GET", service, path)
        assert response.status_code == 200, response.text
        return str(response.json()[key][0]["id"])

    def deploy(self, name: str, **extra: Any) -> httpx.Response:
        flavors = self.call("GET", "compute", "/flavors").json()["flavors"]
        body = {
            "server": {
                "name": name,
                "imageRef": self.first_id("image", "/v2/images?name=PowerHA713", "images"),
                "flavorRef": next(f["id"] for f in flavors if f["name"] == "powervm.tiny"),
                "networks": [
                    {"uuid": self.first_id("network", "/v2.0/networks?name=cmbnet1", "networks")}
                ],
                **extra,
            }
        }
        response = self.call("POST", "compute", "/servers", json=body)
        assert response.status_code == 202, response.text
        return response

    def server(self, server_id: str) -> dict[str, Any]:
        response = self.call("GET", "compute", f"/servers/{server_id}")
        assert response.status_code == 200, response.text
        return dict(response.json()["server"])

    def advance(self, seconds: float) -> None:
        response = self.admin("POST", "/clock", json={"advance": seconds})
        assert response.status_code == 200, response.text
