"""Mobility and lifecycle actions over HTTP (in-process): live migration, resize with confirm and
revert, rebuild, capture (createImage) and deploying the captured image; each in
os-instance-actions with its request id."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
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
    IMAGE,
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


def act(client: TestClient, server_id: str, body: Any, **headers: str) -> Any:
    return client.post(f"{COMPUTE}/servers/{server_id}/action", json=body, headers=headers)


def action_of(client: TestClient, server_id: str, request_id: str) -> dict[str, Any]:
    url = f"{COMPUTE}/servers/{server_id}/os-instance-actions/{request_id}"
    response = client.get(url)
    assert response.status_code == 200, response.text
    return dict(response.json()["instanceAction"])


def flavor_id(client: TestClient, name: str) -> str:
    rows = client.get(f"{COMPUTE}/flavors").json()["flavors"]
    return str(next(f["id"] for f in rows if f["name"] == name))


# -- live migration ------------------------------------------------------------------------
def test_live_migration_moves_the_vm_and_its_usage(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "mover", availability_zone=f":{P8A}")
    response = act(
        admin, server_id, {"os-migrateLive": {"host": P9, "block_migration": "auto"}}, **MV
    )
    assert response.status_code == 202, response.text
    server = show(admin, server_id)
    assert server["OS-EXT-SRV-ATTR:host"] == P9
    assert server["status"] == "ACTIVE"
    assert hypervisor(admin, P8A)["memory_mb_used"] == 0
    assert hypervisor(admin, P9)["memory_mb_used"] == 4096
    record = action_of(admin, server_id, response.headers["x-openstack-request-id"])
    assert record["action"] == "live-migration"
    assert record["events"][0]["result"] == "Success"
    ports = admin.get(f"/powervc/openstack/network/v2.0/ports?device_id={server_id}").json()
    assert ports["ports"][0]["binding:host_id"] == P9


def test_live_migration_without_a_host_uses_the_scheduler(
    admin: TestClient, ids: dict[str, str]
) -> None:
    server_id = deploy(admin, ids, "free", availability_zone=f":{P8A}")
    old = {"os-migrateLive": {"host": None, "block_migration": False, "disk_over_commit": False}}
    assert act(admin, server_id, old).status_code == 202
    assert show(admin, server_id)["OS-EXT-SRV-ATTR:host"] in (P8B, P9)


def test_live_migration_refusals(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "stay", availability_zone=f":{P8A}")

    def refused(host: str | None) -> str:
        response = act(
            admin, server_id, {"os-migrateLive": {"host": host, "block_migration": "auto"}}, **MV
        )
        assert response.status_code == 400, response.text
        return str(response.json()["badRequest"]["message"])

    assert "Unable to migrate instance" in refused(P8A)
    assert refused("nope") == "No valid host was found. Compute host nope could not be found."
    flavor = {"ram": 522000, "vcpus": 1, "extra_specs": {"powervm:max_mem": "524288"}}
    body = server_body(ids, "hog", availability_zone=f":{P8B}")
    body["server"].pop("flavorRef")
    body["server"]["flavor"] = flavor
    admin.post(f"{COMPUTE}/servers", json=body)
    assert refused(P8B).startswith("No valid host was found. Insufficient memory on host")
    bad = act(admin, server_id, {"os-migrateLive": {"host": P9, "colour": "red"}}, **MV)
    assert bad.status_code == 400
    assert show(admin, server_id)["OS-EXT-SRV-ATTR:host"] == P8A


def test_live_migration_honours_collocation_and_host_groups(
    admin: TestClient, ids: dict[str, str]
) -> None:
    group = admin.post(
        f"{COMPUTE}/os-server-groups",
        json={"server_group": {"name": "ha", "policies": ["anti-affinity"]}},
    ).json()["server_group"]
    hints = {"os:scheduler_hints": {"group": group["id"]}}
    first = admin.post(
        f"{COMPUTE}/servers", json={**server_body(ids, "n1", availability_zone=f":{P8A}"), **hints}
    ).json()["server"]["id"]
    admin.post(
        f"{COMPUTE}/servers", json={**server_body(ids, "n2", availability_zone=f":{P8B}"), **hints}
    )
    response = act(admin, first, {"os-migrateLive": {"host": P8B, "block_migration": "auto"}}, **MV)
    assert response.status_code == 400
    assert "Collocation rule ha (anti-affinity) already has a member on host" in response.text
    assert (
        act(
            admin, first, {"os-migrateLive": {"host": P9, "block_migration": "auto"}}, **MV
        ).status_code
        == 202
    )
    make_group(admin, "p9", "p9", P9)
    lonely = deploy(admin, ids, "lonely", availability_zone="p9")
    outside = act(admin, lonely, {"os-migrateLive": {"host": P8A, "block_migration": "auto"}}, **MV)
    assert outside.status_code == 400
    assert "is not in availability zone p9" in outside.text


def member_headers(admin: TestClient, project_id: str) -> dict[str, str]:
    """A token of a `member` (not admin) of the admin's project."""
    user = admin.post(
        f"{IDENTITY}/users", json={"user": {"name": "bob", "password": "secret"}}
    ).json()["user"]
    roles = admin.get(f"{IDENTITY}/roles").json()["roles"]
    member = next(r for r in roles if r["name"] == "member")
    grant = f"{IDENTITY}/projects/{project_id}/users/{user['id']}/roles/{member['id']}"
    assert admin.put(grant).status_code == 204
    token = admin.post(f"{IDENTITY}/auth/tokens", json=password_auth("bob", "secret"))
    return {"X-Auth-Token": token.headers["x-subject-token"], **MV}


def test_only_admins_live_migrate(admin: TestClient, ids: dict[str, str], project_id: str) -> None:
    server_id = deploy(admin, ids, "mine")
    headers = member_headers(admin, project_id)
    body = {"os-migrateLive": {"host": None, "block_migration": "auto"}}
    assert admin.get(f"{COMPUTE}/servers/{server_id}", headers=headers).status_code == 200
    response = admin.post(f"{COMPUTE}/servers/{server_id}/action", json=body, headers=headers)
    assert response.status_code == 403
    assert act(admin, server_id, {"os-stop": None}).status_code == 202
    assert act(admin, server_id, body, **MV).status_code == 202  # shut off: inactive mobility
    assert show(admin, server_id)["status"] == "SHUTOFF"


# -- resize ----------------------------------------------------------------------------------
def test_resize_confirm_and_usage(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "grow", availability_zone=f":{P9}")
    medium = flavor_id(admin, "powervm.medium")
    stopped = act(admin, server_id, {"os-stop": None})  # min/max memory change needs it
    assert stopped.status_code == 202
    response = act(admin, server_id, {"resize": {"flavorRef": medium}})
    assert response.status_code == 202, response.text
    server = show(admin, server_id, **MV)
    assert server["status"] == "VERIFY_RESIZE"
    assert server["flavor"]["original_name"] == "powervm.medium"
    assert hypervisor(admin, P9)["memory_mb_used"] == 8192
    assert act(admin, server_id, {"confirmResize": None}).status_code == 204
    assert show(admin, server_id)["status"] == "SHUTOFF"
    again = act(admin, server_id, {"confirmResize": None})
    assert again.status_code == 409
    actions = [
        a["action"]
        for a in admin.get(f"{COMPUTE}/servers/{server_id}/os-instance-actions").json()[
            "instanceActions"
        ]
    ]
    assert actions[:2] == ["confirmResize", "resize"]


def test_resize_revert_restores_template_and_claim(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "undo", availability_zone=f":{P9}")
    inline = {
        "ram": 6144,
        "vcpus": 2,
        "disk": 20,
        "extra_specs": {
            "powervm:min_mem": "2048",
            "powervm:max_mem": "8192",
            "powervm:min_vcpu": "1",
            "powervm:max_vcpu": "4",
            "powervm:proc_units": "1",
            "powervm:min_proc_units": "0.25",
            "powervm:max_proc_units": "1",
        },
    }
    response = act(admin, server_id, {"resize": {"flavor": inline}})
    assert response.status_code == 202, response.text
    assert hypervisor(admin, P9)["memory_mb_used"] == 6144
    assert hypervisor(admin, P9)["proc_units_used"] == "1.00"
    assert act(admin, server_id, {"revertResize": None}).status_code == 202
    server = show(admin, server_id, **MV)
    assert server["status"] == "ACTIVE"
    assert server["flavor"]["original_name"] == "powervm.small"
    assert hypervisor(admin, P9)["memory_mb_used"] == 4096


def test_resize_refusals(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "fixed")
    medium = flavor_id(admin, "powervm.medium")
    active = act(admin, server_id, {"resize": {"flavorRef": medium}})
    assert active.status_code == 400
    assert "minimum and maximum memory of an active virtual machine cannot change" in active.text
    same = act(admin, server_id, {"resize": {"flavorRef": ids["flavor"]}})
    assert same.json()["badRequest"]["message"] == "When resizing, instances must change flavor!"
    rule = {"ram": 10240, "vcpus": 2, "extra_specs": {"powervm:max_mem": "8192"}}
    broken = act(admin, server_id, {"resize": {"flavor": rule}})
    assert broken.status_code == 400
    assert "above the 'Maximum Memory' value 8192 MB" in broken.text
    both = act(admin, server_id, {"resize": {"flavorRef": medium, "flavor": rule}})
    assert both.status_code == 400
    assert act(admin, server_id, {"resize": {"flavorRef": "nope"}}).status_code == 400
    assert act(admin, server_id, {"revertResize": None}).status_code == 409


def test_resize_confirms_itself_after_the_window(tmp_path: Path) -> None:
    estate = dataclasses.replace(load_estate(), resize_confirm_window=30)
    emulator = Emulator(EmulatorConfig(data_dir=None, log_dir=tmp_path, clock="manual"), estate)
    with TestClient(create_app(emulator)) as client:
        client.headers["X-Auth-Token"] = client.post(
            f"{IDENTITY}/auth/tokens", json=password_auth()
        ).headers["x-subject-token"]
        server_id = deploy(client, inventory(client), "auto")
        emulator.advance_clock(60)
        act(client, server_id, {"os-stop": None})
        emulator.advance_clock(10)
        act(client, server_id, {"resize": {"flavorRef": flavor_id(client, "powervm.medium")}})
        assert show(client, server_id)["status"] == "RESIZE"
        emulator.advance_clock(10)
        assert show(client, server_id)["status"] == "VERIFY_RESIZE"
        emulator.advance_clock(30)
        assert show(client, server_id)["status"] == "SHUTOFF"
    emulator.close()


# -- rebuild ---------------------------------------------------------------------------------
def test_rebuild_with_a_new_image(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "old-name")
    aix = admin.get(f"{IMAGE}/images?name=AIX72").json()["images"][0]["id"]
    body = {"rebuild": {"imageRef": aix, "name": "new-name", "metadata": {"role": "db"}}}
    response = act(admin, server_id, body)
    assert response.status_code == 202, response.text
    assert response.json()["server"]["status"] == "REBUILD"
    assert response.json()["server"]["adminPass"]
    server = show(admin, server_id)
    assert server["status"] == "ACTIVE"
    assert server["image"]["id"] == aix
    assert server["name"] == "new-name"
    assert server["metadata"] == {"role": "db"}
    record = action_of(admin, server_id, response.headers["x-openstack-request-id"])
    assert record["action"] == "rebuild"
    assert act(admin, server_id, {"rebuild": {"imageRef": "nope"}}).status_code == 400
    early = act(admin, server_id, {"rebuild": {"imageRef": aix, "description": "x"}})
    assert early.status_code == 400
    later = act(admin, server_id, {"rebuild": {"imageRef": aix, "description": "x"}}, **MV)
    assert later.status_code == 202
    assert show(admin, server_id, **MV)["description"] == "x"


# -- capture ---------------------------------------------------------------------------------
def boot_volume_server(client: TestClient, ids: dict[str, str], project_id: str, name: str) -> str:
    volume = client.post(
        f"{VOLUME}/{project_id}/volumes",
        json={
            "volume": {"size": 20, "volume_type": "svc82 base template", "imageRef": ids["image"]}
        },
    ).json()["volume"]
    bdm = [
        {
            "uuid": volume["id"],
            "source_type": "volume",
            "destination_type": "volume",
            "boot_index": 0,
        }
    ]
    body = server_body(ids, name, block_device_mapping_v2=bdm)
    body["server"].pop("imageRef")
    response = client.post(f"{COMPUTE}/servers", json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["server"]["id"])


def test_capture_produces_an_image_that_deploys(
    admin: TestClient, ids: dict[str, str], project_id: str
) -> None:
    server_id = boot_volume_server(admin, ids, project_id, "golden")
    assert show(admin, server_id)["status"] == "ACTIVE"
    response = act(
        admin,
        server_id,
        {"createImage": {"name": "golden-img", "metadata": {"tier": "gold"}}},
        **MV,
    )
    assert response.status_code == 202, response.text
    image_id = response.json()["image_id"]
    image = admin.get(f"{IMAGE}/images/{image_id}").json()
    assert image["status"] == "active"
    assert image["hypervisor_type"] == "phyp"
    assert image["architecture"] == "ppc64"
    assert image["tier"] == "gold"
    assert image["image_type"] == "snapshot"
    mapping = json.loads(image["block_device_mapping"])
    assert mapping[0]["boot_index"] == 0
    assert mapping[0]["source_type"] == "volume"
    clone = admin.get(f"{VOLUME}/{project_id}/volumes/{mapping[0]['volume_id']}").json()["volume"]
    assert clone["name"] == "Image_golden-img_volume_1"
    assert clone["status"] == "available"
    record = action_of(admin, server_id, response.headers["x-openstack-request-id"])
    assert record["action"] == "createImage"
    copies = [deploy(admin, {**ids, "image": image_id}, f"copy{n}") for n in range(2)]
    for copy_id in copies:
        copy = show(admin, copy_id)
        assert copy["status"] == "ACTIVE"
        attached = copy["os-extended-volumes:volumes_attached"]
        assert len(attached) == 1
        assert attached[0]["id"] != clone["id"]
    assert clone["id"] not in {
        v["id"] for c in copies for v in show(admin, c)["os-extended-volumes:volumes_attached"]
    }


def test_capture_of_an_image_deployed_server_is_volume_backed(
    admin: TestClient, ids: dict[str, str], project_id: str
) -> None:
    """A server deployed from an image has no boot volume; its capture still names one (boot
    index 0, made from the base image), ahead of its data volumes, and deploys with it."""
    server_id = deploy(admin, ids, "plain-golden")
    data = admin.post(
        f"{VOLUME}/{project_id}/volumes", json={"volume": {"size": 2, "name": "data"}}
    ).json()["volume"]
    attached = admin.post(
        f"{COMPUTE}/servers/{server_id}/os-volume_attachments",
        json={"volumeAttachment": {"volumeId": data["id"]}},
    )
    assert attached.status_code == 200, attached.text
    response = act(admin, server_id, {"createImage": {"name": "plain-golden-img"}}, **MV)
    assert response.status_code == 202, response.text
    image = admin.get(f"{IMAGE}/images/{response.json()['image_id']}").json()
    boot, rest = json.loads(image["block_device_mapping"])
    assert boot["boot_index"] == 0
    assert (boot["source_type"], boot["destination_type"]) == ("volume", "volume")
    assert boot["device_name"] == "/dev/sda"
    assert rest["boot_index"] is None
    assert rest["device_name"] is None
    volume = admin.get(f"{VOLUME}/{project_id}/volumes/{boot['volume_id']}").json()["volume"]
    assert volume["name"] == "Image_plain-golden-img_volume_boot"
    assert volume["bootable"] == "true"
    assert volume["status"] == "available"
    assert volume["size"] == boot["volume_size"] == 20  # the base image's min_disk
    assert volume["volume_image_metadata"]["image_id"] == ids["image"]
    copy = show(admin, deploy(admin, {**ids, "image": image["id"]}, "plain-copy"))
    assert copy["status"] == "ACTIVE"
    volumes = copy["os-extended-volumes:volumes_attached"]
    assert len(volumes) == 2
    assert boot["volume_id"] not in {v["id"] for v in volumes}
    attachments = admin.get(f"{COMPUTE}/servers/{copy['id']}/os-volume_attachments").json()
    devices = sorted(a["device"] for a in attachments["volumeAttachments"])
    assert devices == ["/dev/sda", "/dev/sdb"]


def test_capture_location_header_before_2_45(admin: TestClient, ids: dict[str, str]) -> None:
    server_id = deploy(admin, ids, "plain")
    response = act(admin, server_id, {"createImage": {"name": "plain-img"}})
    assert response.status_code == 202
    assert response.content == b""
    location = response.headers["location"]
    assert location.startswith("http://testserver/powervc/openstack/image/images/")
    image_id = location.rsplit("/", 1)[1]
    assert admin.get(f"{IMAGE}/images/{image_id}").json()["name"] == "plain-img"
    assert act(admin, server_id, {"createImage": {}}).status_code == 400


@pytest.fixture
def manual(tmp_path: Path) -> Iterator[tuple[Emulator, TestClient]]:
    emulator = Emulator(EmulatorConfig(data_dir=tmp_path / "data", clock="manual"))
    with TestClient(create_app(emulator)) as client:
        token = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        client.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        yield emulator, client
    emulator.close()


def test_task_states_on_the_manual_clock(manual: tuple[Emulator, TestClient]) -> None:
    emulator, client = manual
    server_id = deploy(client, inventory(client), "slow", availability_zone=f":{P8A}")
    emulator.advance_clock(60)
    act(client, server_id, {"os-migrateLive": {"host": P8B, "block_migration": "auto"}}, **MV)
    server = show(client, server_id)
    assert (server["status"], server["OS-EXT-STS:task_state"]) == ("MIGRATING", "migrating")
    assert hypervisor(client, P8B)["memory_mb_used"] == 4096  # claimed at once
    assert hypervisor(client, P8A)["memory_mb_used"] == 4096
    busy = act(client, server_id, {"os-stop": None})
    assert busy.status_code == 409
    emulator.advance_clock(10)
    assert show(client, server_id)["OS-EXT-SRV-ATTR:host"] == P8B
    assert hypervisor(client, P8A)["memory_mb_used"] == 0
    act(client, server_id, {"createImage": {"name": "snap"}})
    assert show(client, server_id)["OS-EXT-STS:task_state"] == "image_snapshot"
    emulator.advance_clock(5)
    assert show(client, server_id)["OS-EXT-STS:task_state"] is None


def test_restart_mid_migration_keeps_both_claims(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", clock="manual")
    first = Emulator(config)
    with TestClient(create_app(first)) as client:
        client.headers["X-Auth-Token"] = client.post(
            f"{IDENTITY}/auth/tokens", json=password_auth()
        ).headers["x-subject-token"]
        server_id = deploy(client, inventory(client), "survivor", availability_zone=f":{P8A}")
        first.advance_clock(60)
        act(client, server_id, {"os-migrateLive": {"host": P9, "block_migration": "auto"}}, **MV)
    first.close()
    second = Emulator(EmulatorConfig(data_dir=tmp_path / "data", clock="manual"))
    assert second.hosts.hosts[P9].memory_used_mb == 4096
    assert second.hosts.hosts[P8A].memory_used_mb == 4096
    second.advance_clock(10)
    assert second.compute.servers[server_id].host == P9
    assert second.hosts.hosts[P8A].memory_used_mb == 0
    second.close()
