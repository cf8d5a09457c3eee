"""Cinder snapshots, volumes from snapshots, upload-to-image and extensions, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import IMAGE, VOLUME, provision

XIV = "xiv90 base template"
SNAPSHOT_FIELDS = {
    "id",
    "volume_id",
    "status",
    "size",
    "created_at",
    "updated_at",
    "name",
    "description",
    "metadata",
}
DETAIL_FIELDS = SNAPSHOT_FIELDS | {
    "os-extended-snapshot-attributes:progress",
    "os-extended-snapshot-attributes:project_id",
}


@pytest.fixture
def base(project_id: str) -> str:
    return f"{VOLUME}/{project_id}"


def new_volume(admin: TestClient, base: str, size: int = 2) -> dict[str, Any]:
    response = admin.post(f"{base}/volumes", json={"volume": {"size": size, "volume_type": XIV}})
    assert response.status_code == 202, response.text
    volume: dict[str, Any] = response.json()["volume"]
    return volume


def new_snapshot(admin: TestClient, base: str, volume_id: str, **fields: Any) -> dict[str, Any]:
    body = {"snapshot": {"volume_id": volume_id, "name": "snap", **fields}}
    response = admin.post(f"{base}/snapshots", json=body)
    assert response.status_code == 202, response.text
    snapshot: dict[str, Any] = response.json()["snapshot"]
    return snapshot


def cinder_error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    (fault,) = response.json().values()
    assert fault["code"] == status
    assert response.headers["x-openstack-request-id"].startswith("req-")
    return str(fault["message"])


def test_snapshot_lifecycle_and_views(admin: TestClient, base: str, project_id: str) -> None:
    volume = new_volume(admin, base)
    created = new_snapshot(admin, base, volume["id"], metadata={"k": "v"}, description="d")
    assert set(created) == SNAPSHOT_FIELDS
    assert (created["status"], created["size"]) == ("creating", 2)
    shown = admin.get(f"{base}/snapshots/{created['id']}").json()["snapshot"]
    assert set(shown) == DETAIL_FIELDS
    assert shown["status"] == "available"
    assert shown["os-extended-snapshot-attributes:project_id"] == project_id
    assert shown["os-extended-snapshot-attributes:progress"] == "100%"
    renamed = admin.put(
        f"{base}/snapshots/{created['id']}", json={"snapshot": {"name": "new", "description": "x"}}
    )
    assert renamed.status_code == 200
    assert (renamed.json()["snapshot"]["name"], renamed.json()["snapshot"]["description"]) == (
        "new",
        "x",
    )
    assert admin.delete(f"{base}/snapshots/{created['id']}").status_code == 202
    cinder_error(admin.get(f"{base}/snapshots/{created['id']}"), 404)


def test_microversion_fields(admin: TestClient, base: str) -> None:
    volume = new_volume(admin, base)
    snapshot = new_snapshot(admin, base, volume["id"])
    headers = {"OpenStack-API-Version": "volume 3.41"}
    shown = admin.get(f"{base}/snapshots/{snapshot['id']}", headers=headers).json()["snapshot"]
    assert shown["group_snapshot_id"] is None
    assert shown["user_id"]


def test_list_filters_paging_and_sorting(admin: TestClient, base: str) -> None:
    volume = new_volume(admin, base)
    ids = [new_snapshot(admin, base, volume["id"], name=f"s{i}")["id"] for i in range(3)]
    by_name = admin.get(f"{base}/snapshots?name=s1").json()["snapshots"]
    assert [s["id"] for s in by_name] == [ids[1]]
    detail = admin.get(f"{base}/snapshots/detail?status=available").json()["snapshots"]
    assert {s["id"] for s in detail} == set(ids)
    assert all(set(s) == DETAIL_FIELDS for s in detail)
    ascending = admin.get(f"{base}/snapshots?sort_key=display_name&sort_dir=asc").json()
    assert [s["name"] for s in ascending["snapshots"]] == ["s0", "s1", "s2"]
    page = admin.get(f"{base}/snapshots?limit=2&sort=name:asc").json()
    assert len(page["snapshots"]) == 2
    assert "marker=" in page["snapshots_links"][0]["href"]
    rest = admin.get(f"{base}/snapshots?sort=name:asc&marker={page['snapshots'][1]['id']}")
    assert [s["name"] for s in rest.json()["snapshots"]] == ["s2"]
    cinder_error(admin.get(f"{base}/snapshots?sort_key=bogus"), 400)
    cinder_error(admin.get(f"{base}/snapshots?marker=nope"), 404)


def test_lists_page_like_volumes_a_filtered_out_marker_and_a_count_before_it(
    admin: TestClient, base: str
) -> None:
    """One list engine: cinder finds a marker among every snapshot, filtered or not, and
    counts what the filters keep regardless of the marker."""
    volume = new_volume(admin, base)
    first = new_snapshot(admin, base, volume["id"], name="a")
    for name in ("b", "b"):
        new_snapshot(admin, base, volume["id"], name=name)
    query = f"name=b&sort=name:asc,created_at:asc&with_count=true&marker={first['id']}"
    headers = {"OpenStack-API-Version": "volume 3.45"}
    listed = admin.get(f"{base}/snapshots?{query}", headers=headers)
    assert listed.status_code == 200, listed.text
    assert [s["name"] for s in listed.json()["snapshots"]] == ["b", "b"]
    assert listed.json()["count"] == 2


def test_metadata_crud(admin: TestClient, base: str) -> None:
    volume = new_volume(admin, base)
    url = f"{base}/snapshots/{new_snapshot(admin, base, volume['id'])['id']}/metadata"
    assert admin.post(url, json={"metadata": {"a": "1", "b": "2"}}).json()["metadata"] == {
        "a": "1",
        "b": "2",
    }
    assert admin.put(url, json={"metadata": {"c": "3"}}).json()["metadata"] == {"c": "3"}
    assert admin.put(f"{url}/c", json={"meta": {"c": "4"}}).json() == {"meta": {"c": "4"}}
    assert admin.get(f"{url}/c").json() == {"meta": {"c": "4"}}
    cinder_error(admin.put(f"{url}/c", json={"meta": {"d": "4"}}), 400)
    assert admin.delete(f"{url}/c").status_code == 200
    cinder_error(admin.get(f"{url}/c"), 404)
    assert admin.get(url).json() == {"metadata": {}}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"snapshot": {"volume_id": None}}, 404),
        ({"snapshot": {"volume_id": "0a7c1f0e-0000-4000-8000-000000000000"}}, 404),
        ({"snapshot": {"name": "no volume"}}, 400),
        ({"snapshot": {"volume_id": 7}}, 400),
        ({"snapshot": {"volume_id": "x", "bogus": 1}}, 400),
        ({"snapshot": "text"}, 400),
        ({}, 400),
    ],
)
def test_bad_creates(admin: TestClient, base: str, body: Any, status: int) -> None:
    cinder_error(admin.post(f"{base}/snapshots", json=body), status)


def test_volume_from_snapshot_takes_its_size_and_id(admin: TestClient, base: str) -> None:
    volume = new_volume(admin, base, size=3)
    snapshot = new_snapshot(admin, base, volume["id"])
    body = {"volume": {"snapshot_id": snapshot["id"], "size": 4}}
    created = admin.post(f"{base}/volumes", json=body)
    assert created.status_code == 202, created.text
    shown = admin.get(f"{base}/volumes/{created.json()['volume']['id']}").json()["volume"]
    assert (shown["snapshot_id"], shown["size"], shown["status"]) == (
        snapshot["id"],
        4,
        "available",
    )
    assert shown["volume_type"] == XIV
    no_size = admin.post(f"{base}/volumes", json={"volume": {"snapshot_id": snapshot["id"]}})
    assert no_size.json()["volume"]["size"] == 3
    smaller = admin.post(
        f"{base}/volumes", json={"volume": {"snapshot_id": snapshot["id"], "size": 1}}
    )
    assert "cannot be smaller than the snapshot size" in cinder_error(smaller, 400)
    missing = {"volume": {"snapshot_id": "0a7c1f0e-0000-4000-8000-000000000000", "size": 1}}
    cinder_error(admin.post(f"{base}/volumes", json=missing), 404)


def test_snapshots_hold_their_volume_unless_cascade(admin: TestClient, base: str) -> None:
    volume = new_volume(admin, base)
    snapshot = new_snapshot(admin, base, volume["id"])
    assert "have snapshots" in cinder_error(admin.delete(f"{base}/volumes/{volume['id']}"), 400)
    assert admin.delete(f"{base}/volumes/{volume['id']}?cascade=true").status_code == 202
    cinder_error(admin.get(f"{base}/snapshots/{snapshot['id']}"), 404)
    cinder_error(admin.get(f"{base}/volumes/{volume['id']}"), 404)


def test_in_use_volume_needs_force(emulator: Emulator, admin: TestClient, base: str) -> None:
    volume = new_volume(admin, base)
    admin.get(f"{base}/volumes/{volume['id']}")  # the create step finishes
    emulator.volumes.get(volume["id"]).status = "in-use"
    refused = admin.post(f"{base}/snapshots", json={"snapshot": {"volume_id": volume["id"]}})
    assert "status must be available" in cinder_error(refused, 400)
    forced = {"snapshot": {"volume_id": volume["id"], "force": True}}
    assert admin.post(f"{base}/snapshots", json=forced).status_code == 202


def test_admin_actions(admin: TestClient, base: str) -> None:
    volume = new_volume(admin, base)
    url = f"{base}/snapshots/{new_snapshot(admin, base, volume['id'])['id']}"
    reset = admin.post(f"{url}/action", json={"os-reset_status": {"status": "error"}})
    assert reset.status_code == 202
    assert admin.get(url).json()["snapshot"]["status"] == "error"
    cinder_error(admin.post(f"{url}/action", json={"os-reset_status": {"status": "bad"}}), 400)
    cinder_error(admin.post(f"{url}/action", json={"os-nothing": {}}), 400)
    assert admin.post(f"{url}/action", json={"os-force_delete": {}}).status_code == 202
    cinder_error(admin.get(url), 404)


def test_projects_are_isolated_and_readers_read_only(
    client: TestClient, admin: TestClient, admin_token: str, base: str
) -> None:
    volume = new_volume(admin, base)
    snapshot = new_snapshot(admin, base, volume["id"])
    alice = provision(client, admin_token, "p1", "alice")
    hidden = client.get(
        f"{VOLUME}/{alice.project_id}/snapshots/{snapshot['id']}", headers=alice.headers
    )
    cinder_error(hidden, 404)
    reader = provision(client, admin_token, "p1", "rita", role="reader")
    body = {"snapshot": {"volume_id": volume["id"]}}
    refused = client.post(
        f"{VOLUME}/{reader.project_id}/snapshots", json=body, headers=reader.headers
    )
    cinder_error(refused, 403)


# -- upload to image ----------------------------------------------------------------------------
def test_upload_to_image_makes_an_active_image(admin: TestClient, base: str) -> None:
    volume = new_volume(admin, base, size=2)
    action = {"os-volume_upload_image": {"image_name": "from-volume", "disk_format": "qcow2"}}
    response = admin.post(f"{base}/volumes/{volume['id']}/action", json=action)
    assert response.status_code == 202, response.text
    body = response.json()["os-volume_upload_image"]
    assert (body["status"], body["image_name"], body["disk_format"]) == (
        "uploading",
        "from-volume",
        "qcow2",
    )
    assert body["volume_type"]["name"] == XIV
    image = admin.get(f"{IMAGE}/images/{body['image_id']}").json()
    assert (image["status"], image["disk_format"], image["size"]) == (
        "active",
        "qcow2",
        2 * 1024**3,
    )
    assert admin.get(f"{base}/volumes/{volume['id']}").json()["volume"]["status"] == "available"


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"image_name": ""},
        {"image_name": "x", "disk_format": "tar"},
        {"image_name": "x", "container_format": "ovf"},
        {"image_name": "x", "force": "maybe"},
        {"image_name": "x", "surprise": 1},
        "text",
    ],
)
def test_bad_upload_arguments_are_400(admin: TestClient, base: str, arguments: Any) -> None:
    volume = new_volume(admin, base)
    action = {"os-volume_upload_image": arguments}
    cinder_error(admin.post(f"{base}/volumes/{volume['id']}/action", json=action), 400)


def test_visibility_and_protected_from_31(admin: TestClient, base: str) -> None:
    volume = new_volume(admin, base)
    action = {
        "os-volume_upload_image": {"image_name": "p", "visibility": "public", "protected": True}
    }
    headers = {"OpenStack-API-Version": "volume 3.1"}
    body = admin.post(f"{base}/volumes/{volume['id']}/action", json=action, headers=headers).json()
    upload = body["os-volume_upload_image"]
    assert (upload["visibility"], upload["protected"]) == ("public", True)


# -- extensions and URL shape ---------------------------------------------------------------------
def test_extensions_list_names_hosts(admin: TestClient, base: str) -> None:
    extensions = admin.get(f"{base}/extensions").json()["extensions"]
    assert "Hosts" in {e["name"] for e in extensions}
    assert all(set(e) == {"alias", "name", "description", "updated", "links"} for e in extensions)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_collection_with_trailing_slash_is_a_404(admin: TestClient, base: str, method: str) -> None:
    response = admin.request(method, f"{base}/volumes/", json={"volume": {}})
    cinder_error(response, 404)
    image = admin.request(method, f"{IMAGE}/images/")
    assert image.status_code == 404
