"""Flavor updates: only the description, and any other body is nova's 400 (fuzzing found a
500 for `{"flavor": true}`)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.emulator_http import COMPUTE, provision

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


def test_flavor_manage_refused_in_nova_policy_wording(
    client: TestClient, admin_token: str, flavor_id: str
) -> None:
    """A member's flavor create, update and delete get nova's policy 403, worded as every
    other nova 403 (`Policy doesn't allow <rule> to be performed.`), not keystone's."""
    member = provision(client, admin_token, "flavor-tests", "flavor-member")
    attempts = [
        ("POST", f"{COMPUTE}/flavors", {"flavor": {"name": "m", "ram": 1, "vcpus": 1, "disk": 1}}),
        ("PUT", f"{COMPUTE}/flavors/{flavor_id}", {"flavor": {"description": "x"}}),
        ("DELETE", f"{COMPUTE}/flavors/{flavor_id}", None),
    ]
    rules = ["create", "update", "delete"]
    for (method, url, body), rule in zip(attempts, rules, strict=True):
        headers = {**member.headers, **V255}
        response = client.request(method, url, json=body, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json() == {
            "forbidden": {
                "code": 403,
                "message": f"Policy doesn't allow os_compute_api:os-flavor-manage:{rule} "
                "to be performed.",
            }
        }
