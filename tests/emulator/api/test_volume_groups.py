"""Cinder's generic volume groups (PowerVC's consistency groups), their types and group
snapshots, over HTTP at the microversions that added them."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.emulator_http import VOLUME, provision

XIV = "xiv90 base template"
AT = {"OpenStack-API-Version": "volume 3.20"}


@pytest.fixture
def base(project_id: str) -> str:
    return f"{VOLUME}/{project_id}"


def _post(admin: TestClient, url: str, body: dict[str, Any], status: int = 202) -> Any:
    response = admin.post(url, json=body, headers=AT)
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _fault(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    (fault,) = response.json().values()
    assert fault["code"] == status
    return str(fault["message"])


def _xiv_type(admin: TestClient, base: str) -> str:
    types = admin.get(f"{base}/types").json()["volume_types"]
    return str(next(t["id"] for t in types if t["name"] == XIV))


def _group(admin: TestClient, base: str, type_id: str) -> str:
    body = {"group": {"group_type": "default_grouptype", "volume_types": [type_id], "name": "g"}}
    created = _post(admin, f"{base}/groups", body)["group"]
    assert set(created) == {"id", "name"}
    return str(created["id"])


def _member(admin: TestClient, base: str, group_id: str, type_id: str) -> str:
    body = {"volume": {"size": 1, "volume_type": type_id, "group_id": group_id}}
    volume = _post(admin, f"{base}/volumes", body)["volume"]
    assert volume["group_id"] == group_id
    return str(volume["id"])


def test_group_types_and_their_specs(admin: TestClient, base: str) -> None:
    _fault(admin.get(f"{base}/group_types"), 404)  # before 3.11 the route does not exist
    default = admin.get(f"{base}/group_types/default", headers=AT).json()["group_type"]
    assert default["name"] == "default_grouptype"
    assert default["group_specs"] == {"consistent_group_snapshot_enabled": "<is> True"}
    body = {"group_type": {"name": "private-gt", "is_public": False, "group_specs": {"a": "b"}}}
    created = _post(admin, f"{base}/group_types", body)["group_type"]
    assert set(created) == {"id", "name", "description", "is_public", "group_specs"}
    listed = admin.get(f"{base}/group_types", headers=AT).json()["group_types"]
    assert created["id"] not in [t["id"] for t in listed]  # public types by default
    private = admin.get(f"{base}/group_types?is_public=false", headers=AT).json()
    assert [t["id"] for t in private["group_types"]] == [created["id"]]
    specs = f"{base}/group_types/{created['id']}/group_specs"
    _post(admin, specs, {"group_specs": {"c": "d"}})
    assert admin.get(specs, headers=AT).json()["group_specs"] == {"a": "b", "c": "d"}
    assert admin.delete(f"{specs}/a", headers=AT).status_code == 202
    message = _fault(admin.get(f"{specs}/a", headers=AT), 404)
    assert message == f"Group Type {created['id']} has no specs with key a."
    assert admin.delete(f"{base}/group_types/{created['id']}", headers=AT).status_code == 202


def test_a_group_holds_volumes_and_snapshots_them_together(admin: TestClient, base: str) -> None:
    type_id = _xiv_type(admin, base)
    group_id = _group(admin, base, type_id)
    first, second = (_member(admin, base, group_id, type_id) for _ in range(2))
    shown = admin.get(f"{base}/groups/{group_id}", headers=AT).json()["group"]
    assert (shown["status"], shown["volume_types"]) == ("available", [type_id])
    refused = _fault(admin.delete(f"{base}/volumes/{first}"), 400)
    assert "belong to a group" in refused
    update = {"group": {"remove_volumes": second, "name": "renamed"}}
    assert admin.put(f"{base}/groups/{group_id}", json=update, headers=AT).status_code == 202
    members = admin.get(f"{base}/volumes/detail?group_id={group_id}", headers=AT).json()
    assert [v["id"] for v in members["volumes"]] == [first]
    body = {"group_snapshot": {"group_id": group_id, "name": "gs"}}
    group_snapshot = _post(admin, f"{base}/group_snapshots", body)["group_snapshot"]
    assert set(group_snapshot) == {"id", "name", "group_type_id"}
    snapshots = admin.get(f"{base}/snapshots/detail", headers=AT).json()["snapshots"]
    (member_snapshot,) = [s for s in snapshots if s["volume_id"] == first]
    assert member_snapshot["group_snapshot_id"] == group_snapshot["id"]
    copy = {"create-from-src": {"group_snapshot_id": group_snapshot["id"], "name": "copy"}}
    copied = _post(admin, f"{base}/groups/action", copy)["group"]
    at_325 = {"OpenStack-API-Version": "volume 3.25"}  # a group lists its volumes from 3.25
    shown = admin.get(f"{base}/groups/{copied['id']}?list_volume=true", headers=at_325).json()
    assert len(shown["group"]["volumes"]) == 1
    assert shown["group"]["group_snapshot_id"] == group_snapshot["id"]


def test_deleting_a_group_needs_the_delete_volumes_flag(admin: TestClient, base: str) -> None:
    type_id = _xiv_type(admin, base)
    group_id = _group(admin, base, type_id)
    volume_id = _member(admin, base, group_id, type_id)
    action = f"{base}/groups/{group_id}/action"
    kept = admin.post(action, json={"delete": {"delete-volumes": False}}, headers=AT)
    assert "delete-volumes flag is required" in _fault(kept, 400)
    _post(admin, action, {"delete": {"delete-volumes": True}})
    _fault(admin.get(f"{base}/groups/{group_id}", headers=AT), 404)
    _fault(admin.get(f"{base}/volumes/{volume_id}"), 404)  # deleted with its group


def test_a_reader_is_refused_and_a_foreign_type_rejected(
    client: TestClient, admin: TestClient, admin_token: str, base: str
) -> None:
    reader = provision(client, admin_token, "ibm-default", "group-reader", role="reader")
    headers = {**AT, "X-Auth-Token": reader.token}
    body = {"group": {"group_type": "default_grouptype", "volume_types": [XIV]}}
    refused = client.post(f"{VOLUME}/{reader.project_id}/groups", json=body, headers=headers)
    assert _fault(refused, 403) == "Policy doesn't allow group:create to be performed."
    type_id = _xiv_type(admin, base)
    group_id = _group(admin, base, type_id)
    other = next(
        t["id"] for t in admin.get(f"{base}/types").json()["volume_types"] if t["id"] != type_id
    )
    volume = {"volume": {"size": 1, "volume_type": other, "group_id": group_id}}
    message = _fault(admin.post(f"{base}/volumes", json=volume, headers=AT), 400)
    assert "requested type must be supported by this group" in message


@pytest.mark.parametrize(
    ("kind", "path"), [("group_type", "group_types"), ("volume_type", "types")]
)
def test_a_type_update_names_what_is_wrong(
    admin: TestClient, base: str, kind: str, path: str
) -> None:
    what = kind.replace("_", " ")
    made = admin.post(f"{base}/{path}", json={kind: {"name": f"upd-{kind}"}}, headers=AT)
    assert made.status_code in (200, 202), made.text  # cinder: 202 for groups, 200 for volumes
    type_id = made.json()[kind]["id"]
    url = f"{base}/{path}/{type_id}"
    empty = admin.put(url, json={kind: {}}, headers=AT)
    assert "name, description, is_public or a combination" in _fault(empty, 400)
    blank = admin.put(url, json={kind: {"name": "  "}}, headers=AT)
    assert _fault(blank, 400) == f"{what.capitalize()} name can not be empty."
    renamed = admin.put(url, json={kind: {"name": " kept ", "is_public": False}}, headers=AT)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()[kind]["name"] == "kept"
