"""PowerVC's vm-snapshot over HTTP: a snapshot of the chosen volumes of a VM (or all of them),
its task's progress, the instance snapshot on the volume service, and its delete."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.emulator_http import COMPUTE, VOLUME, deploy, inventory, show


@pytest.fixture
def cinder(project_id: str) -> str:
    return f"{VOLUME}/{project_id}"


def with_volumes(client: TestClient, cinder: str, count: int) -> tuple[str, list[str]]:
    server_id = deploy(client, inventory(client), "snappy")
    ids = []
    for n in range(count):
        body = {"volume": {"size": 2, "name": f"snap-{n}", "volume_type": "xiv90 base template"}}
        ids.append(client.post(f"{cinder}/volumes", json=body).json()["volume"]["id"])
    attach = {"bulkVolumeAttach": {"volumeAttachment": [{"volumeId": v} for v in ids]}}
    assert client.post(f"{COMPUTE}/servers/{server_id}/action", json=attach).status_code == 202
    return server_id, ids


def snapshot(client: TestClient, server_id: str, body: dict[str, Any]) -> Any:
    return client.post(f"{COMPUTE}/servers/{server_id}/action", json={"vm-snapshot": body})


def test_a_snapshot_of_the_chosen_volumes(admin: TestClient, cinder: str) -> None:
    server_id, ids = with_volumes(admin, cinder, 3)
    answer = snapshot(admin, server_id, {"name": "nightly", "description": "d", "volumes": ids[:2]})
    assert answer.status_code == 202, answer.text
    reply = answer.json()["vm-snapshot"]
    path = reply["task_uri"].split("testserver", 1)[1]
    assert "/instance-snapshots/get_progress?action=snapshot&task_id=" in path
    progress = admin.get(path).json()["instance_snapshot"]
    assert (progress["status"], progress["progress"]) == ("completed", 100)
    record = admin.get(f"{cinder}/instance-snapshots/{reply['instance_snapshot_id']}")
    body = record.json()["instance_snapshot"]
    assert body["status"] == "available"
    assert body["server_id"] == server_id
    assert sorted(s["volume_id"] for s in body["volume_snapshots"]) == sorted(ids[:2])
    volume_snapshots = admin.get(f"{cinder}/snapshots").json()["snapshots"]
    assert {s["volume_id"] for s in volume_snapshots} >= set(ids[:2])
    listed = admin.get(f"{cinder}/instance-snapshots").json()["instance_snapshots"]
    assert body["id"] in [r["id"] for r in listed]
    deleted = admin.delete(f"{cinder}/instance-snapshots/{body['id']}")
    assert deleted.status_code == 202, deleted.text
    assert admin.get(f"{cinder}/instance-snapshots/{body['id']}").status_code == 404


def test_no_volumes_named_means_every_attached_volume(admin: TestClient, cinder: str) -> None:
    server_id, _ids = with_volumes(admin, cinder, 2)
    attached = {v["id"] for v in show(admin, server_id)["os-extended-volumes:volumes_attached"]}
    answer = snapshot(admin, server_id, {"name": "all"})
    assert answer.status_code == 202, answer.text
    record_id = answer.json()["vm-snapshot"]["instance_snapshot_id"]
    body = admin.get(f"{cinder}/instance-snapshots/{record_id}").json()["instance_snapshot"]
    assert {s["volume_id"] for s in body["volume_snapshots"]} == attached


def test_a_volume_of_another_vm_is_refused(admin: TestClient, cinder: str) -> None:
    server_id, _ = with_volumes(admin, cinder, 1)
    _, others = with_volumes(admin, cinder, 1)
    answer = snapshot(admin, server_id, {"name": "bad", "volumes": others})
    assert answer.status_code == 400
    assert "is not attached to instance" in answer.json()["badRequest"]["message"]
    assert snapshot(admin, server_id, {"volumes": others}).status_code == 400  # no name
