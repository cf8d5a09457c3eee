"""Nova's image proxy (`/images`, up to microversion 2.35) over the image service."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.logs import LogContext
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import COMPUTE, IMAGE

VIEW_KEYS = {
    "id",
    "name",
    "status",
    "progress",
    "minRam",
    "minDisk",
    "metadata",
    "created",
    "updated",
    "links",
    "OS-EXT-IMG-SIZE:size",
}


def powerha(admin: TestClient) -> dict[str, Any]:
    image: dict[str, Any] = admin.get(f"{IMAGE}/images?name=PowerHA713").json()["images"][0]
    return image


def test_show_in_nova_shape(admin: TestClient) -> None:
    glance = powerha(admin)
    image = admin.get(f"{COMPUTE}/images/{glance['id']}").json()["image"]
    assert set(image) == VIEW_KEYS
    assert (image["status"], image["progress"], image["minDisk"]) == ("ACTIVE", 100, 20)
    assert image["metadata"]["os_distro"] == "aix"
    assert [link["rel"] for link in image["links"]] == ["self", "bookmark", "alternate"]
    assert image["links"][2]["type"] == "application/vnd.openstack.image"


def test_lists_filters_and_paging(admin: TestClient) -> None:
    names = {row["name"] for row in admin.get(f"{COMPUTE}/images").json()["images"]}
    assert {"PowerHA713", "AIX72"} <= names
    detail = admin.get(f"{COMPUTE}/images/detail?name=AIX72").json()["images"]
    assert [row["name"] for row in detail] == ["AIX72"]
    assert all(set(row) == VIEW_KEYS for row in detail)
    page = admin.get(f"{COMPUTE}/images?limit=1").json()
    assert len(page["images"]) == 1
    assert "marker=" in page["images_links"][0]["href"]
    assert admin.get(f"{COMPUTE}/images?minDisk=x").status_code == 400


def test_gone_from_236(admin: TestClient) -> None:
    glance = powerha(admin)
    headers = {"OpenStack-API-Version": "compute 2.36"}
    response = admin.get(f"{COMPUTE}/images/{glance['id']}", headers=headers)
    assert response.status_code == 404
    assert response.json()["itemNotFound"]["code"] == 404


def test_metadata_and_delete(admin: TestClient) -> None:
    created = admin.post(f"{IMAGE}/images", json={"name": "scratch"}).json()
    url = f"{COMPUTE}/images/{created['id']}"
    assert admin.post(f"{url}/metadata", json={"metadata": {"a": "1"}}).json() == {
        "metadata": {"a": "1"}
    }
    assert admin.put(f"{url}/metadata/b", json={"meta": {"b": "2"}}).json() == {"meta": {"b": "2"}}
    assert admin.get(f"{url}/metadata/b").json() == {"meta": {"b": "2"}}
    assert admin.put(f"{url}/metadata", json={"metadata": {"c": "3"}}).json()["metadata"] == {
        "c": "3"
    }
    assert admin.delete(f"{url}/metadata/c").status_code == 204
    assert admin.get(f"{url}/metadata/c").status_code == 404
    assert admin.put(f"{url}/metadata/b", json={"meta": {"x": "2"}}).status_code == 400
    assert admin.get(url).json()["image"]["status"] == "SAVING"  # queued: no data yet
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404


@pytest.mark.parametrize("body", [{"metadata": {"a": 1}}, {"metadata": []}, {}, []])
def test_bad_metadata_is_400(admin: TestClient, body: Any) -> None:
    created = admin.post(f"{IMAGE}/images", json={"name": "scratch"}).json()
    response = admin.post(f"{COMPUTE}/images/{created['id']}/metadata", json=body)
    assert response.status_code == 400


def test_snapshot_metadata_wins_over_nova_defaults(emulator: Emulator, admin: TestClient) -> None:
    """createImage's `metadata` overrides the properties nova sets (image_type, as tempest
    checks)."""
    caller = emulator.identity.authenticate(admin.headers["X-Auth-Token"])
    image = emulator.images.create_snapshot(
        caller,
        name="snap",
        server_id="srv-1",
        base_image=None,
        properties={"image_type": "test"},
        block_device_mapping=[],
        context=LogContext("req-1", "u", "p"),
    )
    shown = admin.get(f"{COMPUTE}/images/{image.id}").json()["image"]
    assert shown["metadata"]["image_type"] == "test"
    assert shown["server"]["id"] == "srv-1"
