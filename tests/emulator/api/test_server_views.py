"""Nova server bodies that tempest's schemas check: access addresses, multiple create with only
`min_count`, and the reduced bodies of update (PUT) and rebuild."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.backend.server_records import access_ip
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import (
    COMPUTE,
    IMAGE,
    deploy,
    inventory,
    provision,
    server_body,
    show,
)

MV = {"OpenStack-API-Version": "compute 2.60"}
# the server keys nova leaves out of update and rebuild bodies before 2.75
EXTENSIONS = {
    "key_name",
    "config_drive",
    "security_groups",
    "OS-EXT-AZ:availability_zone",
    "OS-EXT-STS:vm_state",
    "OS-EXT-STS:task_state",
    "OS-EXT-STS:power_state",
    "OS-SRV-USG:launched_at",
    "OS-SRV-USG:terminated_at",
    "os-extended-volumes:volumes_attached",
    "OS-EXT-SRV-ATTR:host",
    "OS-EXT-SRV-ATTR:instance_name",
    "OS-EXT-SRV-ATTR:hypervisor_hostname",
    "host_status",
}


@pytest.fixture
def ids(admin: TestClient) -> dict[str, str]:
    return inventory(admin)


def test_access_ip_is_canonical_or_refused() -> None:
    assert access_ip("0000:0000:0000:0000:0000:babe:220.12.22.2", 6) == "::babe:dc0c:1602"
    assert access_ip("1.1.1.1", 4) == "1.1.1.1"
    assert access_ip("", 6) == ""
    for text, version in (("notvalid", 6), ("1.1.1.1", 6), ("::1", 4), ("1.1.1", 4)):
        with pytest.raises(ApiError) as raised:
            access_ip(text, version)
        assert raised.value.status == 400
        assert f"'{text}' is not a 'ipv{version}'" in raised.value.message


def test_access_addresses_kept_from_create_and_update(
    admin: TestClient, ids: dict[str, str]
) -> None:
    v6 = "0000:0000:0000:0000:0000:babe:220.12.22.2"
    server_id = deploy(admin, ids, "reachable", accessIPv4="1.1.1.1", accessIPv6=v6)
    server = show(admin, server_id)
    assert (server["accessIPv4"], server["accessIPv6"]) == ("1.1.1.1", "::babe:dc0c:1602")
    body = {"server": {"accessIPv4": "4.3.2.1", "accessIPv6": "::babe:202:202"}}
    updated = admin.put(f"{COMPUTE}/servers/{server_id}", json=body)
    assert updated.status_code == 200, updated.text
    assert updated.json()["server"]["accessIPv4"] == "4.3.2.1"
    server = show(admin, server_id)
    assert (server["accessIPv4"], server["accessIPv6"]) == ("4.3.2.1", "::babe:202:202")
    assert deploy(admin, ids, "no-access")
    assert show(admin, deploy(admin, ids, "plain"))["accessIPv4"] == ""


@pytest.mark.parametrize("field", ["accessIPv4", "accessIPv6"])
def test_invalid_access_address_is_a_400_and_creates_nothing(
    admin: TestClient, ids: dict[str, str], field: str
) -> None:
    before = len(admin.get(f"{COMPUTE}/servers").json()["servers"])
    response = admin.post(f"{COMPUTE}/servers", json=server_body(ids, "bad", **{field: "x"}))
    assert response.status_code == 400
    fault = response.json()["badRequest"]
    assert fault["code"] == 400
    assert field in fault["message"]
    assert response.headers["x-openstack-request-id"].startswith("req-")
    assert len(admin.get(f"{COMPUTE}/servers").json()["servers"]) == before
    server_id = deploy(admin, ids, "good")
    refused = admin.put(f"{COMPUTE}/servers/{server_id}", json={"server": {field: "x"}})
    assert refused.status_code == 400
    assert show(admin, server_id)[field] == ""


def test_min_count_alone_creates_that_many(admin: TestClient, ids: dict[str, str]) -> None:
    response = admin.post(f"{COMPUTE}/servers", json=server_body(ids, "trio", min_count=3))
    assert response.status_code == 202, response.text
    names = sorted(s["name"] for s in admin.get(f"{COMPUTE}/servers?name=trio").json()["servers"])
    assert names == ["trio-1", "trio-2", "trio-3"]
    refused = admin.post(
        f"{COMPUTE}/servers", json=server_body(ids, "odd", min_count=3, max_count=2)
    )
    assert refused.status_code == 400
    assert refused.json()["badRequest"]["message"] == "min_count must be <= max_count"


def _reduced(body: dict[str, Any]) -> None:
    assert not EXTENSIONS & set(body), EXTENSIONS & set(body)
    for rows in body["addresses"].values():
        for row in rows:
            assert set(row) == {"version", "addr"}


def test_update_body_leaves_out_the_extensions(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "before")
    assert EXTENSIONS - {"host_status"} <= set(show(admin, server_id))
    response = admin.put(f"{COMPUTE}/servers/{server_id}", json={"server": {"name": "after"}})
    assert response.status_code == 200, response.text
    body = response.json()["server"]
    assert body["name"] == "after"
    assert body["addresses"]  # the port on cmbnet1, without type and MAC
    _reduced(body)
    later = admin.put(
        f"{COMPUTE}/servers/{server_id}", json={"server": {"name": "again"}}, headers=MV
    ).json()["server"]
    _reduced(later)
    assert later["locked"] is False
    assert "description" in later
    assert "tags" in later


def test_rebuild_body_is_reduced_with_key_name_from_2_54(
    admin: TestClient, ids: dict[str, str]
) -> None:
    server_id = deploy(admin, ids, "rebuilt", accessIPv4="1.1.1.1")
    aix = admin.get(f"{IMAGE}/images?name=AIX72").json()["images"][0]["id"]
    url = f"{COMPUTE}/servers/{server_id}/action"
    body = {"rebuild": {"imageRef": aix, "adminPass": "rebuildPassw0rd", "accessIPv4": "2.2.2.2"}}
    response = admin.post(url, json=body)
    assert response.status_code == 202, response.text
    server = response.json()["server"]
    _reduced(server)
    assert server["adminPass"] == "rebuildPassw0rd"
    assert server["accessIPv4"] == "2.2.2.2"
    assert show(admin, server_id)["accessIPv4"] == "2.2.2.2"
    later = admin.post(url, json={"rebuild": {"imageRef": aix}}, headers=MV).json()["server"]
    assert later["key_name"] is None
    assert later["user_data"] is None
    assert set(later) & EXTENSIONS == {"key_name"}
    bad = admin.post(url, json={"rebuild": {"imageRef": aix, "accessIPv6": "nope"}})
    assert bad.status_code == 400


def test_project_lists_come_from_the_project_index(
    admin: TestClient, admin_token: str, ids: dict[str, str], emulator: Emulator
) -> None:
    """Lists and usage read a per-project index: it follows creates, failed multiple creates
    (nothing kept) and deletes, and all_tenants still sees every project."""
    member = provision(admin, admin_token, "other-project", "other-member")
    mine = deploy(admin, ids, "mine")
    theirs = admin.post(
        f"{COMPUTE}/servers", json=server_body(ids, "theirs"), headers=member.headers
    ).json()["server"]["id"]
    taken = {"uuid": ids["network"], "fixed_ip": "192.168.100.77"}
    failed = admin.post(
        f"{COMPUTE}/servers", json=server_body(ids, "pair", networks=[taken], max_count=2)
    )
    assert failed.status_code >= 400  # the second would take the same fixed IP: none is kept

    def listed(**headers: str) -> set[str]:
        rows = admin.get(f"{COMPUTE}/servers", headers=headers).json()["servers"]
        return {row["id"] for row in rows}

    assert listed() == {mine}
    assert listed(**member.headers) == {theirs}
    everyone = admin.get(f"{COMPUTE}/servers?all_tenants=1").json()["servers"]
    assert {row["id"] for row in everyone} == {mine, theirs}
    assert emulator.compute.usage(member.project_id)["instances"] == 1
    assert admin.delete(f"{COMPUTE}/servers/{theirs}", headers=member.headers).status_code == 204
    assert listed(**member.headers) == set()
    assert emulator.compute.usage(member.project_id)["instances"] == 0
