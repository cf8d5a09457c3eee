"""Glance v2 through the in-process app: payloads, statuses and error bodies as glance sends."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import IDENTITY, IMAGE, password_auth

ROOT = IMAGE.removesuffix("/v2")
PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
OCTET = {"Content-Type": "application/octet-stream"}
SEEDED = ["PowerHA713", "PowerHA72", "AIX72", "RHEL84-LE", "IBMi74"]
IMAGE_KEYS = {
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "os_hidden",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "owner",
    "size",
    "virtual_size",
    "min_ram",
    "min_disk",
    "disk_format",
    "container_format",
    "created_at",
    "updated_at",
    "tags",
    "self",
    "file",
    "schema",
}


def user_token(admin: TestClient, name: str, role: str = "member") -> str:
    """A token for a new user holding `role` in a new project of the same name."""
    project = admin.post(f"{IDENTITY}/projects", json={"project": {"name": name}})
    assert project.status_code == 201, project.text
    user = admin.post(f"{IDENTITY}/users", json={"user": {"name": name, "password": "pw"}})
    assert user.status_code == 201, user.text
    role_id = admin.get(f"{IDENTITY}/roles", params={"name": role}).json()["roles"][0]["id"]
    project_id, user_id = project.json()["project"]["id"], user.json()["user"]["id"]
    granted = admin.put(f"{IDENTITY}/projects/{project_id}/users/{user_id}/roles/{role_id}")
    assert granted.status_code == 204
    issued = admin.post(f"{IDENTITY}/auth/tokens", json=password_auth(name, "pw", name))
    assert issued.status_code == 201, issued.text
    return str(issued.headers["x-subject-token"])


def create(admin: TestClient, **body: Any) -> dict[str, Any]:
    response = admin.post(f"{IMAGE}/images", json={"name": "new", **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


def names(response: Any) -> list[str]:
    return [image["name"] for image in response.json()["images"]]


def assert_glance_error(response: Any, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["message"] == message
    assert body["code"].startswith(f"{status} ")


# -- discovery and schemas ------------------------------------------------------------
def test_versions_document(client: TestClient) -> None:
    root = client.get(ROOT)
    assert root.status_code == 300
    versions = root.json()["versions"]
    assert [v["id"] for v in versions] == [f"v2.{n}" for n in range(9, -1, -1)]
    assert versions[0]["status"] == "CURRENT"
    assert {v["status"] for v in versions[1:]} == {"SUPPORTED"}
    assert versions[0]["links"] == [{"rel": "self", "href": f"http://testserver{ROOT}/v2/"}]
    explicit = client.get(f"{ROOT}/versions")
    assert explicit.status_code == 200
    assert explicit.json() == root.json()


def test_schemas(admin: TestClient) -> None:
    image = admin.get(f"{IMAGE}/schemas/image").json()
    assert image["name"] == "image"
    assert image["additionalProperties"] == {"type": "string"}
    assert set(image["properties"]) >= IMAGE_KEYS
    assert image["properties"]["os_distro"]["is_base"] is False
    images = admin.get(f"{IMAGE}/schemas/images").json()
    assert images["properties"]["images"]["items"] == image
    assert admin.get(f"{IMAGE}/schemas/members").json()["name"] == "members"


# -- listing --------------------------------------------------------------------------
def test_list_returns_seeded_images_in_glance_shape(admin: TestClient) -> None:
    response = admin.get(f"{IMAGE}/images")
    assert response.status_code == 200
    body = response.json()
    assert names(response) == SEEDED
    assert body["first"] == "/v2/images"
    assert body["schema"] == "/v2/schemas/images"
    assert "next" not in body
    assert names(admin.get(f"{IMAGE}/images/detail")) == SEEDED


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("os_distro=aix", ["PowerHA713", "PowerHA72", "AIX72"]),
        ("name=AIX72", ["AIX72"]),
        ("name=in:IBMi74,AIX72", ["AIX72", "IBMi74"]),
        ("status=in:queued,active&endianness=little-endian", ["RHEL84-LE"]),
        ("visibility=public&size_min=32212254721", ["IBMi74"]),
        ("size_max=21474836480", ["PowerHA713", "PowerHA72", "AIX72"]),
        ("visibility=private", []),
        ("sort=name:asc", ["AIX72", "IBMi74", "PowerHA713", "PowerHA72", "RHEL84-LE"]),
        (
            "sort_key=size&sort_dir=desc&sort_key=name&sort_dir=asc",
            ["IBMi74", "RHEL84-LE", "AIX72", "PowerHA713", "PowerHA72"],
        ),
        ("sort_key=name", ["RHEL84-LE", "PowerHA72", "PowerHA713", "IBMi74", "AIX72"]),
        ("created_at=gte:2000-01-01T00:00:00Z&sort=name:asc", sorted(SEEDED)),
        ("updated_at=lt:2000-01-01T00:00:00Z", []),
    ],
)
def test_list_filters_and_sorts(admin: TestClient, query: str, expected: list[str]) -> None:
    response = admin.get(f"{IMAGE}/images?{query}")
    assert response.status_code == 200, response.text
    assert names(response) == expected


def test_list_paginates_with_next_links(admin: TestClient) -> None:
    first = admin.get(f"{IMAGE}/images", params={"limit": 3, "sort": "name:asc"})
    body = first.json()
    assert names(first) == ["AIX72", "IBMi74", "PowerHA713"]
    assert body["first"] == "/v2/images?limit=3&sort=name%3Aasc"
    next_link = urlsplit(body["next"])
    assert next_link.path == "/v2/images"
    query = dict(parse_qsl(next_link.query))
    assert query == {"limit": "3", "sort": "name:asc", "marker": body["images"][-1]["id"]}
    second = admin.get(f"{ROOT}{body['next']}")
    assert names(second) == ["PowerHA72", "RHEL84-LE"]
    assert "next" not in second.json()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=x", "limit param must be an integer"),
        ("limit=-1", "limit param must be positive"),
        ("marker=nope", "No image found with ID nope"),
        (
            "sort_key=owner",
            "Invalid sort key: owner. It must be one of the following: name, status, "
            "container_format, disk_format, size, id, created_at, updated_at.",
        ),
        ("sort_dir=up", "Invalid sort direction: up"),
        ("sort=name&sort_key=id", "Old and new sorting syntax cannot be combined"),
        ("visibility=everyone", "Invalid visibility value: everyone"),
        ("member_status=maybe", "Invalid status: maybe"),
        ("created_at=soon:2000-01-01", "Unable to filter using the specified operator."),
        ("size_min=big", "Unable to filter using the specified range."),
        ("changes-since=2000-01-01", 'The "changes-since" filter is no longer available on v2.'),
        (
            "os_hidden=perhaps",
            "Invalid value 'perhaps' for 'os_hidden' filter. Valid values are 'true' or 'false'.",
        ),
    ],
)
def test_list_rejects_bad_parameters(admin: TestClient, query: str, message: str) -> None:
    assert_glance_error(admin.get(f"{IMAGE}/images?{query}"), 400, message)


def test_list_filters_on_tags(admin: TestClient) -> None:
    image = create(admin, tags=["ha", "aix"])
    create(admin, name="other", tags=["ha"])
    response = admin.get(f"{IMAGE}/images?tag=ha&tag=aix")
    assert [i["id"] for i in response.json()["images"]] == [image["id"]]


# -- show and create ------------------------------------------------------------------
def test_show_has_every_glance_field(admin: TestClient, project_id: str) -> None:
    image_id = admin.get(f"{IMAGE}/images?name=AIX72").json()["images"][0]["id"]
    response = admin.get(f"{IMAGE}/images/{image_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= IMAGE_KEYS
    assert body["self"] == f"/v2/images/{image_id}"
    assert body["file"] == f"/v2/images/{image_id}/file"
    assert body["schema"] == "/v2/schemas/image"
    assert body["owner"] == project_id
    assert body["os_distro"] == "aix"
    assert body["hypervisor_type"] == "phyp"
    assert body["created_at"].endswith("Z")
    assert len(body["created_at"]) == 20


def test_create_returns_a_queued_image_with_nulls(admin: TestClient, project_id: str) -> None:
    response = admin.post(f"{IMAGE}/images", json={"name": "fresh", "os_distro": "aix"})
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"].endswith(f"/image/v2/images/{body['id']}")
    assert body["status"] == "queued"
    assert body["visibility"] == "shared"
    for key in ("size", "virtual_size", "checksum", "os_hash_value", "disk_format"):
        assert body[key] is None
    assert (body["min_ram"], body["min_disk"], body["protected"]) == (0, 0, False)
    assert body["owner"] == project_id
    assert body["os_distro"] == "aix"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"status": "active"}, 403, "Attribute 'status' is read-only."),
        ({"size": 3}, 403, "Attribute 'size' is read-only."),
        ({"self": "/x"}, 403, "Attribute 'self' is read-only."),
        ({"os_glance_x": "1"}, 403, "Attribute 'os_glance_x' is reserved."),
        (
            {"protected": "yes"},
            400,
            "Provided object does not match schema 'image': 'yes' is not of type 'boolean'",
        ),
        (
            {"min_ram": "1"},
            400,
            "Provided object does not match schema 'image': '1' is not of type 'integer'",
        ),
        (
            {"visibility": "everyone"},
            400,
            "Provided object does not match schema 'image': 'everyone' is not one of "
            "['community', 'public', 'private', 'shared']",
        ),
        (
            {"id": "abc"},
            400,
            "Provided object does not match schema 'image': 'abc' does not match "
            "'^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
            "-([0-9a-fA-F]){12}$'",
        ),
    ],
)
def test_create_refuses_bad_attributes(
    admin: TestClient, body: dict[str, Any], status: int, message: str
) -> None:
    assert_glance_error(admin.post(f"{IMAGE}/images", json=body), status, message)


def test_create_with_a_chosen_id_and_a_duplicate(admin: TestClient) -> None:
    chosen = "11111111-2222-3333-4444-555555555555"
    assert create(admin, id=chosen)["id"] == chosen
    again = admin.post(f"{IMAGE}/images", json={"id": chosen})
    assert_glance_error(again, 409, f"Image with identifier {chosen} already exists!")


# -- data -----------------------------------------------------------------------------
def test_upload_and_download_round_trip(admin: TestClient) -> None:
    image = create(admin, disk_format="raw", container_format="bare")
    url = f"{IMAGE}/images/{image['id']}"
    assert admin.get(f"{url}/file").status_code == 204  # nothing uploaded yet
    data = bytes(range(256)) * 64
    refused = admin.put(f"{url}/file", content=data, headers={"Content-Type": "text/plain"})
    assert_glance_error(refused, 415, "Invalid content type text/plain")
    assert admin.put(f"{url}/file", content=data, headers=OCTET).status_code == 204
    shown = admin.get(url).json()
    assert shown["status"] == "active"
    assert shown["size"] == len(data)
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    download = admin.get(f"{url}/file")
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-md5"] == shown["checksum"]
    assert download.headers["content-type"] == "application/octet-stream"
    again = admin.put(f"{url}/file", content=b"x", headers=OCTET)
    assert_glance_error(again, 409, "Image status transition from active to saving is not allowed")


# -- update ---------------------------------------------------------------------------
def test_patch_renames_and_edits_properties(admin: TestClient) -> None:
    image = create(admin, os_distro="aix")
    url = f"{IMAGE}/images/{image['id']}"
    patch = [
        {"op": "replace", "path": "/name", "value": "renamed"},
        {"op": "add", "path": "/os_version", "value": "7.3"},
        {"op": "remove", "path": "/os_distro"},
        {"op": "replace", "path": "/min_disk", "value": 40},
    ]
    response = admin.patch(url, json=patch, headers=PATCH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["os_version"], body["min_disk"]) == ("renamed", "7.3", 40)
    assert "os_distro" not in body
    assert admin.get(url).json()["name"] == "renamed"


def test_patch_accepts_the_draft_4_form(admin: TestClient) -> None:
    image = create(admin)
    draft4 = {"Content-Type": "application/openstack-images-v2.0-json-patch"}
    response = admin.patch(
        f"{IMAGE}/images/{image['id']}", json=[{"replace": "/name", "value": "d4"}], headers=draft4
    )
    assert response.status_code == 200
    assert response.json()["name"] == "d4"


@pytest.mark.parametrize(
    ("patch", "status", "message"),
    [
        ({"op": "replace"}, 400, "Request body must be a JSON array of operation objects."),
        (["x"], 400, "Operations must be JSON objects."),
        (
            [{"op": "move", "path": "/name"}],
            400,
            "Invalid operation: `move`. It must be one of the following: add, remove, replace.",
        ),
        (
            [{"op": "replace", "path": "name", "value": "x"}],
            400,
            'Pointer `name` does not start with "/".',
        ),
        ([{"op": "add", "path": "/name"}], 400, 'Operation "add" requires a member named "value".'),
        (
            [{"op": "replace", "path": "/a/b", "value": "x"}],
            400,
            "Invalid JSON pointer for this resource: '/a/b'",
        ),
        (
            [{"op": "replace", "path": "/status", "value": "active"}],
            403,
            "Attribute 'status' is read-only.",
        ),
        (
            [{"op": "replace", "path": "/checksum", "value": "0"}],
            403,
            "Attribute 'checksum' is read-only.",
        ),
        ([{"op": "remove", "path": "/name"}], 403, "Property name may not be removed."),
        ([{"op": "replace", "path": "/nope", "value": "x"}], 409, "Property nope does not exist."),
        (
            [{"op": "add", "path": "/os_distro", "value": 5}],
            400,
            "Provided object does not match schema 'image': 5 is not of type 'string'",
        ),
    ],
)
def test_patch_refuses_bad_documents(
    admin: TestClient, patch: Any, status: int, message: str
) -> None:
    image = create(admin)
    response = admin.patch(f"{IMAGE}/images/{image['id']}", json=patch, headers=PATCH)
    assert_glance_error(response, status, message)


def test_patch_needs_the_json_patch_media_type(admin: TestClient) -> None:
    image = create(admin)
    response = admin.patch(
        f"{IMAGE}/images/{image['id']}", json=[{"op": "replace", "path": "/name", "value": "x"}]
    )
    assert response.status_code == 415
    assert "application/openstack-images-v2.1-json-patch" in response.headers["accept-patch"]
    assert response.json()["title"] == "Unsupported Media Type"


# -- delete, tags, actions ------------------------------------------------------------
def test_protected_image_cannot_be_deleted(admin: TestClient) -> None:
    image = create(admin, protected=True)
    url = f"{IMAGE}/images/{image['id']}"
    refused = admin.delete(url)
    assert_glance_error(refused, 403, f"Image {image['id']} is protected and cannot be deleted.")
    unprotect = [{"op": "replace", "path": "/protected", "value": False}]
    assert admin.patch(url, json=unprotect, headers=PATCH).status_code == 200
    assert admin.delete(url).status_code == 204
    assert_glance_error(admin.get(url), 404, f"No image found with ID {image['id']}")
    gone = admin.delete(url)
    assert_glance_error(gone, 404, f"Failed to find image {image['id']} to delete")


def test_tags_are_added_and_removed(admin: TestClient) -> None:
    image = create(admin)
    url = f"{IMAGE}/images/{image['id']}"
    assert admin.put(f"{url}/tags/powerha").status_code == 204
    assert admin.put(f"{url}/tags/powerha").status_code == 204  # idempotent
    assert admin.get(url).json()["tags"] == ["powerha"]
    assert admin.delete(f"{url}/tags/powerha").status_code == 204
    assert admin.get(url).json()["tags"] == []
    assert admin.delete(f"{url}/tags/powerha").status_code == 404


def test_deactivate_and_reactivate(admin: TestClient) -> None:
    image_id = admin.get(f"{IMAGE}/images?name=AIX72").json()["images"][0]["id"]
    url = f"{IMAGE}/images/{image_id}"
    assert admin.post(f"{url}/actions/deactivate").status_code == 204
    assert admin.get(url).json()["status"] == "deactivated"
    assert admin.post(f"{url}/actions/reactivate").status_code == 204
    assert admin.get(url).json()["status"] == "active"
    queued = create(admin)
    refused = admin.post(f"{IMAGE}/images/{queued['id']}/actions/deactivate")
    assert_glance_error(refused, 403, "Not allowed to deactivate image in status 'queued'")


# -- other projects -------------------------------------------------------------------
def test_other_projects_cannot_see_private_images(admin: TestClient) -> None:
    private = create(admin, name="secret", visibility="private")
    token = user_token(admin, "tenant-b")
    other = {"X-Auth-Token": token}
    shown = admin.get(f"{IMAGE}/images/{private['id']}", headers=other)
    assert_glance_error(shown, 404, f"No image found with ID {private['id']}")
    listed = admin.get(f"{IMAGE}/images", headers=other)
    assert names(listed) == SEEDED  # public images are listed for everyone
    seeded_id = listed.json()["images"][0]["id"]
    rename = [{"op": "replace", "path": "/name", "value": "taken"}]
    refused = admin.patch(f"{IMAGE}/images/{seeded_id}", json=rename, headers={**PATCH, **other})
    assert_glance_error(refused, 403, "You are not authorized to complete modify_image action.")
    assert admin.delete(f"{IMAGE}/images/{seeded_id}", headers=other).status_code == 403
    mine = admin.post(f"{IMAGE}/images", json={"name": "mine"}, headers=other)
    assert mine.status_code == 201
    assert mine.json()["owner"] != private["owner"]
    public = admin.post(f"{IMAGE}/images", json={"visibility": "public"}, headers=other)
    assert_glance_error(public, 403, "You are not authorized to complete publicize_image action.")


def test_readers_cannot_write(admin: TestClient) -> None:
    reader = {"X-Auth-Token": user_token(admin, "auditor", role="reader")}
    assert admin.get(f"{IMAGE}/images", headers=reader).status_code == 200
    refused = admin.post(f"{IMAGE}/images", json={"name": "x"}, headers=reader)
    assert_glance_error(refused, 403, "You are not authorized to complete add_image action.")


def test_members_share_an_image(admin: TestClient) -> None:
    token = user_token(admin, "partner")
    partner = {"X-Auth-Token": token}
    partner_project = admin.get(f"{IDENTITY}/auth/projects", headers=partner).json()
    member_id = partner_project["projects"][0]["id"]
    shared = create(admin, name="shared-one")
    members = f"{IMAGE}/images/{shared['id']}/members"
    added = admin.post(members, json={"member": member_id})
    assert added.status_code == 200
    assert added.json()["status"] == "pending"
    assert added.json()["schema"] == "/v2/schemas/member"
    assert admin.post(members, json={"member": member_id}).status_code == 409
    assert "shared-one" not in names(admin.get(f"{IMAGE}/images", headers=partner))
    pending = admin.get(f"{IMAGE}/images?member_status=pending", headers=partner)
    assert "shared-one" in names(pending)
    accepted = admin.put(f"{members}/{member_id}", json={"status": "accepted"}, headers=partner)
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert "shared-one" in names(admin.get(f"{IMAGE}/images", headers=partner))
    listing = admin.get(members).json()
    assert [m["member_id"] for m in listing["members"]] == [member_id]
    assert listing["schema"] == "/v2/schemas/members"
    assert admin.delete(f"{members}/{member_id}").status_code == 204
    hidden = admin.get(f"{IMAGE}/images/{shared['id']}", headers=partner)
    assert hidden.status_code == 404


def test_requests_and_uploads_are_logged(admin: TestClient, emulator: Emulator) -> None:
    image = create(admin, disk_format="raw", container_format="bare")
    response = admin.put(f"{IMAGE}/images/{image['id']}/file", content=b"abc", headers=OCTET)
    request_id = response.headers["x-openstack-request-id"]
    log = emulator.logs.path("glance-api").read_text()
    assert f'"PUT {IMAGE}/images/{image["id"]}/file" status: 204' in log
    assert f"[{request_id} " in log
    assert f"Uploaded data of image {image['id']}: 3 bytes" in log
