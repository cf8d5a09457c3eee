"""Answers tempest's whole API suite checks where the emulator used to differ from nova and
cinder: detaches, a snapshot's reported progress, an admin's project filter, booting from a
non-bootable volume, the ips views, nova's actions on an absent server."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.emulator_http import (
    COMPUTE,
    IMAGE,
    NETWORK,
    VOLUME,
    deploy,
    inventory,
    provision,
)

XIV = "xiv90 base template"
ABSENT = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def base(project_id: str) -> str:
    return f"{VOLUME}/{project_id}"


def _volume(admin: TestClient, base: str) -> str:
    response = admin.post(f"{base}/volumes", json={"volume": {"size": 1, "volume_type": XIV}})
    assert response.status_code == 202, response.text
    return str(response.json()["volume"]["id"])


def _act(admin: TestClient, base: str, volume_id: str, body: dict[str, Any]) -> int:
    return admin.post(f"{base}/volumes/{volume_id}/action", json=body).status_code


def _status(admin: TestClient, base: str, volume_id: str) -> str:
    return str(admin.get(f"{base}/volumes/{volume_id}").json()["volume"]["status"])


def test_a_force_detach_repairs_a_volume_reset_to_error(admin: TestClient, base: str) -> None:
    server_id = deploy(admin, inventory(admin), "fd-server")
    volume_id = _volume(admin, base)
    attach = {"os-attach": {"instance_uuid": server_id, "mountpoint": "/dev/vdb"}}
    assert _act(admin, base, volume_id, attach) == 202
    volume = admin.get(f"{base}/volumes/{volume_id}").json()["volume"]
    assert volume["status"] == "in-use"
    attachment_id = volume["attachments"][0]["attachment_id"]
    assert _act(admin, base, volume_id, {"os-reset_status": {"status": "error"}}) == 202
    detach = {"os-force_detach": {"attachment_id": attachment_id, "connector": None}}
    assert _act(admin, base, volume_id, detach) == 202
    assert _status(admin, base, volume_id) == "available"  # at once, as cinder's manager does
    assert _act(admin, base, volume_id, {"os-detach": {}}) == 202  # not attached: a no-op
    assert _status(admin, base, volume_id) == "available"


def test_a_snapshot_status_update_reports_its_progress(admin: TestClient, base: str) -> None:
    volume_id = _volume(admin, base)
    body = {"snapshot": {"volume_id": volume_id, "name": "progress"}}
    snapshot_id = admin.post(f"{base}/snapshots", json=body).json()["snapshot"]["id"]
    action = f"{base}/snapshots/{snapshot_id}/action"
    admin.post(action, json={"os-reset_status": {"status": "creating"}})
    update = {"os-update_snapshot_status": {"status": "error", "progress": "80%"}}
    assert admin.post(action, json=update).status_code == 202
    shown = admin.get(f"{base}/snapshots/{snapshot_id}").json()["snapshot"]
    assert (shown["status"], shown["os-extended-snapshot-attributes:progress"]) == (
        "error",
        "80%",
    )


def test_an_admin_lists_one_projects_volumes(admin: TestClient, base: str, project_id: str) -> None:
    volume_id = _volume(admin, base)
    mine = admin.get(f"{base}/volumes?all_tenants=1&project_id={project_id}").json()
    assert volume_id in [v["id"] for v in mine["volumes"]]
    other = admin.get(f"{base}/volumes?all_tenants=1&project_id={ABSENT}").json()
    assert other["volumes"] == []


def test_booting_from_a_non_bootable_volume_is_a_400(admin: TestClient, base: str) -> None:
    volume_id = _volume(admin, base)
    bdm = [
        {"uuid": volume_id, "source_type": "volume", "destination_type": "volume", "boot_index": 0}
    ]
    ids = inventory(admin)
    networks = [{"uuid": ids["network"]}]
    server = {"name": "nb", "flavorRef": ids["flavor"], "imageRef": "", "networks": networks}
    body = {"server": {**server, "block_device_mapping_v2": bdm}}
    response = admin.post(
        f"{COMPUTE}/servers", json=body, headers={"OpenStack-API-Version": "compute 2.37"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["badRequest"]["message"] == f"Block Device {volume_id} is not bootable."


def test_the_ips_views_show_version_and_address_only(admin: TestClient) -> None:
    server_id = deploy(admin, inventory(admin), "ips-server")
    addresses = admin.get(f"{COMPUTE}/servers/{server_id}/ips").json()["addresses"]
    (network,) = addresses
    assert [set(a) for a in addresses[network]] == [{"version", "addr"}]
    one = admin.get(f"{COMPUTE}/servers/{server_id}/ips/{network}").json()
    assert one == {network: addresses[network]}


def test_an_action_powervc_lacks_on_an_absent_server_is_nova_404(admin: TestClient) -> None:
    response = admin.post(f"{COMPUTE}/servers/{ABSENT}/action", json={"migrate": None})
    assert response.status_code == 404, response.text
    server_id = deploy(admin, inventory(admin), "mig-server")
    refused = admin.post(f"{COMPUTE}/servers/{server_id}/action", json={"migrate": None})
    assert refused.json()["badRequest"]["message"] == "There is no such action: migrate"


def test_neutron_agents_are_an_administrators_records(
    client: TestClient, admin: TestClient, admin_token: str
) -> None:
    listed = admin.get(f"{NETWORK}/agents").json()["agents"]
    hosts = admin.get(f"{COMPUTE}/os-hypervisors").json()["hypervisors"]
    assert len(listed) == len(hosts)
    assert {a["binary"] for a in listed} == {"neutron-powervm-sea-agent"}
    shown = admin.get(f"{NETWORK}/agents/{listed[0]['id']}").json()["agent"]
    assert shown == listed[0]
    reader = provision(client, admin_token, "ibm-default", "agent-reader", role="reader")
    as_reader = client.get(f"{NETWORK}/agents", headers={"X-Auth-Token": reader.token})
    assert as_reader.json() == {"agents": []}  # neutron's policy filters them out
    hidden = client.get(
        f"{NETWORK}/agents/{listed[0]['id']}", headers={"X-Auth-Token": reader.token}
    )
    assert hidden.status_code == 404


def test_a_volume_from_an_image_is_at_least_its_min_disk(admin: TestClient, base: str) -> None:
    spec = {"name": "min-disk-2", "disk_format": "raw", "container_format": "bare", "min_disk": 2}
    image_id = admin.post(f"{IMAGE}/images", json=spec).json()["id"]
    upload = admin.put(
        f"{IMAGE}/images/{image_id}/file",
        content=b"image data",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert upload.status_code == 204, upload.text
    small = {"volume": {"size": 1, "imageRef": image_id, "volume_type": XIV}}
    refused = admin.post(f"{base}/volumes", json=small)
    assert refused.status_code == 400, refused.text
    assert "image minDisk size 2GB" in refused.json()["badRequest"]["message"]
    fits = admin.post(f"{base}/volumes", json={"volume": {**small["volume"], "size": 2}})
    assert fits.status_code == 202, fits.text
    shown = admin.get(f"{base}/volumes/{fits.json()['volume']['id']}").json()["volume"]
    metadata = shown["volume_image_metadata"]
    assert (metadata["image_name"], metadata["min_disk"]) == ("min-disk-2", "2")


def test_an_images_own_project_member_may_deactivate_it(
    client: TestClient, admin: TestClient, admin_token: str
) -> None:
    member = provision(client, admin_token, "image-project", "image-member")
    headers = {"X-Auth-Token": member.token}
    spec = {"name": "own", "disk_format": "raw", "container_format": "bare"}
    image_id = client.post(f"{IMAGE}/images", json=spec, headers=headers).json()["id"]
    data = {**headers, "Content-Type": "application/octet-stream"}
    client.put(f"{IMAGE}/images/{image_id}/file", content=b"data", headers=data)
    actions = f"{IMAGE}/images/{image_id}/actions"
    assert client.post(f"{actions}/deactivate", headers=headers).status_code == 204
    assert client.post(f"{actions}/reactivate", headers=headers).status_code == 204
    public = admin.get(f"{IMAGE}/images?name=PowerHA713").json()["images"][0]
    refused = client.post(f"{IMAGE}/images/{public['id']}/actions/deactivate", headers=headers)
    assert refused.status_code == 403  # not its project's image: glance's admin's


def test_no_volume_is_made_from_a_deactivated_image(admin: TestClient, base: str) -> None:
    spec = {"name": "to-deactivate", "disk_format": "raw", "container_format": "bare"}
    image_id = admin.post(f"{IMAGE}/images", json=spec).json()["id"]
    data = {"Content-Type": "application/octet-stream"}
    admin.put(f"{IMAGE}/images/{image_id}/file", content=b"data", headers=data)
    assert admin.post(f"{IMAGE}/images/{image_id}/actions/deactivate").status_code == 204
    body = {"volume": {"size": 1, "imageRef": image_id, "volume_type": XIV}}
    refused = admin.post(f"{base}/volumes", json=body)
    assert refused.status_code == 400, refused.text
    message = refused.json()["badRequest"]["message"]
    assert message == f"Invalid input received: Image {image_id} is not active."


def test_a_swap_volume_is_accepted_and_fails_in_the_powervm_driver(
    admin: TestClient, base: str
) -> None:
    server_id = deploy(admin, inventory(admin), "swap-server")
    old, new = _volume(admin, base), _volume(admin, base)
    attachments = f"{COMPUTE}/servers/{server_id}/os-volume_attachments"
    admin.post(attachments, json={"volumeAttachment": {"volumeId": old}})
    body = {"volumeAttachment": {"volumeId": new}}
    assert admin.put(f"{attachments}/{ABSENT}", json=body).status_code == 404
    assert admin.put(f"{attachments}/{old}", json=body).status_code == 202
    assert _status(admin, base, old) == "in-use"  # the driver swapped nothing
    assert _status(admin, base, new) == "available"
    actions = admin.get(f"{COMPUTE}/servers/{server_id}/os-instance-actions").json()
    assert "swap_volume" in [a["action"] for a in actions["instanceActions"]]
