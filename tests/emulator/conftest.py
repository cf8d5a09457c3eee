"""Fixtures: an in-memory emulator (instant clock) mounted in-process, and admin auth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator

IDENTITY = "/powervc/openstack/identity/v3"
COMPUTE = "/powervc/openstack/compute/v2.1"
IMAGE = "/powervc/openstack/image/v2"
NETWORK = "/powervc/openstack/network/v2.0"
VOLUME = "/powervc/openstack/volume/v3"


def password_auth(
    user: str = "root", password: str = "passw0rd", project: str = "ibm-default"
) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"name": "Default"}, "password": password}
                },
            },
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }
    }


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    instance = Emulator(EmulatorConfig(data_dir=None, log_dir=tmp_path / "logs"))
    yield instance
    instance.close()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[TestClient]:
    with TestClient(create_app(emulator), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def admin_token(client: TestClient) -> str:
    response = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
    assert response.status_code == 201, response.text
    return str(response.headers["x-subject-token"])


@pytest.fixture
def project_id(client: TestClient, admin_token: str) -> str:
    response = client.get(f"{IDENTITY}/auth/projects", headers={"X-Auth-Token": admin_token})
    return str(response.json()["projects"][0]["id"])


@pytest.fixture
def admin(client: TestClient, admin_token: str) -> TestClient:
    """The test client with the admin token on every request."""
    client.headers["X-Auth-Token"] = admin_token
    return client
