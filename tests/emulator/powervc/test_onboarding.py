"""PowerVC's onboarding over HTTP: the default estate's unmanaged LPAR `legacy-aix1` (two
volumes on xiv90) and the loose volume `orphan-lun7` (svc82) are listed, onboarded into nova
and cinder, unmanaged again (they leave nova and cinder, the host and provider keep them) and
onboarded once more; bad requests are one-line refusals."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.emulator_http import COMPUTE, IDENTITY, P8A, P9, VOLUME, hypervisor, provision


def all_servers(client: TestClient, host: str = P8A) -> list[dict[str, Any]]:
    response = client.get(f"{COMPUTE}/os-hosts/{host}/all-servers")
    assert response.status_code == 200, response.text
    return list(response.json()["servers"])


def legacy(client: TestClient) -> dict[str, Any]:
    return next(row for row in all_servers(client) if row["lpar_name"] == "legacy-aix1")


@pytest.fixture
def cinder(project_id: str) -> str:
    return f"{VOLUME}/{project_id}"


def volumes_named(client: TestClient, cinder: str, prefix: str) -> list[dict[str, Any]]:
    rows = client.get(f"{cinder}/volumes/detail?all_tenants=1").json()["volumes"]
    return [v for v in rows if (v["name"] or "").startswith(prefix)]


def test_an_unmanaged_lpar_is_listed_on_its_host_and_nowhere_in_nova(
    admin: TestClient, cinder: str
) -> None:
    row = legacy(admin)
    assert row["managed"] is False
    assert row["state"] == "ACTIVE"
    assert row["host"] == P8A
    assert (row["memory_mb"], row["vcpus"], row["proc_units"]) == (8192, 2, "1.0")
    assert len(row["volumes"]) == 2
    assert admin.get(f"{COMPUTE}/servers/{row['id']}").status_code == 404
    assert volumes_named(admin, cinder, "legacy-aix1") == []
    assert not [r for r in all_servers(admin, P9) if r["lpar_name"] == "legacy-aix1"]


def test_onboard_then_unmanage_then_onboard_again(admin: TestClient, cinder: str) -> None:
    row = legacy(admin)
    before = hypervisor(admin, P8A)["memory_mb_used"]
    body = {"synchronous": "false", "servers": [row["id"]], "preparation": {"servers": []}}
    answer = admin.post(f"{COMPUTE}/os-hosts/{P8A}/onboard", json=body)
    assert answer.status_code == 202, answer.text
    assert answer.json()["servers"][0]["id"] == row["id"]
    server = admin.get(f"{COMPUTE}/servers/{row['id']}").json()["server"]
    assert server["status"] == "ACTIVE"
    assert server["name"] == "legacy-aix1"
    assert server["OS-EXT-SRV-ATTR:host"] == P8A
    assert server["OS-EXT-SRV-ATTR:instance_name"] == "legacy-aix1"
    assert sorted(a["id"] for a in server["os-extended-volumes:volumes_attached"]) == sorted(
        row["volumes"]
    )
    assert hypervisor(admin, P8A)["memory_mb_used"] == before + 8192
    volumes = volumes_named(admin, cinder, "legacy-aix1")
    assert {v["status"] for v in volumes} == {"in-use"}
    assert len(volumes) == 2
    assert legacy(admin)["managed"] is True

    answer = admin.post(f"{COMPUTE}/os-hosts/{P8A}/unmanage", json={"servers": [row["id"]]})
    assert answer.status_code == 202, answer.text
    assert admin.get(f"{COMPUTE}/servers/{row['id']}").status_code == 404
    assert volumes_named(admin, cinder, "legacy-aix1") == []
    assert hypervisor(admin, P8A)["memory_mb_used"] == before
    again = legacy(admin)
    assert again["managed"] is False
    assert sorted(again["volumes"]) == sorted(row["volumes"])

    answer = admin.post(f"{COMPUTE}/os-hosts/{P8A}/onboard", json={"servers": [row["id"]]})
    assert answer.status_code == 202, answer.text
    assert admin.get(f"{COMPUTE}/servers/{row['id']}").status_code == 200


def test_a_deployed_vm_unmanaged_keeps_its_lpar_on_the_host(admin: TestClient) -> None:
    from tests.support.emulator_http import deploy, inventory

    server_id = deploy(admin, inventory(admin), "keeper", availability_zone=f":{P9}")
    lpar = admin.get(f"{COMPUTE}/servers/{server_id}").json()["server"]
    answer = admin.post(f"{COMPUTE}/os-hosts/{P9}/unmanage", json={"servers": [server_id]})
    assert answer.status_code == 202, answer.text
    assert admin.get(f"{COMPUTE}/servers/{server_id}").status_code == 404
    ports = admin.get(f"/powervc/openstack/network/v2.0/ports?device_id={server_id}").json()
    assert ports["ports"] == []
    row = next(r for r in all_servers(admin, P9) if r["id"] == server_id)
    assert row["managed"] is False
    assert row["name"] == "keeper"
    assert row["lpar_name"] == lpar["OS-EXT-SRV-ATTR:instance_name"]
    assert hypervisor(admin, P9)["memory_mb_used"] == 0


def test_cinder_onboards_and_unmanages_a_loose_volume(admin: TestClient, cinder: str) -> None:
    listed = admin.get(f"{cinder}/os-hosts/svc82/all-volumes").json()["volumes"]
    orphan = next(v for v in listed if v["name"] == "orphan-lun7")
    answer = admin.post(f"{cinder}/os-hosts/svc82@svc82/onboard", json={"volumes": [orphan["id"]]})
    assert answer.status_code == 202, answer.text
    volume = admin.get(f"{cinder}/volumes/{orphan['id']}").json()["volume"]
    assert (volume["status"], volume["size"], volume["name"]) == ("available", 10, "orphan-lun7")
    answer = admin.post(f"{cinder}/os-hosts/svc82/unmanage", json={"volumes": [orphan["id"]]})
    assert answer.status_code == 202, answer.text
    assert admin.get(f"{cinder}/volumes/{orphan['id']}").status_code == 404
    listed = admin.get(f"{cinder}/os-hosts/svc82/all-volumes").json()["volumes"]
    assert orphan["id"] in [v["id"] for v in listed]


def test_an_lpars_volume_onboards_only_with_its_vm(admin: TestClient, cinder: str) -> None:
    volume_id = legacy(admin)["volumes"][0]
    answer = admin.post(f"{cinder}/os-hosts/xiv90/onboard", json={"volumes": [volume_id]})
    assert answer.status_code == 409
    assert "onboard the virtual machine" in answer.json()["conflictingRequest"]["message"]


def test_bad_requests_are_refused_and_change_nothing(admin: TestClient) -> None:
    row = legacy(admin)
    cases = [
        ("/os-hosts/no-such-host/onboard", {"servers": [row["id"]]}, 404),
        (f"/os-hosts/{P9}/onboard", {"servers": [row["id"]]}, 404),  # it lives on P8A
        (f"/os-hosts/{P8A}/onboard", {"servers": [row["id"], "nope"]}, 404),
        (f"/os-hosts/{P8A}/onboard", {"servers": []}, 400),
        (f"/os-hosts/{P8A}/onboard", {"server": [row["id"]]}, 400),
        (f"/os-hosts/{P8A}/unmanage", {"servers": [row["id"]]}, 404),  # not managed
    ]
    for path, body, status in cases:
        answer = admin.post(f"{COMPUTE}{path}", json=body)
        assert answer.status_code == status, (path, body, answer.text)
    assert legacy(admin)["managed"] is False


def test_only_an_admin_onboards(admin: TestClient, admin_token: str) -> None:
    member = provision(admin, admin_token, "ibm-default", "onboarder", role="member")
    for method, path in (
        ("GET", f"/os-hosts/{P8A}/all-servers"),
        ("POST", f"/os-hosts/{P8A}/onboard"),
        ("POST", f"/os-hosts/{P8A}/unmanage"),
    ):
        body = {"servers": [legacy(admin)["id"]]} if method == "POST" else None
        answer = admin.request(
            method, f"{COMPUTE}{path}", json=body, headers={"X-Auth-Token": member.token}
        )
        assert answer.status_code == 403, answer.text
        assert "Policy doesn't allow os_compute_api:os-hosts:" in answer.text
    assert IDENTITY  # the identity root the member signed in at
