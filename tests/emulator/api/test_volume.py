"""Cinder v2/v3 through the in-process app: payloads, statuses, microversions, isolation."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.backend.volume_identity import volume_wwn
from powerbridge.emulator.logs import LogContext
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import IDENTITY, VOLUME, password_auth

ROOT = "/powervc/openstack/volume"
XIV = "xiv90 base template"
DETAIL_FIELDS = {
    "id",
    "name",
    "description",
    "size",
    "status",
    "availability_zone",
    "bootable",
    "encrypted",
    "multiattach",
    "attachments",
    "metadata",
    "volume_type",
    "created_at",
    "updated_at",
    "user_id",
    "snapshot_id",
    "source_volid",
    "consistencygroup_id",
    "replication_status",
    "links",
    "os-vol-tenant-attr:tenant_id",
}


def create(admin: TestClient, project_id: str, **fields: Any) -> dict[str, Any]:
    body = {"volume": {"size": 1, "volume_type": XIV, **fields}}
    response = admin.post(f"{VOLUME}/{project_id}/volumes", json=body)
    assert response.status_code == 202, response.text
    volume: dict[str, Any] = response.json()["volume"]
    return volume


def show(client: TestClient, project_id: str, volume_id: str, **headers: str) -> Any:
    return client.get(f"{VOLUME}/{project_id}/volumes/{volume_id}", headers=headers)


def error_message(response: Any) -> str:
    body = response.json()
    (fault,) = body.values()
    assert fault["code"] == response.status_code
    return str(fault["message"])


def second_project_token(client: TestClient, emulator: Emulator) -> tuple[str, str]:
    identity = emulator.identity
    project = identity.create_project("other")
    user = identity.create_user("bob", "secret")
    identity.grant(user.id, project.id, identity.role_by_name("member").id)
    response = client.post(f"{IDENTITY}/auth/tokens", json=password_auth("bob", "secret", "other"))
    assert response.status_code == 201, response.text
    return str(response.headers["x-subject-token"]), project.id


# -- versions -----------------------------------------------------------------------------
def test_versions_document(client: TestClient) -> None:
    response = client.get(f"{ROOT}/")
    assert response.status_code == 300
    v2, v3 = response.json()["versions"]
    assert (v2["id"], v2["status"]) == ("v2.0", "DEPRECATED")
    assert (v3["id"], v3["status"], v3["version"], v3["min_version"]) == (
        "v3.0",
        "CURRENT",
        "3.59",
        "3.0",
    )
    assert {"rel": "self", "href": "http://testserver/powervc/openstack/volume/v3/"} in v3["links"]
    assert v3["media-types"][0]["type"] == "application/vnd.openstack.volume+json;version=3"
    only_v3 = client.get(f"{ROOT}/v3/")
    assert only_v3.status_code == 200
    assert [v["id"] for v in only_v3.json()["versions"]] == ["v3.0"]
    assert [v["id"] for v in client.get(f"{ROOT}/v2/").json()["versions"]] == ["v2.0"]


# -- create -------------------------------------------------------------------------------
def test_create_by_storage_template_name_and_id(admin: TestClient, project_id: str) -> None:
    by_name = create(admin, project_id, name="data1")
    assert by_name["status"] == "creating"
    assert by_name["volume_type"] == XIV
    types = admin.get(f"{VOLUME}/{project_id}/types").json()["volume_types"]
    svc = next(t for t in types if t["name"] == "svc82 base template")
    by_id = create(admin, project_id, volume_type=svc["id"], size=3)
    assert by_id["volume_type"] == "svc82 base template"
    shown = show(admin, project_id, by_id["id"]).json()["volume"]
    assert shown["status"] == "available"
    assert shown["os-vol-host-attr:host"] == "svc82@svc82#svc82_pool1"


def test_create_response_has_only_the_create_fields(admin: TestClient, project_id: str) -> None:
    volume = create(admin, project_id)
    assert "os-vol-tenant-attr:tenant_id" not in volume
    assert "volume_image_metadata" not in volume
    assert volume["updated_at"] is None


def test_unknown_storage_template_is_404(admin: TestClient, project_id: str) -> None:
    url = f"{VOLUME}/{project_id}/volumes"
    response = admin.post(url, json={"volume": {"size": 1, "volume_type": "gold"}})
    assert response.status_code == 404
    assert response.json() == {
        "itemNotFound": {
            "code": 404,
            "message": "Volume type with name gold could not be found.",
        }
    }
    missing = str(uuid.uuid4())
    by_id = admin.post(url, json={"volume": {"size": 1, "volume_type": missing}})
    assert error_message(by_id) == f"Volume type {missing} could not be found."


@pytest.mark.parametrize(
    ("volume", "message"),
    [
        (
            {"size": "abc"},
            "Invalid input for field/attribute size. Value: abc. 'abc' does not match '^[0-9]+$'",
        ),
        (
            {"size": 0},
            "Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1",
        ),
        (
            {"size": 1.5},
            "Invalid input for field/attribute size. Value: 1.5. 1.5 is not of "
            "type 'integer', 'string'",
        ),
        ({}, "Invalid input received: Volume size 'None' must be an integer and greater than 0"),
        (
            {"size": 1, "name": 5},
            "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string', 'null'",
        ),
        (
            {"size": 1, "metadata": {"k": 1}},
            "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'",
        ),
        ({"size": 1, "availability_zone": "az9"}, "Availability zone 'az9' is invalid."),
    ],
)
def test_create_validation(
    admin: TestClient, project_id: str, volume: dict[str, Any], message: str
) -> None:
    response = admin.post(f"{VOLUME}/{project_id}/volumes", json={"volume": volume})
    assert response.status_code == 400
    assert response.json() == {"badRequest": {"code": 400, "message": message}}


def test_create_without_the_volume_key(admin: TestClient, project_id: str) -> None:
    response = admin.post(f"{VOLUME}/{project_id}/volumes", json={"size": 1})
    assert response.status_code == 400
    assert error_message(response) == "'volume' is a required property"


def test_unknown_create_field_refused_from_3_53(admin: TestClient, project_id: str) -> None:
    url = f"{VOLUME}/{project_id}/volumes"
    body = {"volume": {"size": 1, "colour": "red"}}
    assert admin.post(url, json=body).status_code == 202
    strict = admin.post(url, json=body, headers={"OpenStack-API-Version": "volume 3.53"})
    assert strict.status_code == 400
    assert "Additional properties are not allowed ('colour' was unexpected)" in error_message(
        strict
    )


# -- show and list ------------------------------------------------------------------------
def test_detail_fields(admin: TestClient, project_id: str) -> None:
    created = create(admin, project_id, name="d", description="desc", metadata={"a": "b"})
    volume = show(admin, project_id, created["id"]).json()["volume"]
    assert set(volume) >= DETAIL_FIELDS
    assert volume["bootable"] == "false"
    assert volume["availability_zone"] == "nova"
    assert volume["metadata"] == {"a": "b", "volume_wwn": volume_wwn(created["id"])}
    assert volume["os-vol-tenant-attr:tenant_id"] == project_id
    assert volume["os-vol-mig-status-attr:migstat"] is None
    assert datetime.strptime(volume["created_at"], "%Y-%m-%dT%H:%M:%S.%f")
    self_link = volume["links"][0]
    assert self_link == {
        "rel": "self",
        "href": f"http://testserver{VOLUME}/{project_id}/volumes/{created['id']}",
    }
    assert "group_id" not in volume  # 3.13
    listed = admin.get(f"{VOLUME}/{project_id}/volumes").json()["volumes"]
    assert listed == [{"id": created["id"], "name": "d", "links": volume["links"]}]


def test_member_sees_no_admin_fields(
    client: TestClient, admin_token: str, emulator: Emulator
) -> None:
    token, other_project = second_project_token(client, emulator)
    headers = {"X-Auth-Token": token}
    response = client.post(
        f"{VOLUME}/{other_project}/volumes", json={"volume": {"size": 2}}, headers=headers
    )
    assert response.status_code == 202
    volume = show(client, other_project, response.json()["volume"]["id"], **headers).json()[
        "volume"
    ]
    assert "os-vol-host-attr:host" not in volume
    assert "migration_status" not in volume
    assert volume["os-vol-tenant-attr:tenant_id"] == other_project
    assert volume["volume_type"] == XIV  # the default storage template


def test_microversion_fields_and_headers(admin: TestClient, project_id: str) -> None:
    created = create(admin, project_id)
    at_48 = show(admin, project_id, created["id"], **{"OpenStack-API-Version": "volume 3.48"})
    assert at_48.headers["openstack-api-version"] == "volume 3.48"
    assert "OpenStack-API-Version" in at_48.headers["vary"]
    volume = at_48.json()["volume"]
    assert volume["group_id"] is None
    assert volume["provider_id"] is None
    assert volume["shared_targets"] is False
    assert uuid.UUID(volume["service_uuid"])
    at_13 = show(admin, project_id, created["id"], **{"OpenStack-API-Version": "volume 3.13"})
    assert "group_id" in at_13.json()["volume"]
    assert "shared_targets" not in at_13.json()["volume"]
    assert show(admin, project_id, created["id"]).headers["openstack-api-version"] == ("volume 3.0")
    latest = show(admin, project_id, created["id"], **{"OpenStack-API-Version": "volume latest"})
    assert latest.headers["openstack-api-version"] == "volume 3.59"
    too_new = show(admin, project_id, created["id"], **{"OpenStack-API-Version": "volume 3.70"})
    assert too_new.status_code == 406


def test_v2_routes(admin: TestClient, project_id: str) -> None:
    v2 = f"{ROOT}/v2/{project_id}"
    response = admin.post(f"{v2}/volumes", json={"volume": {"size": 1, "display_name": "old"}})
    assert response.status_code == 202
    assert "openstack-api-version" not in response.headers
    volume = response.json()["volume"]
    assert volume["name"] == "old"
    assert volume["links"][0]["href"].startswith(f"http://testserver{v2}/volumes/")
    detail = admin.get(f"{v2}/volumes/detail").json()["volumes"]
    assert [v["id"] for v in detail] == [volume["id"]]
    assert "group_id" not in detail[0]
    assert admin.get(f"{v2}/types").status_code == 200


def test_metadata_filter(admin: TestClient, project_id: str) -> None:
    tagged = create(admin, project_id, metadata={"cluster": "ha1", "role": "shared"})
    create(admin, project_id, metadata={"cluster": "ha2", "role": "shared"})
    url = f"{VOLUME}/{project_id}/volumes/detail"
    query = json.dumps({"cluster": "ha1", "role": "shared"})
    found = admin.get(url, params={"metadata": query}).json()["volumes"]
    assert [v["id"] for v in found] == [tagged["id"]]
    python_literal = admin.get(url, params={"metadata": "{'role': 'shared'}"}).json()
    assert len(python_literal["volumes"]) == 2
    nothing = admin.get(url, params={"metadata": '{"role": "repository"}'}).json()
    assert nothing["volumes"] == []


def test_name_and_status_filters(admin: TestClient, project_id: str) -> None:
    first = create(admin, project_id, name="alpha")
    create(admin, project_id, name="beta")
    url = f"{VOLUME}/{project_id}/volumes/detail"
    assert [v["id"] for v in admin.get(url, params={"name": "alpha"}).json()["volumes"]] == [
        first["id"]
    ]
    assert len(admin.get(url, params={"status": "available"}).json()["volumes"]) == 2
    assert admin.get(url, params={"status": "error"}).json()["volumes"] == []


def test_unknown_filter_refused_for_members_from_3_31(
    client: TestClient, emulator: Emulator
) -> None:
    token, other_project = second_project_token(client, emulator)
    url = f"{VOLUME}/{other_project}/volumes"
    headers = {"X-Auth-Token": token}
    assert client.get(url, params={"colour": "red"}, headers=headers).status_code == 200
    strict = client.get(
        url, params={"colour": "red"}, headers={**headers, "OpenStack-API-Version": "volume 3.31"}
    )
    assert strict.status_code == 400
    assert error_message(strict) == "Invalid filters colour are found in query options."


def test_pagination_with_next_links(admin: TestClient, project_id: str) -> None:
    created = {create(admin, project_id, name=f"v{i}")["id"] for i in range(5)}
    url: str | None = f"{VOLUME}/{project_id}/volumes/detail?limit=2"
    seen: list[str] = []
    pages = 0
    while url:
        body = admin.get(url).json()
        seen.extend(v["id"] for v in body["volumes"])
        pages += 1
        links = body.get("volumes_links", [])
        url = links[0]["href"].removeprefix("http://testserver") if links else None
        if links:
            assert links[0]["rel"] == "next"
            assert "limit=2" in links[0]["href"]
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == created
    assert pages == 3


def test_sorting_and_count(admin: TestClient, project_id: str) -> None:
    for size in (3, 1, 2):
        create(admin, project_id, size=size)
    url = f"{VOLUME}/{project_id}/volumes/detail"
    ascending = admin.get(url, params={"sort": "size:asc"}).json()["volumes"]
    assert [v["size"] for v in ascending] == [1, 2, 3]
    descending = admin.get(url, params={"sort_key": "size", "sort_dir": "desc"}).json()
    assert [v["size"] for v in descending["volumes"]] == [3, 2, 1]
    bad = admin.get(url, params={"sort_dir": "up"})
    assert (
        error_message(bad) == "Invalid input received: Unknown sort direction, must be "
        "'desc' or 'asc'"
    )
    counted = admin.get(
        url,
        params={"limit": "1", "with_count": "true"},
        headers={"OpenStack-API-Version": "volume 3.45"},
    ).json()
    assert counted["count"] == 3
    assert len(counted["volumes"]) == 1
    assert admin.get(url, params={"limit": "x"}).status_code == 400
    missing_marker = admin.get(url, params={"marker": "nope"})
    assert missing_marker.status_code == 404
    assert error_message(missing_marker) == "Marker nope could not be found."


# -- update, metadata, actions, delete ----------------------------------------------------
def test_update_volume(admin: TestClient, project_id: str) -> None:
    volume = create(admin, project_id, name="before", metadata={"x": "1"})
    url = f"{VOLUME}/{project_id}/volumes/{volume['id']}"
    response = admin.put(url, json={"volume": {"name": "after", "metadata": {"y": "2"}}})
    assert response.status_code == 200
    updated = response.json()["volume"]
    assert (updated["name"], updated["metadata"]) == ("after", {"y": "2"})
    assert updated["updated_at"] is not None
    bad = admin.put(url, json={"volume": {"size": 3}})
    assert bad.status_code == 400
    assert "Additional properties are not allowed ('size' was unexpected)" in error_message(bad)


def test_metadata_endpoints(admin: TestClient, project_id: str) -> None:
    volume = create(admin, project_id, metadata={"a": "1"})
    url = f"{VOLUME}/{project_id}/volumes/{volume['id']}/metadata"
    wwn = {"volume_wwn": volume_wwn(volume["id"])}  # the driver's, as PowerVC shows it
    assert admin.get(url).json() == {"metadata": {"a": "1", **wwn}}
    merged = admin.post(url, json={"metadata": {"b": "2"}})
    assert merged.json() == {"metadata": {"a": "1", "b": "2", **wwn}}
    replaced = admin.put(url, json={"metadata": {"c": "3"}})
    assert replaced.json() == {"metadata": {"c": "3"}}
    assert admin.get(f"{url}/c").json() == {"meta": {"c": "3"}}
    assert admin.put(f"{url}/d", json={"meta": {"d": "4"}}).json() == {"meta": {"d": "4"}}
    mismatch = admin.put(f"{url}/e", json={"meta": {"f": "5"}})
    assert error_message(mismatch) == "Request body and URI mismatch"
    assert admin.delete(f"{url}/c").status_code == 200
    missing = admin.get(f"{url}/c")
    assert missing.status_code == 404
    assert error_message(missing) == "Metadata item was not found"
    assert admin.get(url).json() == {"metadata": {"d": "4"}}


def test_extend(admin: TestClient, project_id: str) -> None:
    volume = create(admin, project_id, size=2)
    action = f"{VOLUME}/{project_id}/volumes/{volume['id']}/action"
    assert admin.post(action, json={"os-extend": {"new_size": 5}}).status_code == 202
    assert show(admin, project_id, volume["id"]).json()["volume"]["size"] == 5
    smaller = admin.post(action, json={"os-extend": {"new_size": 3}})
    assert smaller.status_code == 400
    assert error_message(smaller).startswith(
        "Invalid input received: New size for extend must be greater than current size."
    )
    missing = admin.post(action, json={"os-extend": {}})
    assert error_message(missing) == (
        "Invalid input for field/attribute os-extend. Value: {}. 'new_size' is a required property"
    )
    unknown = admin.post(action, json={"os-frobnicate": {}})
    assert error_message(unknown) == "There is no such action: os-frobnicate"


def test_other_actions(admin: TestClient, project_id: str) -> None:
    volume = create(admin, project_id)
    action = f"{VOLUME}/{project_id}/volumes/{volume['id']}/action"
    assert admin.post(action, json={"os-set_bootable": {"bootable": True}}).status_code == 200
    readonly = admin.post(action, json={"os-update_readonly_flag": {"readonly": True}})
    assert readonly.status_code == 202
    shown = show(admin, project_id, volume["id"]).json()["volume"]
    assert shown["bootable"] == "true"
    assert shown["metadata"] == {"readonly": "True", "volume_wwn": volume_wwn(volume["id"])}
    reset = admin.post(action, json={"os-reset_status": {"status": "error"}})
    assert reset.status_code == 202
    assert show(admin, project_id, volume["id"]).json()["volume"]["status"] == "error"
    invalid = admin.post(action, json={"os-reset_status": {"status": "sleepy"}})
    assert error_message(invalid) == "Must specify a valid status"


def test_delete_refused_while_in_use(
    admin: TestClient, admin_token: str, project_id: str, emulator: Emulator
) -> None:
    volume = create(admin, project_id)
    assert show(admin, project_id, volume["id"]).json()["volume"]["status"] == "available"
    caller = emulator.identity.authenticate(admin_token)
    context = LogContext("req-compute-test")
    emulator.volumes.reserve(volume["id"], "server-1", caller)
    emulator.volumes.begin_attach(volume["id"], "server-1", "host-1", "/dev/sdb", context)
    url = f"{VOLUME}/{project_id}/volumes/{volume['id']}"
    refused = admin.delete(url)
    assert refused.status_code == 400
    assert error_message(refused) == (
        "Invalid volume: Volume status must be available or error or error_restoring or "
        "error_extending or error_managing and must not be migrating, attached, belong to a "
        "group, have snapshots or be disassociated from snapshots after volume transfer."
    )
    shown = show(admin, project_id, volume["id"]).json()["volume"]
    assert shown["status"] == "in-use"
    (attachment,) = shown["attachments"]
    assert attachment["server_id"] == "server-1"
    assert attachment["attachment_id"] != volume["id"]
    assert attachment["id"] == volume["id"]
    assert attachment["host_name"] == "host-1"
    assert shown["metadata"] == {"attached_mode": "rw", "volume_wwn": volume_wwn(volume["id"])}

    emulator.volumes.begin_detach(volume["id"], "server-1", context)
    assert admin.delete(url).status_code == 202
    assert show(admin, project_id, volume["id"]).status_code == 404


# -- isolation ----------------------------------------------------------------------------
def test_other_projects_volumes_are_404(
    admin: TestClient, project_id: str, emulator: Emulator
) -> None:
    mine = create(admin, project_id)
    token, other_project = second_project_token(admin, emulator)
    headers = {"X-Auth-Token": token}
    hidden = admin.get(f"{VOLUME}/{other_project}/volumes/{mine['id']}", headers=headers)
    assert hidden.status_code == 404
    assert error_message(hidden) == f"Volume {mine['id']} could not be found."
    listed = admin.get(f"{VOLUME}/{other_project}/volumes", headers=headers)
    assert listed.json() == {"volumes": []}
    wrong_path = admin.get(f"{VOLUME}/{project_id}/volumes", headers=headers)
    assert wrong_path.status_code == 403
    everything = admin.get(f"{VOLUME}/{project_id}/volumes", params={"all_tenants": "1"})
    assert [v["id"] for v in everything.json()["volumes"]] == [mine["id"]]


# -- types, limits, pools -----------------------------------------------------------------
def test_storage_templates_name_their_provider(admin: TestClient, project_id: str) -> None:
    """As in PowerVC, a storage template's extra specs name its provider and pool, and they
    match the storage provider list and where the template's volumes are allocated."""
    types = admin.get(f"{VOLUME}/{project_id}/types").json()["volume_types"]
    svc = next(t for t in types if t["name"] == "svc82 base template")
    specs = admin.get(f"{VOLUME}/{project_id}/types/{svc['id']}/extra_specs").json()
    assert specs["extra_specs"]["capabilities:volume_backend_name"] == "svc82"
    assert specs["extra_specs"]["drivers:storage_pool"] == "svc82_pool1"
    providers = admin.get(f"{VOLUME}/{project_id}/storage-providers").json()
    assert "svc82" in [p["storage_hostname"] for p in providers["storage_providers"]]
    volume = create(admin, project_id, volume_type="svc82 base template")
    shown = admin.get(f"{VOLUME}/{project_id}/volumes/{volume['id']}").json()["volume"]
    assert shown["os-vol-host-attr:host"] == "svc82@svc82#svc82_pool1"


def test_volume_types(admin: TestClient, project_id: str) -> None:
    url = f"{VOLUME}/{project_id}/types"
    types = admin.get(url).json()["volume_types"]
    assert [t["name"] for t in types] == [XIV, "svc82 base template"]
    xiv = types[0]
    assert xiv["extra_specs"] == {
        "capabilities:volume_backend_name": "xiv90",
        "drivers:storage_pool": "xiv90_pool1",
        "drivers:thin": "true",
    }
    assert xiv["is_public"] is True
    assert admin.get(f"{url}/{xiv['id']}").json()["volume_type"]["name"] == XIV
    assert admin.get(f"{url}/default").json()["volume_type"]["id"] == xiv["id"]
    created = admin.post(
        url,
        json={"volume_type": {"name": "shared", "extra_specs": {"multiattach": "<is> True"}}},
    )
    assert created.status_code == 200
    shared = created.json()["volume_type"]
    assert shared["os-volume-type-access:is_public"] is True
    duplicate = admin.post(url, json={"volume_type": {"name": "shared"}})
    assert duplicate.status_code == 409
    specs = f"{url}/{shared['id']}/extra_specs"
    assert admin.post(specs, json={"extra_specs": {"k": "v"}}).json() == {"extra_specs": {"k": "v"}}
    assert admin.get(specs).json()["extra_specs"] == {"multiattach": "<is> True", "k": "v"}
    assert admin.put(f"{specs}/k", json={"k": "w"}).json() == {"k": "w"}
    assert admin.get(f"{specs}/k").json() == {"k": "w"}
    assert admin.delete(f"{specs}/k").status_code == 202
    assert admin.get(f"{specs}/k").status_code == 404
    volume = create(admin, project_id, volume_type="shared")
    assert volume["multiattach"] is True
    in_use = admin.delete(f"{url}/{shared['id']}")
    assert error_message(in_use) == "Target volume type is still in use."
    missing = admin.get(f"{url}/{uuid.uuid4()}")
    assert missing.status_code == 404


def test_members_cannot_manage_types(client: TestClient, emulator: Emulator) -> None:
    token, other_project = second_project_token(client, emulator)
    response = client.post(
        f"{VOLUME}/{other_project}/types",
        json={"volume_type": {"name": "x"}},
        headers={"X-Auth-Token": token},
    )
    assert response.status_code == 403
    assert error_message(response) == (
        "Policy doesn't allow volume_extension:types_manage to be performed."
    )
    pools = client.get(
        f"{VOLUME}/{other_project}/scheduler-stats/get_pools", headers={"X-Auth-Token": token}
    )
    assert pools.status_code == 403


def test_limits(admin: TestClient, project_id: str) -> None:
    create(admin, project_id, size=4)
    create(admin, project_id, size=6)
    absolute = admin.get(f"{VOLUME}/{project_id}/limits").json()["limits"]["absolute"]
    assert absolute["totalVolumesUsed"] == 2
    assert absolute["totalGigabytesUsed"] == 10
    assert absolute["maxTotalVolumes"] == -1


def test_pools(admin: TestClient, project_id: str) -> None:
    create(admin, project_id, size=100)
    url = f"{VOLUME}/{project_id}/scheduler-stats/get_pools"
    names = [p["name"] for p in admin.get(url).json()["pools"]]
    assert names == [
        "xiv90@xiv90#xiv90_pool1",
        "svc82@svc82#svc82_pool1",
        "svc82@svc82#svc82_pool2",
    ]
    detailed = admin.get(url, params={"detail": "True"}).json()["pools"][0]["capabilities"]
    assert detailed["total_capacity_gb"] == 20480
    assert detailed["free_capacity_gb"] == 20380
    assert detailed["volume_backend_name"] == "xiv90"


def test_logs_name_the_request(admin: TestClient, project_id: str, emulator: Emulator) -> None:
    response = admin.post(f"{VOLUME}/{project_id}/volumes", json={"volume": {"size": 1}})
    request_id = response.headers["x-openstack-request-id"]
    volume_log = (emulator.log_dir / "cinder" / "volume-10.30.0.1.log").read_text()
    assert request_id in volume_log
    api_log = (emulator.log_dir / "cinder" / "api.log").read_text()
    assert request_id in api_log


def test_services_and_quotas(admin: TestClient, project_id: str) -> None:
    create(admin, project_id, size=3)
    services = admin.get(f"{VOLUME}/{project_id}/os-services").json()["services"]
    assert [(s["binary"], s["host"]) for s in services] == [
        ("cinder-scheduler", "powervc"),
        ("cinder-volume", "xiv90@xiv90"),
        ("cinder-volume", "svc82@svc82"),
    ]
    assert all(s["state"] == "up" for s in services)
    url = f"{VOLUME}/{project_id}/os-quota-sets/{project_id}"
    limits = admin.get(url).json()["quota_set"]
    assert limits["id"] == project_id
    assert limits["volumes"] == -1
    usage = admin.get(url, params={"usage": "True"}).json()["quota_set"]
    assert usage["gigabytes"] == {"limit": -1, "in_use": 3, "reserved": 0}
    assert usage[f"volumes_{XIV}"]["in_use"] == 1
