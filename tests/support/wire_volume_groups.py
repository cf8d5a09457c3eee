"""The wire scenario's part for cinder's generic volume groups (PowerVC's consistency groups):
group types and their specs, groups, group snapshots, groups made from either (issue 18)."""

from __future__ import annotations

from tests.support.wire_scene import Scene

GROUPS = {"openstack-api-version": "volume 3.20"}  # the group routes' microversions (3.11+)


def volume_groups(scene: Scene, root: str, version: str) -> None:
    type_id = scene.get(f"{root}/types")["volume_types"][0]["id"]
    group_type = _group_type(scene, root, version)
    body = {"group": {"group_type": group_type, "volume_types": [type_id], "name": "wire-g"}}
    group = scene.post(f"{root}/groups", body, headers=GROUPS)["group"]["id"]
    spec = {"size": 1, "volume_type": type_id, "group_id": group, "name": "wire-g-member"}
    scene.post(f"{root}/volumes", {"volume": spec}, headers=GROUPS)
    scene.get(f"{root}/groups", headers=GROUPS)
    scene.get(f"{root}/groups/detail", headers=GROUPS)
    scene.put(f"{root}/groups/{group}", {"group": {"description": "d"}}, headers=GROUPS)
    body = {"group_snapshot": {"group_id": group, "name": "wire-gs"}}
    snapshot = scene.post(f"{root}/group_snapshots", body, headers=GROUPS)["group_snapshot"]["id"]
    _group_snapshot(scene, root, snapshot)
    source = {"create-from-src": {"source_group_id": group, "name": "wire-g-copy"}}
    copy = scene.post(f"{root}/groups/action", source, headers=GROUPS)["group"]["id"]
    scene.get(f"{root}/groups/{copy}", headers=GROUPS)
    scene.post(f"{root}/group_snapshots/{snapshot}/action", _reset(), headers=GROUPS)
    scene.delete(f"{root}/group_snapshots/{snapshot}", headers=GROUPS)
    for doomed in (copy, group):
        scene.post(f"{root}/groups/{doomed}/action", _reset(), headers=GROUPS)
        body = {"delete": {"delete-volumes": True}}
        scene.post(f"{root}/groups/{doomed}/action", body, headers=GROUPS)
    scene.delete(f"{root}/group_types/{group_type}", headers=GROUPS)


def _reset() -> dict[str, dict[str, str]]:
    return {"reset_status": {"status": "available"}}


def _group_type(scene: Scene, root: str, version: str) -> str:
    scene.get(f"{root}/group_types", headers=GROUPS)
    scene.get(f"{root}/group_types/default", headers=GROUPS)
    body = {"group_type": {"name": f"wire-gt-{version}", "group_specs": {"a": "b"}}}
    type_id = str(scene.post(f"{root}/group_types", body, headers=GROUPS)["group_type"]["id"])
    path = f"{root}/group_types/{type_id}"
    scene.get(path, headers=GROUPS)
    scene.put(path, {"group_type": {"description": "wire"}}, headers=GROUPS)
    scene.post(f"{path}/group_specs", {"group_specs": {"c": "d"}}, headers=GROUPS)
    scene.get(f"{path}/group_specs", headers=GROUPS)
    scene.get(f"{path}/group_specs/c", headers=GROUPS)
    scene.put(f"{path}/group_specs/c", {"c": "e"}, headers=GROUPS)
    scene.delete(f"{path}/group_specs/c", headers=GROUPS)
    return type_id


def _group_snapshot(scene: Scene, root: str, snapshot: str) -> None:
    scene.get(f"{root}/group_snapshots", headers=GROUPS)
    scene.get(f"{root}/group_snapshots/detail", headers=GROUPS)
    scene.get(f"{root}/group_snapshots/{snapshot}", headers=GROUPS)
