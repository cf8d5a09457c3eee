"""Flavor updates: only the description, and any other body is nova's 400 (fuzzing found a
500 for `{"flavor": true}`)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.emulator.conftest import COMPUTE

V255 = {"OpenStack-API-Version": "compute 2.55"}


@pytest.fixture
def flavor_id(admin: TestClient) -> str:
    body = {"flavor": {"name": "fz", "ram": 2048, "vcpus": 1, "disk": 1}}
    response = admin.post(f"{COMPUTE}/flavors", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["flavor"]["id"])


def test_description_update(admin: TestClient, flavor_id: str) -> None:
    body = {"flavor": {"description": "for tests"}}
    response = admin.put(f"{COMPUTE}/flavors/{flavor_id}", json=body, headers=V255)
    assert response.status_code == 200, response.text
    assert response.json()["flavor"]["description"] == "for tests"


@pytest.mark.parametrize(
    "body",
    [
        {"flavor": True},
        {"flavor": [1]},
        {"flavor": {"description": 5}},
        {"flavor": {"name": "x"}},
        {"flavour": {}},
        [],
    ],
)
def test_other_bodies_are_400(admin: TestClient, flavor_id: str, body: Any) -> None:
    response = admin.put(f"{COMPUTE}/flavors/{flavor_id}", json=body, headers=V255)
    assert response.status_code == 400, response.text
    assert response.json()["badRequest"]["code"] == 400
