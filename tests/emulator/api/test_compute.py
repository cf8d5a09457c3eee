"""Nova over HTTP (in-process): templates, deploys, lifecycles, faults, attachments, isolation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import (
    COMPUTE,
    IDENTITY,
    NETWORK,
    VOLUME,
    deploy,
    inventory,
    password_auth,
    server_body,
    show,
)

MAX_MEM_FAULT = "The 'Desired Memory' value 10240 MB is above the 'Maximum Memory' value 8192 MB."


@pytest.fixture
def ids(admin: TestClient) -> dict[str, str]:
    return inventory(admin)


# -- templates ----------------------------------------------------------------------------
def test_compute_templates_carry_powervm_specs(admin: TestClient) -> None:
    flavors = admin.get(f"{COMPUTE}/flavors/detail").json()["flavors"]
    names = {f["name"] for f in flavors}
    assert {
        "powervm.tiny",
        "powervm.small",
        "powervm.medium",
        "powervm.large",
        "powervm.xlarge",
    } <= names
    small = next(f for f in flavors if f["name"] == "powervm.small")
    specs = admin.get(f"{COMPUTE}/flavors/{small['id']}/os-extra_specs").json()["extra_specs"]
    assert specs["powervm:max_mem"] == "8192"


def test_flavor_breaking_a_powervm_rule_is_refused(admin: TestClient) -> None:
    body = {"flavor": {"name": "bad", "ram": 10240, "vcpus": 2, "disk": 10}}
    created = admin.post(f"{COMPUTE}/flavors", json=body)
    assert created.status_code == 200
    flavor_id = created.json()["flavor"]["id"]
    response = admin.post(
        f"{COMPUTE}/flavors/{flavor_id}/os-extra_specs",
        json={"extra_specs": {"powervm:max_mem": "8192"}},
    )
    assert response.status_code == 400
    assert response.json() == {"badRequest": {"code": 400, "message": MAX_MEM_FAULT}}


def test_flavor_with_unknown_field_gets_nova_style_400(admin: TestClient) -> None:
    body = {"flavor": {"name": "x", "ram": 1024, "vcpus": 1, "disk": 1, "colour": "red"}}
    response = admin.post(f"{COMPUTE}/flavors", json=body)
    assert response.status_code == 400
    assert "'colour' was unexpected" in response.json()["badRequest"]["message"]


# -- deploy -------------------------------------------------------------------------------
def test_deploy_becomes_active_with_address_host_and_action(
    admin: TestClient, ids: dict[str, str]
) -> None:
    server_id = deploy(admin, ids, "vm1")
    server = show(admin, server_id)
    assert server["status"] == "ACTIVE"
    assert server["OS-EXT-STS:vm_state"] == "active"
    assert server["OS-EXT-STS:power_state"] == 1
    assert server["OS-EXT-SRV-ATTR:host"]
    assert server["OS-EXT-SRV-ATTR:instance_name"].startswith("vm1-")
    assert server["health_status"]["health_value"] == "OK"
    address = server["addresses"]["cmbnet1"][0]
    assert address["addr"].startswith("192.168.100.")
    assert address["OS-EXT-IPS:type"] == "fixed"
    actions = admin.get(f"{COMPUTE}/servers/{server_id}/os-instance-actions").json()
    assert [a["action"] for a in actions["instanceActions"]] == ["create"]


def test_inline_flavor_above_max_mem_is_accepted_then_fails(
    admin: TestClient, ids: dict[str, str], emulator: Emulator
) -> None:
    flavor = {
        "ram": 10240,
        "vcpus": 2,
        "disk": 20,
        "extra_specs": {"powervm:max_mem": "8192", "powervm:min_mem": "2048"},
    }
    body = {
        "server": {
            "name": "too-big",
            "imageRef": ids["image"],
            "flavor": flavor,
            "networks": [{"uuid": ids["network"]}],
        }
    }
    response = admin.post(f"{COMPUTE}/servers", json=body)
    assert response.status_code == 202
    request_id = response.headers["x-openstack-request-id"]
    assert response.headers["x-compute-request-id"] == request_id
    server = show(admin, response.json()["server"]["id"])
    assert server["status"] == "ERROR"
    assert server["fault"]["message"] == MAX_MEM_FAULT
    api_log = (emulator.log_dir / "nova" / "nova-api.log").read_text()
    assert request_id in api_log
    conductor_log = (emulator.log_dir / "nova" / "nova-conductor.log").read_text()
    assert request_id in conductor_log
    assert MAX_MEM_FAULT in conductor_log


def test_deploy_with_unknown_image_or_network_is_a_400(
    admin: TestClient, ids: dict[str, str]
) -> None:
    bad_image = admin.post(f"{COMPUTE}/servers", json=server_body({**ids, "image": "nope"}, "x"))
    assert bad_image.status_code == 400
    assert "Image nope could not be found" in bad_image.json()["badRequest"]["message"]
    bad_net = admin.post(f"{COMPUTE}/servers", json=server_body({**ids, "network": "nonet"}, "x"))
    assert bad_net.status_code == 400
    assert admin.get(f"{COMPUTE}/servers").json()["servers"] == []


def test_fixed_ip_is_honoured_and_a_taken_one_refused(
    admin: TestClient, ids: dict[str, str]
) -> None:
    networks = [{"uuid": ids["network"], "fixed_ip": "192.168.100.77"}]
    server_id = deploy(admin, ids, "fixed", networks=networks)
    assert show(admin, server_id)["addresses"]["cmbnet1"][0]["addr"] == "192.168.100.77"
    again = admin.post(f"{COMPUTE}/servers", json=server_body(ids, "dup", networks=networks))
    assert again.status_code in (400, 409)
    assert len(admin.get(f"{COMPUTE}/servers").json()["servers"]) == 1


def test_deploy_with_volume_in_block_device_mapping(
    admin: TestClient, ids: dict[str, str], project_id: str
) -> None:
    volume = admin.post(
        f"{VOLUME}/{project_id}/volumes",
        json={"volume": {"size": 3, "name": "data1", "volume_type": "xiv90 base template"}},
    )
    assert volume.status_code == 202, volume.text
    volume_id = volume.json()["volume"]["id"]
    bdm = [
        {
            "uuid": volume_id,
            "source_type": "volume",
            "destination_type": "volume",
            "boot_index": -1,
            "delete_on_termination": False,
        }
    ]
    server_id = deploy(admin, ids, "withvol", block_device_mapping_v2=bdm)
    server = show(admin, server_id)
    assert server["os-extended-volumes:volumes_attached"] == [{"id": volume_id}]
    detail = admin.get(f"{VOLUME}/{project_id}/volumes/{volume_id}").json()["volume"]
    assert detail["status"] == "in-use"
    assert detail["attachments"][0]["server_id"] == server_id
    attachments = admin.get(f"{COMPUTE}/servers/{server_id}/os-volume_attachments").json()
    assert attachments["volumeAttachments"][0]["volumeId"] == volume_id


def test_delete_releases_ports_and_volumes(
    admin: TestClient, ids: dict[str, str], project_id: str
) -> None:
    volume_id = admin.post(f"{VOLUME}/{project_id}/volumes", json={"volume": {"size": 1}}).json()[
        "volume"
    ]["id"]
    bdm = [{"uuid": volume_id, "source_type": "volume", "destination_type": "volume"}]
    server_id = deploy(admin, ids, "gone", block_device_mapping_v2=bdm)
    assert admin.get(f"{NETWORK}/ports?device_id={server_id}").json()["ports"]
    assert admin.delete(f"{COMPUTE}/servers/{server_id}").status_code == 204
    assert admin.get(f"{COMPUTE}/servers/{server_id}").status_code == 404
    assert admin.get(f"{NETWORK}/ports?device_id={server_id}").json()["ports"] == []
    volume = admin.get(f"{VOLUME}/{project_id}/volumes/{volume_id}").json()["volume"]
    assert volume["status"] == "available"


def test_a_boot_volume_that_fails_to_create_aborts_the_deploy(
    admin: TestClient, ids: dict[str, str], project_id: str
) -> None:
    """No provider has 90,000 GB: the boot volume goes to error and nova aborts the build (the
    deploy used to look again for ever, which the instant clock turned into a hang)."""
    bdm = [
        {
            "uuid": ids["image"],
            "source_type": "image",
            "destination_type": "volume",
            "volume_size": 90_000,
            "boot_index": 0,
        }
    ]
    server_id = deploy(admin, ids, "too-big", block_device_mapping_v2=bdm)
    server = show(admin, server_id)
    assert server["status"] == "ERROR"
    assert "did not finish being created. And its status is error." in server["fault"]["message"]
    assert show(admin, deploy(admin, ids, "after-it"))["status"] == "ACTIVE"


def test_a_server_tag_beyond_latin_1_has_its_location_encoded(
    admin: TestClient, ids: dict[str, str]
) -> None:
    server_id = deploy(admin, ids, "tagged")
    tags = f"{COMPUTE}/servers/{server_id}/tags"
    at_2_26 = {"OpenStack-API-Version": "compute 2.26"}
    added = admin.put(f"{tags}/%C4%80b", headers=at_2_26)
    assert added.status_code == 201, added.text
    assert added.headers["location"].endswith(f"/servers/{server_id}/tags/%C4%80b")
    assert admin.get(tags, headers=at_2_26).json() == {"tags": ["\u0100b"]}


def test_power_actions_and_conflicts(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "power")
    action = f"{COMPUTE}/servers/{server_id}/action"
    assert admin.post(action, json={"os-stop": None}).status_code == 202
    assert show(admin, server_id)["status"] == "SHUTOFF"
    again = admin.post(action, json={"os-stop": None})
    assert again.status_code == 409
    assert "vm_state stopped" in again.json()["conflictingRequest"]["message"]
    assert admin.post(action, json={"os-start": None}).status_code == 202
    assert show(admin, server_id)["status"] == "ACTIVE"
    assert admin.post(action, json={"reboot": {"type": "SOFT"}}).status_code == 202
    assert show(admin, server_id)["status"] == "ACTIVE"
    bad = admin.post(action, json={"explode": {}})
    assert bad.status_code == 400


def test_rename_and_metadata(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "before", metadata={"powerbridge:deployment": "d1"})
    renamed = admin.put(f"{COMPUTE}/servers/{server_id}", json={"server": {"name": "after"}})
    assert renamed.json()["server"]["name"] == "after"
    meta = admin.get(f"{COMPUTE}/servers/{server_id}/metadata").json()["metadata"]
    assert meta == {"powerbridge:deployment": "d1"}
    admin.put(f"{COMPUTE}/servers/{server_id}/metadata/owner", json={"meta": {"owner": "ops"}})
    assert show(admin, server_id)["metadata"]["owner"] == "ops"


# -- lists --------------------------------------------------------------------------------
def test_list_filters_and_pagination(admin: TestClient, ids: dict[str, str]) -> None:
    made = [deploy(admin, ids, f"web{i}") for i in range(3)]
    deploy(admin, ids, "db1")
    names = [s["name"] for s in admin.get(f"{COMPUTE}/servers?name=web").json()["servers"]]
    assert sorted(names) == ["web0", "web1", "web2"]
    page = admin.get(f"{COMPUTE}/servers/detail?limit=2").json()
    assert len(page["servers"]) == 2
    next_href = page["servers_links"][0]["href"]
    assert "marker=" in next_href
    rest = admin.get(next_href.replace("http://testserver", "")).json()
    assert len(rest["servers"]) == 2
    assert admin.get(f"{COMPUTE}/servers?limit=-1").status_code == 400
    assert admin.get(f"{COMPUTE}/servers?limit=abc").status_code == 400
    assert admin.get(f"{COMPUTE}/servers?marker=nope").status_code == 400
    active = admin.get(f"{COMPUTE}/servers?status=ACTIVE").json()["servers"]
    assert len(active) == 4
    assert made[0] in {s["id"] for s in active}


def test_changes_since_includes_deleted_servers(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "short-lived")
    admin.delete(f"{COMPUTE}/servers/{server_id}")
    since = "2000-01-01T00:00:00Z"
    rows = admin.get(f"{COMPUTE}/servers/detail?changes-since={since}").json()["servers"]
    assert [(r["id"], r["status"]) for r in rows] == [(server_id, "DELETED")]
    future = admin.get(f"{COMPUTE}/servers/detail?changes-since=2999-01-01T00:00:00Z")
    assert future.json()["servers"] == []
    assert admin.get(f"{COMPUTE}/servers?changes-since=notadate").status_code == 400


# -- microversions ------------------------------------------------------------------------
def test_microversions_shape_the_flavor_and_are_echoed(
    admin: TestClient, ids: dict[str, str]
) -> None:
    server_id = deploy(admin, ids, "mv")
    old = show(admin, server_id)
    assert set(old["flavor"]) == {"id", "links"}
    response = admin.get(
        f"{COMPUTE}/servers/{server_id}", headers={"OpenStack-API-Version": "compute 2.47"}
    )
    assert response.headers["openstack-api-version"] == "compute 2.47"
    assert response.json()["server"]["flavor"]["original_name"] == "powervm.small"
    too_new = admin.get(f"{COMPUTE}/servers", headers={"X-OpenStack-Nova-API-Version": "2.99"})
    assert too_new.status_code == 406


# -- behaviours and clock -----------------------------------------------------------------
def test_behaviour_fails_the_named_vm_at_spawning(admin: TestClient, ids: dict[str, str]) -> None:
    rule = {
        "kind": "server",
        "mode": "fail_at",
        "name_regex": "^doomed$",
        "task_state": "spawning",
        "message": "PowerVM partition activation failed",
    }
    created = admin.post("/powervc/emulator/v1/behaviours", json={"behaviour": rule})
    assert created.status_code == 201
    doomed = deploy(admin, ids, "doomed")
    fine = deploy(admin, ids, "fine")
    assert show(admin, doomed)["status"] == "ERROR"
    assert show(admin, doomed)["fault"]["message"] == "PowerVM partition activation failed"
    assert show(admin, fine)["status"] == "ACTIVE"


@pytest.fixture
def manual(tmp_path: Path) -> Iterator[tuple[Emulator, TestClient]]:
    emulator = Emulator(EmulatorConfig(data_dir=tmp_path / "data", clock="manual"))
    with TestClient(create_app(emulator)) as client:
        token = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        client.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        yield emulator, client
    emulator.close()


def test_build_walks_through_task_states_on_the_manual_clock(
    manual: tuple[Emulator, TestClient],
) -> None:
    emulator, client = manual
    ids = inventory(client)
    server_id = deploy(client, ids, "slow")
    seen = []
    for _ in range(12):
        server = show(client, server_id)
        seen.append(server["OS-EXT-STS:task_state"])
        if server["status"] == "ACTIVE":
            break
        emulator.advance_clock(1)
    assert seen[0] == "scheduling"
    assert [s for s in dict.fromkeys(seen) if s] == [
        "scheduling",
        "block_device_mapping",
        "networking",
        "spawning",
    ]
    assert seen[-1] is None


def test_deploys_beyond_the_host_limit_queue(manual: tuple[Emulator, TestClient]) -> None:
    emulator, client = manual
    ids = inventory(client)
    host = emulator.estate.hosts[0].name
    limit = emulator.estate.hosts[0].max_concurrent_deploys
    made = [deploy(client, ids, f"q{i}", availability_zone=f":{host}") for i in range(limit + 1)]
    emulator.advance_clock(1)  # scheduling done: `limit` deploy, one waits
    states = [show(client, s)["OS-EXT-STS:task_state"] for s in made]
    assert states.count("block_device_mapping") == limit
    assert states.count("scheduling") == 1
    emulator.advance_clock(60)
    assert {show(client, s)["status"] for s in made} == {"ACTIVE"}
    assert {show(client, s)["OS-EXT-SRV-ATTR:host"] for s in made} == {host}


def _queue_one(emulator: Emulator, client: TestClient) -> tuple[str, list[str], str]:
    """Deploy one more than the host's limit onto it; return (host, deploying, queued)."""
    ids = inventory(client)
    host = emulator.estate.hosts[0].name
    limit = emulator.estate.hosts[0].max_concurrent_deploys
    made = [deploy(client, ids, f"q{i}", availability_zone=f":{host}") for i in range(limit + 1)]
    emulator.advance_clock(1)
    queued = [s for s in made if show(client, s)["OS-EXT-STS:task_state"] == "scheduling"]
    assert len(queued) == 1
    return host, [s for s in made if s not in queued], queued[0]


def test_a_queued_deploy_deleted_leaves_the_queue(manual: tuple[Emulator, TestClient]) -> None:
    emulator, client = manual
    host, deploying, queued = _queue_one(emulator, client)
    assert client.delete(f"{COMPUTE}/servers/{queued}").status_code == 204
    emulator.advance_clock(60)
    assert client.get(f"{COMPUTE}/servers/{queued}").status_code == 404
    assert {show(client, s)["status"] for s in deploying} == {"ACTIVE"}
    slots = emulator.hosts.hosts[host]
    assert not slots.deploying
    assert not slots.waiting


def test_a_freed_slot_does_not_revive_a_deleting_queued_deploy(
    manual: tuple[Emulator, TestClient],
) -> None:
    emulator, client = manual
    host, deploying, queued = _queue_one(emulator, client)
    assert client.delete(f"{COMPUTE}/servers/{deploying[0]}").status_code == 204
    assert client.delete(f"{COMPUTE}/servers/{queued}").status_code == 204
    emulator.advance_clock(60)
    assert client.get(f"{COMPUTE}/servers/{queued}").status_code == 404
    assert {show(client, s)["status"] for s in deploying[1:]} == {"ACTIVE"}
    slots = emulator.hosts.hosts[host]
    assert not slots.deploying
    assert not slots.waiting


def test_restart_mid_deploy_completes_once(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", clock="manual")
    first = Emulator(config)
    with TestClient(create_app(first)) as client:
        client.headers["X-Auth-Token"] = client.post(
            f"{IDENTITY}/auth/tokens", json=password_auth()
        ).headers["x-subject-token"]
        ids = inventory(client)
        server_id = deploy(client, ids, "survivor")
        first.advance_clock(2)
        assert show(client, server_id)["OS-EXT-STS:task_state"] == "block_device_mapping"
    first.close()

    second = Emulator(EmulatorConfig(data_dir=tmp_path / "data", clock="manual"))
    with TestClient(create_app(second)) as client:
        client.headers["X-Auth-Token"] = client.post(
            f"{IDENTITY}/auth/tokens", json=password_auth()
        ).headers["x-subject-token"]
        second.advance_clock(30)
        server = show(client, server_id)
        assert server["status"] == "ACTIVE"
        assert len(client.get(f"{COMPUTE}/servers").json()["servers"]) == 1
        ports = client.get(f"{NETWORK}/ports?device_id={server_id}").json()["ports"]
        assert len(ports) == 1
        host = second.hosts.host(server["OS-EXT-SRV-ATTR:host"])
        assert host is not None
        assert host.servers == {server_id}
    second.close()


# -- isolation ----------------------------------------------------------------------------
def test_other_projects_cannot_see_servers(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "private")
    project = admin.post(f"{IDENTITY}/projects", json={"project": {"name": "other"}}).json()
    user = admin.post(
        f"{IDENTITY}/users", json={"user": {"name": "bob", "password": "secret"}}
    ).json()
    member = next(
        r for r in admin.get(f"{IDENTITY}/roles").json()["roles"] if r["name"] == "member"
    )
    grant = (
        f"{IDENTITY}/projects/{project['project']['id']}/users/{user['user']['id']}"
        f"/roles/{member['id']}"
    )
    assert admin.put(grant).status_code == 204
    token = admin.post(
        f"{IDENTITY}/auth/tokens", json=password_auth("bob", "secret", "other")
    ).headers["x-subject-token"]
    headers = {"X-Auth-Token": token}
    assert admin.get(f"{COMPUTE}/servers/{server_id}", headers=headers).status_code == 404
    assert admin.get(f"{COMPUTE}/servers", headers=headers).json()["servers"] == []
