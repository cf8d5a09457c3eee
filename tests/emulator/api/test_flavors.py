"""Flavor updates: only the description, and any other body is nova's 400 (fuzzing found a
500 for `{"flavor": true}`); processing units as PowerVM takes them (0.01 steps, 0.05 to 1.0
per virtual processor) on a flavor create, an extra-spec change and an inline-flavor deploy."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.emulator_http import (
    COMPUTE,
    P9,
    hypervisor,
    inventory,
    provision,
    server_body,
    show,
)

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


# -- processing units ---------------------------------------------------------------------------

THREE_HUNDREDTHS = (
    "The 'Desired Processing Units' value 0.03 is below 0.05 per virtual processor (1)."
)


def units_flavor(name: str, proc_units: str, vcpus: int = 1) -> dict[str, Any]:
    specs = {"powervm:proc_units": proc_units}
    return {"name": name, "ram": 2048, "vcpus": vcpus, "disk": 10, "extra_specs": specs}


def create_with_specs(admin: TestClient, flavor: dict[str, Any]) -> Any:
    """Nova's two calls: the flavor, then its extra specs (what `openstack flavor create
    --property` sends)."""
    specs = flavor.pop("extra_specs")
    created = admin.post(f"{COMPUTE}/flavors", json={"flavor": flavor})
    assert created.status_code == 200, created.text
    flavor_id = created.json()["flavor"]["id"]
    return admin.post(f"{COMPUTE}/flavors/{flavor_id}/os-extra_specs", json={"extra_specs": specs})


def test_hundredths_of_a_unit_over_one_processor_are_accepted(admin: TestClient) -> None:
    response = create_with_specs(admin, units_flavor("pu037", "0.37"))
    assert response.status_code == 200, response.text
    assert response.json() == {"extra_specs": {"powervm:proc_units": "0.37"}}


@pytest.mark.parametrize(
    ("proc_units", "vcpus", "message"),
    [
        ("0.03", 1, THREE_HUNDREDTHS),
        ("0.06", 2, THREE_HUNDREDTHS.replace("0.03", "0.06").replace("(1)", "(2)")),
        ("0.375", 1, "The 'Desired Processing Units' value 0.375 is not a multiple of 0.01."),
    ],
)
def test_units_breaking_the_powervm_rule_are_refused_with_its_wording(
    admin: TestClient, proc_units: str, vcpus: int, message: str
) -> None:
    response = create_with_specs(admin, units_flavor("pu-bad", proc_units, vcpus))
    assert response.status_code == 400, response.text
    assert response.json() == {"badRequest": {"code": 400, "message": message}}
    flavors = admin.get(f"{COMPUTE}/flavors?is_public=None").json()["flavors"]
    created = next(f for f in flavors if f["name"] == "pu-bad")
    specs = admin.get(f"{COMPUTE}/flavors/{created['id']}/os-extra_specs").json()
    assert specs == {"extra_specs": {}}  # the refused change left nothing behind


def inline_deploy(admin: TestClient, name: str, proc_units: str) -> dict[str, Any]:
    """A deploy with PowerVC's inline `flavor` (no name): accepted, then judged by the rules."""
    body = server_body(inventory(admin), name, availability_zone=f":{P9}")
    flavor = units_flavor(name, proc_units)
    del flavor["name"]
    body["server"]["flavor"] = flavor
    del body["server"]["flavorRef"]
    response = admin.post(f"{COMPUTE}/servers", json=body)
    assert response.status_code == 202, response.text
    return show(admin, response.json()["server"]["id"])


def test_inline_flavor_deploys_claim_hundredths_or_fail_with_the_rule(admin: TestClient) -> None:
    assert inline_deploy(admin, "pu-good", "0.37")["status"] == "ACTIVE"
    assert hypervisor(admin, P9)["proc_units_used"] == "0.37"
    server = inline_deploy(admin, "pu-bad", "0.03")
    assert server["status"] == "ERROR"
    assert server["fault"]["message"] == THREE_HUNDREDTHS
    assert hypervisor(admin, P9)["proc_units_used"] == "0.37"  # the refused one claims nothing
