"""PowerVC's server actions over HTTP: bulk volume attach and detach, soft and hard pinning
through server metadata (pin_vm, move_pin_vm) against live migration and maintenance, and
resize with an inline compute template."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.emulator_http import (
    COMPUTE,
    P8A,
    P8B,
    VOLUME,
    deploy,
    hypervisor,
    inventory,
    show,
)


@pytest.fixture
def cinder(project_id: str) -> str:
    return f"{VOLUME}/{project_id}"


def act(client: TestClient, server_id: str, body: Any) -> Any:
    return client.post(f"{COMPUTE}/servers/{server_id}/action", json=body)


def new_volume(client: TestClient, cinder: str, name: str) -> str:
    body = {"volume": {"size": 1, "name": name, "volume_type": "xiv90 base template"}}
    answer = client.post(f"{cinder}/volumes", json=body)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["volume"]["id"])


def attached(client: TestClient, server_id: str) -> set[str]:
    return {a["id"] for a in show(client, server_id)["os-extended-volumes:volumes_attached"]}


def test_bulk_attach_then_bulk_detach(admin: TestClient, cinder: str) -> None:
    server_id = deploy(admin, inventory(admin), "bulk")
    ids = [new_volume(admin, cinder, f"bulk-{n}") for n in range(3)]
    body = {"bulkVolumeAttach": {"volumeAttachment": [{"volumeId": v} for v in ids]}}
    answer = act(admin, server_id, body)
    assert answer.status_code == 202, answer.text
    assert {row["volumeId"] for row in answer.json()["volumeAttachments"]} == set(ids)
    assert set(ids) <= attached(admin, server_id)
    for volume_id in ids:
        assert admin.get(f"{cinder}/volumes/{volume_id}").json()["volume"]["status"] == "in-use"
    answer = act(admin, server_id, {"bulkVolumeDetach": {"volume_ids": ids[:2]}})
    assert answer.status_code == 202, answer.text
    assert attached(admin, server_id) & set(ids) == {ids[2]}
    assert admin.get(f"{cinder}/volumes/{ids[0]}").json()["volume"]["status"] == "available"


def test_one_bad_volume_refuses_the_bulk_attach_and_attaches_none(
    admin: TestClient, cinder: str
) -> None:
    server_id = deploy(admin, inventory(admin), "bulk-bad")
    good = new_volume(admin, cinder, "bulk-good")
    body = {"bulkVolumeAttach": {"volumeAttachment": [{"volumeId": good}, {"volumeId": "nope"}]}}
    answer = act(admin, server_id, body)
    assert answer.status_code == 404
    assert answer.json()["itemNotFound"]["message"] == "Volume nope could not be found."
    assert good not in attached(admin, server_id)
    bad_bodies = [
        {"bulkVolumeAttach": {"volumeAttachment": []}},
        {"bulkVolumeAttach": {"volumes": [good]}},
        {"bulkVolumeDetach": {"volume_ids": "x"}},
    ]
    for bad in bad_bodies:
        assert act(admin, server_id, bad).status_code == 400, bad
    answer = act(admin, server_id, {"bulkVolumeDetach": {"volume_ids": [good]}})
    assert answer.status_code == 404


def pin(client: TestClient, server_id: str, pin_vm: str, move_pin_vm: str) -> None:
    host = show(client, server_id)["OS-EXT-SRV-ATTR:host"]
    body = {"metadata": {"pin_vm": pin_vm, "move_pin_vm": move_pin_vm, "original_host": host}}
    answer = client.post(f"{COMPUTE}/servers/{server_id}/metadata", json=body)
    assert answer.status_code == 200, answer.text


MIGRATE = {"os-migrateLive": {"host": P8B, "block_migration": "auto"}}
V230 = {"OpenStack-API-Version": "compute 2.30"}


def test_a_hard_pinned_vm_is_never_moved(admin: TestClient) -> None:
    server_id = deploy(admin, inventory(admin), "hard", availability_zone=f":{P8A}")
    pin(admin, server_id, "true", "false")
    answer = admin.post(f"{COMPUTE}/servers/{server_id}/action", json=MIGRATE, headers=V230)
    assert answer.status_code == 409
    assert "hard pinned" in answer.json()["conflictingRequest"]["message"]
    url = f"{COMPUTE}/ego/prs/hypervisor_maintenance/{P8A}"
    answer = admin.put(url, json={"status": "enable", "migrate": "active-only"})
    assert answer.status_code == 409
    assert show(admin, server_id)["OS-EXT-SRV-ATTR:host"] == P8A


def test_a_soft_pinned_vm_moves_on_an_admins_migration(admin: TestClient) -> None:
    server_id = deploy(admin, inventory(admin), "soft", availability_zone=f":{P8A}")
    pin(admin, server_id, "true", "true")
    answer = admin.post(f"{COMPUTE}/servers/{server_id}/action", json=MIGRATE, headers=V230)
    assert answer.status_code == 202, answer.text
    assert show(admin, server_id)["OS-EXT-SRV-ATTR:host"] == P8B
    pin(admin, server_id, "false", "true")  # unpinned: moves as any VM
    back = {"os-migrateLive": {"host": P8A, "block_migration": "auto"}}
    answer = admin.post(f"{COMPUTE}/servers/{server_id}/action", json=back, headers=V230)
    assert answer.status_code == 202, answer.text


INLINE = {  # PowerVC's inline compute template, as its deploy takes one
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


def test_resize_with_an_inline_flavor_confirmed(admin: TestClient) -> None:
    """The VM takes the inline template's memory, processors and extra specs; its host's
    usage follows once confirmed."""
    server_id = deploy(admin, inventory(admin), "inline", availability_zone=f":{P8A}")
    host = hypervisor(admin, P8A)
    memory, units = host["memory_mb_used"], float(host["proc_units_used"])
    answer = act(admin, server_id, {"resize": {"flavor": INLINE}})
    assert answer.status_code == 202, answer.text
    assert show(admin, server_id)["status"] == "VERIFY_RESIZE"
    assert act(admin, server_id, {"confirmResize": None}).status_code == 204
    server = show(admin, server_id, **{"OpenStack-API-Version": "compute 2.47"})
    assert server["status"] == "ACTIVE"
    flavor = server["flavor"]
    assert (flavor["ram"], flavor["vcpus"], flavor["disk"]) == (6144, 2, 20)
    assert flavor["extra_specs"] == INLINE["extra_specs"]
    assert flavor["original_name"] == "inline"
    host = hypervisor(admin, P8A)  # powervm.small's 4096 MB and 0.5 units gave way
    assert host["memory_mb_used"] == memory - 4096 + 6144
    assert float(host["proc_units_used"]) == units + 0.5


def test_an_inline_flavor_breaking_powervm_rules_is_refused(admin: TestClient) -> None:
    server_id = deploy(admin, inventory(admin), "inline-bad")
    specs = {**INLINE["extra_specs"], "powervm:min_vcpu": "3"}  # above vcpus
    answer = act(admin, server_id, {"resize": {"flavor": {**INLINE, "extra_specs": specs}}})
    assert answer.status_code == 400, answer.text
    assert "value 2 is below the 'Minimum Virtual Processors' value 3" in answer.text
    # no extra specs: its memory range would change, which a running LPAR cannot do
    bare = act(admin, server_id, {"resize": {"flavor": {"ram": 6144, "vcpus": 2, "disk": 20}}})
    assert bare.status_code == 400, bare.text
    assert "memory of an active virtual machine cannot change" in bare.text
    assert show(admin, server_id)["status"] == "ACTIVE"
