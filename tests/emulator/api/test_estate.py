"""The Power estate over HTTP (in-process): hypervisors and their usage, host groups and zones,
placement policies, collocation rules, storage connectivity groups, maintenance mode, storage
providers, instance names."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.estate import load_estate
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import (
    COMPUTE,
    IDENTITY,
    P8A,
    P8B,
    P9,
    VOLUME,
    deploy,
    hypervisor,
    inventory,
    make_group,
    password_auth,
    server_body,
    show,
)

MV = {"OpenStack-API-Version": "compute 2.60"}


@pytest.fixture
def ids(admin: TestClient) -> dict[str, str]:
    return inventory(admin)


# -- hypervisors ----------------------------------------------------------------------------
def test_hypervisor_usage_rises_and_falls(admin: TestClient, ids: dict[str, str]) -> None:
    before = hypervisor(admin, P9)
    assert before["memory_mb"] == 1048576
    assert before["memory_mb_used"] == 0
    assert before["running_vms"] == 0
    server_id = deploy(admin, ids, "usage", availability_zone=f":{P9}")
    during = hypervisor(admin, P9)
    assert during["memory_mb_used"] == 4096
    assert during["free_ram_mb"] == 1048576 - 4096
    assert during["vcpus_used"] == 2
    assert during["running_vms"] == 1
    assert during["proc_units_used"] == "0.50"
    stats = admin.get(f"{COMPUTE}/os-hypervisors/statistics").json()["hypervisor_statistics"]
    assert stats["count"] == 3
    assert stats["running_vms"] == 1
    assert stats["memory_mb_used"] == 4096
    assert admin.delete(f"{COMPUTE}/servers/{server_id}").status_code == 204
    after = hypervisor(admin, P9)
    assert after["memory_mb_used"] == 0
    assert after["running_vms"] == 0
    assert after["proc_units_used"] == "0.00"


def test_hypervisor_bodies_follow_the_microversion(admin: TestClient) -> None:
    old = hypervisor(admin, P8A)
    assert old["id"] == 1
    assert isinstance(old["cpu_info"], str)
    assert old["service"] == {
        "host": P8A,
        "id": 1,
        "disabled_reason": None,
        "host_display_name": "p8-rack1-host1",
    }
    new = hypervisor(admin, P8A, **MV)
    assert isinstance(new["id"], str)
    assert len(new["id"]) == 36
    assert new["cpu_info"]["arch"] == "ppc64"
    shown = admin.get(f"{COMPUTE}/os-hypervisors/{new['id']}", headers=MV).json()["hypervisor"]
    assert shown["hypervisor_hostname"] == P8A
    assert admin.get(f"{COMPUTE}/os-hypervisors/1").json()["hypervisor"]["id"] == 1
    assert admin.get(f"{COMPUTE}/os-hypervisors/99").status_code == 404
    summary = admin.get(f"{COMPUTE}/os-hypervisors").json()["hypervisors"][0]
    assert set(summary) == {"id", "hypervisor_hostname", "state", "status"}


def test_powervc_fields_can_be_turned_off(admin: TestClient, emulator: Emulator) -> None:
    emulator.estate = dataclasses.replace(emulator.estate, hypervisor_powervc_fields=False)
    body = hypervisor(admin, P8A)
    assert "proc_units" not in body
    assert set(body["service"]) == {"host", "id", "disabled_reason"}


def test_hypervisor_listing_options(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "listed", availability_zone=f":{P8B}")
    url = f"{COMPUTE}/os-hypervisors?hypervisor_hostname_pattern=215A0C&with_servers=true"
    rows = admin.get(url, headers=MV).json()["hypervisors"]
    assert [r["hypervisor_hostname"] for r in rows] == [P8B]
    assert rows[0]["servers"] == [{"uuid": server_id, "name": "listed"}]
    missing = admin.get(f"{COMPUTE}/os-hypervisors?hypervisor_hostname_pattern=zz", headers=MV)
    assert missing.status_code == 404
    page = admin.get(f"{COMPUTE}/os-hypervisors?limit=2", headers=MV).json()
    assert len(page["hypervisors"]) == 2
    assert "hypervisors_links" in page
    search = admin.get(f"{COMPUTE}/os-hypervisors/8286/search").json()["hypervisors"]
    assert {r["hypervisor_hostname"] for r in search} == {P8A, P8B}
    servers = admin.get(f"{COMPUTE}/os-hypervisors/215A0C/servers").json()["hypervisors"]
    assert servers[0]["servers"][0]["uuid"] == server_id
    uptime = admin.get(f"{COMPUTE}/os-hypervisors/1/uptime").json()["hypervisor"]
    assert "up" in uptime["uptime"]
    hosts = admin.get(f"{COMPUTE}/os-hosts").json()["hosts"]
    assert {"host_name": P9, "service": "compute", "zone": "nova"} in hosts
    host = admin.get(f"{COMPUTE}/os-hosts/{P8B}").json()["host"]
    assert host[1]["resource"]["memory_mb"] == 4096


def test_hypervisors_are_for_admins(client: TestClient, admin_token: str) -> None:
    response = client.get(f"{COMPUTE}/os-hypervisors")
    assert response.status_code == 401
    admin = client.get(f"{COMPUTE}/os-hypervisors", headers={"X-Auth-Token": admin_token})
    assert admin.status_code == 200


# -- host groups, zones, policies -----------------------------------------------------------
def test_aggregates_are_host_groups(admin: TestClient) -> None:
    rows = admin.get(f"{COMPUTE}/os-aggregates").json()["aggregates"]
    assert [(r["name"], r["availability_zone"], r["hosts"]) for r in rows] == [
        ("Default Group", "nova", [P8A, P8B, P9])
    ]
    group_id = make_group(admin, "POWER9", "power9", P9, policy="packing")
    shown = admin.get(f"{COMPUTE}/os-aggregates/{group_id}", headers=MV).json()["aggregate"]
    assert shown["hosts"] == [P9]
    assert shown["metadata"] == {"placement_policy": "packing", "availability_zone": "power9"}
    assert "uuid" in shown
    default = admin.get(f"{COMPUTE}/os-aggregates/1").json()["aggregate"]
    assert default["hosts"] == [P8A, P8B]
    zones = admin.get(f"{COMPUTE}/os-availability-zone").json()["availabilityZoneInfo"]
    assert {z["zoneName"] for z in zones} == {"nova", "power9"}
    detail = admin.get(f"{COMPUTE}/os-availability-zone/detail").json()["availabilityZoneInfo"]
    power9 = next(z for z in detail if z["zoneName"] == "power9")
    assert list(power9["hosts"]) == [P9]
    renamed = admin.put(
        f"{COMPUTE}/os-aggregates/{group_id}", json={"aggregate": {"name": "P9 group"}}
    )
    assert renamed.json()["aggregate"]["name"] == "P9 group"
    bad = admin.post(f"{COMPUTE}/os-aggregates/{group_id}/action", json={"explode": {}})
    assert bad.status_code == 400
    busy = admin.delete(f"{COMPUTE}/os-aggregates/{group_id}")
    assert busy.status_code == 400
    remove = {"remove_host": {"host": P9}}
    assert admin.post(f"{COMPUTE}/os-aggregates/{group_id}/action", json=remove).status_code == 200
    assert admin.delete(f"{COMPUTE}/os-aggregates/{group_id}").status_code == 200
    assert admin.get(f"{COMPUTE}/os-aggregates/{group_id}").status_code == 404


def test_zone_and_host_forms_of_availability_zone(admin: TestClient, ids: dict[str, str]) -> None:
    make_group(admin, "POWER9", "power9", P9)
    in_zone = deploy(admin, ids, "z1", availability_zone="power9")
    assert show(admin, in_zone)["OS-EXT-SRV-ATTR:host"] == P9
    assert show(admin, in_zone)["OS-EXT-AZ:availability_zone"] == "power9"
    by_display = deploy(admin, ids, "z2", availability_zone=":p8-rack1-host2")
    assert show(admin, by_display)["OS-EXT-SRV-ATTR:host"] == P8B
    assert show(admin, by_display)["OS-EXT-AZ:availability_zone"] == "nova"
    outside = deploy(admin, ids, "z3", availability_zone=f"power9:{P8A}")
    server = show(admin, outside)
    assert server["status"] == "ERROR"
    assert server["fault"]["message"] == (
        f"No valid host was found. Host {P8A} is not in availability zone power9."
    )
    unknown = admin.post(
        f"{COMPUTE}/servers", json=server_body(ids, "z4", availability_zone="mars")
    )
    assert unknown.status_code == 400
    assert unknown.json()["badRequest"]["message"] == (
        "The requested availability zone is not available"
    )


def test_full_host_fault_is_logged_by_the_scheduler(
    admin: TestClient, ids: dict[str, str], emulator: Emulator
) -> None:
    flavor = {"ram": 600000, "vcpus": 1, "extra_specs": {"powervm:max_mem": "1048576"}}
    body = server_body(ids, "huge", availability_zone=f":{P8A}")
    body["server"].pop("flavorRef")
    body["server"]["flavor"] = flavor
    response = admin.post(f"{COMPUTE}/servers", json=body)
    server = show(admin, response.json()["server"]["id"])
    assert server["status"] == "ERROR"
    message = server["fault"]["message"]
    assert message.startswith("No valid host was found. Insufficient memory on host ")
    assert "600000 MB requested, 524288 MB free" in message
    log = (emulator.log_dir / "nova" / "nova-scheduler.log").read_text()
    assert response.headers["x-openstack-request-id"] in log
    assert "Insufficient memory on host" in log


def test_striping_and_packing(admin: TestClient, ids: dict[str, str]) -> None:
    spread = [deploy(admin, ids, f"s{n}") for n in range(6)]
    hosts = [show(admin, s)["OS-EXT-SRV-ATTR:host"] for s in spread]
    assert {h: hosts.count(h) for h in hosts} == {P8A: 2, P8B: 2, P9: 2}
    for server_id in spread:
        admin.delete(f"{COMPUTE}/servers/{server_id}")
    group = admin.get(f"{COMPUTE}/os-aggregates/1").json()["aggregate"]
    meta = {"set_metadata": {"metadata": {"placement_policy": "packing"}}}
    admin.post(f"{COMPUTE}/os-aggregates/{group['id']}/action", json=meta)
    packed = [deploy(admin, ids, f"p{n}") for n in range(4)]
    assert len({show(admin, s)["OS-EXT-SRV-ATTR:host"] for s in packed}) == 1


# -- collocation rules ----------------------------------------------------------------------
def test_anti_affinity_of_three_over_two_hosts(
    admin: TestClient, ids: dict[str, str], emulator: Emulator
) -> None:
    make_group(admin, "pair", "pair", P8A, P8B)
    group = admin.post(
        f"{COMPUTE}/os-server-groups",
        json={"server_group": {"name": "ha", "policies": ["anti-affinity"]}},
    ).json()["server_group"]
    hints = {"os:scheduler_hints": {"group": group["id"]}}
    made = []
    for n in range(3):
        body = {**server_body(ids, f"node{n}", availability_zone="pair"), **hints}
        response = admin.post(f"{COMPUTE}/servers", json=body)
        assert response.status_code == 202
        made.append(response.json()["server"]["id"])
    first, second, third = (show(admin, s) for s in made)
    assert {first["OS-EXT-SRV-ATTR:host"], second["OS-EXT-SRV-ATTR:host"]} == {P8A, P8B}
    assert third["status"] == "ERROR"
    assert third["fault"]["message"].startswith("No valid host was found. Collocation rule ha")
    assert "anti-affinity" in third["fault"]["message"]
    members = admin.get(f"{COMPUTE}/os-server-groups/{group['id']}").json()["server_group"]
    assert members["members"] == made
    assert "Collocation rule ha" in (emulator.log_dir / "nova" / "nova-scheduler.log").read_text()


def test_affinity_keeps_members_together(admin: TestClient, ids: dict[str, str]) -> None:
    group = admin.post(
        f"{COMPUTE}/os-server-groups",
        json={"server_group": {"name": "db", "policies": ["affinity"]}},
    ).json()["server_group"]
    hints = {"os:scheduler_hints": {"group": group["id"]}}
    made = [
        admin.post(f"{COMPUTE}/servers", json={**server_body(ids, f"db{n}"), **hints}).json()
        for n in range(3)
    ]
    hosts = {show(admin, m["server"]["id"])["OS-EXT-SRV-ATTR:host"] for m in made}
    assert len(hosts) == 1


def test_server_group_api(admin: TestClient, ids: dict[str, str]) -> None:
    soft = {"server_group": {"name": "web", "policies": ["soft-anti-affinity"]}}
    refused = admin.post(f"{COMPUTE}/os-server-groups", json=soft)
    assert refused.status_code == 400
    created = admin.post(
        f"{COMPUTE}/os-server-groups",
        json=soft,
        headers={"OpenStack-API-Version": "compute 2.15"},
    )
    assert created.status_code == 200
    group = created.json()["server_group"]
    assert group["policies"] == ["soft-anti-affinity"]
    assert group["project_id"]
    listed = admin.get(f"{COMPUTE}/os-server-groups").json()["server_groups"]
    assert [g["id"] for g in listed] == [group["id"]]
    assert set(listed[0]) == {"id", "name", "policies", "members", "metadata"}
    hints = {"os:scheduler_hints": {"group": "nope"}}
    unknown = admin.post(f"{COMPUTE}/servers", json={**server_body(ids, "x"), **hints})
    assert unknown.status_code == 400
    two = {"server_group": {"name": "x", "policies": ["affinity", "anti-affinity"]}}
    assert admin.post(f"{COMPUTE}/os-server-groups", json=two).status_code == 400
    assert admin.delete(f"{COMPUTE}/os-server-groups/{group['id']}").status_code == 204
    assert admin.get(f"{COMPUTE}/os-server-groups/{group['id']}").status_code == 404


# -- storage connectivity groups ------------------------------------------------------------
def scg_flavor(admin: TestClient, scg: str) -> str:
    body = {"flavor": {"name": f"scg-{scg[:8]}", "ram": 4096, "vcpus": 2, "disk": 20}}
    flavor_id = str(admin.post(f"{COMPUTE}/flavors", json=body).json()["flavor"]["id"])
    specs = {"extra_specs": {"powervm:storage_connectivity_group": scg}}
    assert (
        admin.post(f"{COMPUTE}/flavors/{flavor_id}/os-extra_specs", json=specs).status_code == 200
    )
    return flavor_id


def test_scg_api(admin: TestClient) -> None:
    listed = admin.get(f"{COMPUTE}/storage-connectivity-groups").json()
    names = [g["display_name"] for g in listed["storage_connectivity_groups"]]
    assert names == ["Any host, all VIOS", "rack1 NPIV"]
    body = {
        "storage_connectivity_group": {
            "display_name": "p9 only",
            "vios_ids": [f"{P9}##1", f"{P9}##2"],
            "auto_add_vios": "false",
            "enabled": "true",
            "vios_redundancy": "2",
            "boot_connectivity": ["npiv"],
            "data_connectivity": ["npiv"],
        }
    }
    created = admin.post(f"{COMPUTE}/storage-connectivity-groups", json=body)
    assert created.status_code == 200, created.text
    scg = created.json()["storage_connectivity_group"]
    assert scg["vios_redundancy"] == 2
    assert scg["auto_add_vios"] is False
    assert [h["name"] for h in scg["host_list"]] == [P9]
    assert scg["host_list"][0]["vios_list"][1] == {"id": f"{P9}##2", "name": "p9-rack2-host1-vios2"}
    update = {"storage_connectivity_group": {"enabled": False}}
    updated = admin.put(f"{COMPUTE}/storage-connectivity-groups/{scg['id']}", json=update)
    assert updated.json()["storage_connectivity_group"]["enabled"] is False
    bad = {"storage_connectivity_group": {"vios_redundancy": "lots"}}
    refused = admin.put(f"{COMPUTE}/storage-connectivity-groups/{scg['id']}", json=bad)
    assert refused.status_code == 400
    assert "vios_redundancy" in refused.json()["badRequest"]["message"]
    rack1 = next(g for g in listed["storage_connectivity_groups"] if g["display_name"] != names[0])
    types = admin.get(f"{COMPUTE}/storage-connectivity-groups/{rack1['id']}/volume-types").json()
    assert [t["name"] for t in types["volume_types"]] == ["xiv90 base template"]
    assert admin.delete(f"{COMPUTE}/storage-connectivity-groups/{scg['id']}").status_code == 204
    assert admin.get(f"{COMPUTE}/storage-connectivity-groups/{scg['id']}").status_code == 404
    default = listed["storage_connectivity_groups"][0]["id"]
    assert admin.delete(f"{COMPUTE}/storage-connectivity-groups/{default}").status_code == 400


def test_scg_restricts_placement_and_storage(
    admin: TestClient, ids: dict[str, str], project_id: str
) -> None:
    groups = admin.get(f"{COMPUTE}/storage-connectivity-groups").json()
    rack1 = next(
        g for g in groups["storage_connectivity_groups"] if g["display_name"] == "rack1 NPIV"
    )
    flavor_id = scg_flavor(admin, rack1["id"])
    placed = [deploy(admin, {**ids, "flavor": flavor_id}, f"r{n}") for n in range(4)]
    assert {show(admin, s)["OS-EXT-SRV-ATTR:host"] for s in placed} == {P8A, P8B}
    pinned = deploy(admin, {**ids, "flavor": flavor_id}, "p9", availability_zone=f":{P9}")
    assert "Storage connectivity group rack1 NPIV" in show(admin, pinned)["fault"]["message"]
    volume = admin.post(
        f"{VOLUME}/{project_id}/volumes",
        json={"volume": {"size": 1, "volume_type": "svc82 base template"}},
    ).json()["volume"]
    bdm = [{"uuid": volume["id"], "source_type": "volume", "destination_type": "volume"}]
    unreachable = deploy(admin, {**ids, "flavor": flavor_id}, "svc", block_device_mapping_v2=bdm)
    server = show(admin, unreachable)
    assert server["status"] == "ERROR"
    assert server["fault"]["message"] == (
        "No valid host was found. Storage connectivity group rack1 NPIV cannot reach storage "
        f"provider svc82 of volume {volume['id']}."
    )
    assert (
        admin.get(f"{VOLUME}/{project_id}/volumes/{volume['id']}").json()["volume"]["status"]
        == "available"
    )
    missing = scg_flavor(admin, "no-such-scg")
    fault = show(admin, deploy(admin, {**ids, "flavor": missing}, "lost"))["fault"]["message"]
    assert "Storage connectivity group no-such-scg could not be found." in fault


# -- maintenance ----------------------------------------------------------------------------
def maintenance(client: TestClient, host: str, **body: Any) -> Any:
    return client.put(f"{COMPUTE}/ego/prs/hypervisor_maintenance/{host}", json=body)


def test_maintenance_all_empties_the_host(admin: TestClient, ids: dict[str, str]) -> None:
    running = deploy(admin, ids, "m1", availability_zone=f":{P8A}")
    stopped = deploy(admin, ids, "m2", availability_zone=f":{P8A}")
    admin.post(f"{COMPUTE}/servers/{stopped}/action", json={"os-stop": None})
    response = maintenance(admin, "p8-rack1-host1", status="enable", migrate="all")
    assert response.status_code == 200, response.text
    state = response.json()["hypervisor_maintenance"]
    assert state["maintenance_status"] == "entering"
    assert sorted(state["migrating_servers"]) == sorted([running, stopped])
    shown = admin.get(f"{COMPUTE}/ego/prs/hypervisor_maintenance/{P8A}").json()
    assert shown["hypervisor_maintenance"]["maintenance_status"] == "on"
    assert hypervisor(admin, P8A)["running_vms"] == 0
    assert hypervisor(admin, P8A)["maintenance_status"] == "on"
    assert hypervisor(admin, P8A)["status"] == "disabled"
    assert show(admin, running)["status"] == "ACTIVE"
    assert show(admin, stopped)["status"] == "SHUTOFF"
    assert show(admin, running)["OS-EXT-SRV-ATTR:host"] != P8A
    pinned = deploy(admin, ids, "m3", availability_zone=f":{P8A}")
    assert "maintenance mode" in show(admin, pinned)["fault"]["message"]
    assert maintenance(admin, P8A, status="enable").status_code == 409
    off = maintenance(admin, P8A, status="disable")
    assert off.json()["hypervisor_maintenance"]["maintenance_status"] == "ok"
    again = deploy(admin, ids, "m4", availability_zone=f":{P8A}")
    assert show(admin, again)["OS-EXT-SRV-ATTR:host"] == P8A


def test_maintenance_active_only_and_none(admin: TestClient, ids: dict[str, str]) -> None:
    running = deploy(admin, ids, "a1", availability_zone=f":{P8B}")
    stopped = deploy(admin, ids, "a2", availability_zone=f":{P8B}")
    admin.post(f"{COMPUTE}/servers/{stopped}/action", json={"os-stop": None})
    response = maintenance(admin, P8B, status="enable", migrate="active-only", target_host=P9)
    assert response.status_code == 200
    assert show(admin, running)["OS-EXT-SRV-ATTR:host"] == P9
    assert show(admin, stopped)["OS-EXT-SRV-ATTR:host"] == P8B
    assert show(admin, stopped, **MV)["host_status"] == "MAINTENANCE"
    assert show(admin, running, **MV)["host_status"] == "UP"
    none = maintenance(admin, P8A, status="enable", migrate="none")
    assert none.json()["hypervisor_maintenance"]["maintenance_status"] == "on"
    assert maintenance(admin, "nohost", status="enable").status_code == 404
    assert maintenance(admin, P9, status="maybe").status_code == 400


def test_maintenance_refuses_hosts_with_failed_vms(admin: TestClient, ids: dict[str, str]) -> None:
    rule = {"kind": "server", "mode": "active_then_error", "name_regex": "^sick$", "seconds": 0}
    assert (
        admin.post("/powervc/emulator/v1/behaviours", json={"behaviour": rule}).status_code == 201
    )
    sick = deploy(admin, ids, "sick", availability_zone=f":{P9}")
    assert show(admin, sick)["status"] == "ERROR"
    refused = maintenance(admin, P9, status="enable", migrate="all")
    assert refused.status_code == 409
    assert "sick" in refused.json()["conflictingRequest"]["message"]
    assert hypervisor(admin, P9)["maintenance_status"] == "ok"
    assert maintenance(admin, P9, status="enable", migrate="none").status_code == 200


def test_maintenance_without_room_ends_in_error(admin: TestClient, ids: dict[str, str]) -> None:
    make_group(admin, "pair", "pair", P8A, P8B)
    flavor = {"ram": 400000, "vcpus": 1, "extra_specs": {"powervm:max_mem": "524288"}}
    made = []
    for host in (P8A, P8B):
        body = server_body(ids, f"big-{host}", availability_zone=f":{host}")
        body["server"].pop("flavorRef")
        body["server"]["flavor"] = flavor
        made.append(admin.post(f"{COMPUTE}/servers", json=body).json()["server"]["id"])
    response = maintenance(admin, P8A, status="enable", migrate="active-only")
    state = response.json()["hypervisor_maintenance"]
    assert state["maintenance_status"] == "error"
    assert state["message"].startswith("No valid host was found. Insufficient memory")
    assert show(admin, made[0])["OS-EXT-SRV-ATTR:host"] == P8A


# -- storage providers and names ------------------------------------------------------------
def test_storage_providers_report_capacity(admin: TestClient, project_id: str) -> None:
    listed = admin.get(f"{VOLUME}/{project_id}/storage-providers").json()["storage_providers"]
    assert listed == [
        {"id": 1, "storage_hostname": "xiv90"},
        {"id": 2, "storage_hostname": "svc82"},
    ]
    admin.post(
        f"{VOLUME}/{project_id}/volumes",
        json={"volume": {"size": 100, "volume_type": "xiv90 base template"}},
    )
    xiv = admin.get(f"{VOLUME}/{project_id}/storage-providers/1").json()["storage_provider"]
    assert xiv["total_capacity_gb"] == 20480.0
    assert xiv["free_capacity_gb"] == 20380.0
    assert xiv["volume_count"] == 1
    assert xiv["backend_type"] == "xiv"
    detail = admin.get(f"{VOLUME}/{project_id}/storage-providers/detail").json()
    assert [p["storage_pools"] for p in detail["storage_providers"]][1] == [
        "svc82_pool1",
        "svc82_pool2",
    ]
    assert admin.get(f"{VOLUME}/{project_id}/storage-providers/9").status_code == 404
    too_big = admin.post(
        f"{VOLUME}/{project_id}/volumes",
        json={"volume": {"size": 30000, "volume_type": "xiv90 base template"}},
    ).json()["volume"]
    status = admin.get(f"{VOLUME}/{project_id}/volumes/{too_big['id']}").json()["volume"]
    assert status["status"] == "error"


def test_instance_name_template(admin: TestClient, ids: dict[str, str], tmp_path: Path) -> None:
    default = show(admin, deploy(admin, ids, "named"))
    instance_name = default["OS-EXT-SRV-ATTR:instance_name"]
    assert instance_name.startswith(f"named-{default['id'][:8]}-")
    assert instance_name[-8:].isdigit()
    template = "%(display_name)s-%(uuid).2s"
    estate = dataclasses.replace(load_estate(), instance_name_template=template)
    other = Emulator(EmulatorConfig(data_dir=None, log_dir=tmp_path / "logs"), estate)
    with TestClient(create_app(other)) as client:
        token = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        client.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        short = show(client, deploy(client, inventory(client), "short"))
        assert short["OS-EXT-SRV-ATTR:instance_name"] == f"short-{short['id'][:2]}"
    other.close()
