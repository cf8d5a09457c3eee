"""Fixtures: an in-memory emulator (instant clock) mounted in-process, and admin auth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import IDENTITY, password_auth


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
