"""The volume (cinder v3 and v2) part of the wire scenario, run once per API version."""

from __future__ import annotations

from tests.support.wire_scene import PROXY, Scene

CINDER_LATEST = {"openstack-api-version": "volume 3.59"}


def volume_versions(scene: Scene) -> None:
    scene.get(f"{PROXY}/volume/", token="")
    scene.get(f"{PROXY}/volume/v3", token="")
    scene.get(f"{PROXY}/volume/v2", token="")


def volume_scenario(scene: Scene, version: str, tag: str) -> None:
    root = scene.volume_root(version)
    _catalogue(scene, root)
    _types(scene, root, tag)
    volume = _volume(scene, root, tag)
    _metadata(scene, f"{root}/volumes/{volume}/metadata")
    _volume_actions(scene, root, volume)
    _messages(scene, root, volume)
    _snapshots(scene, root, volume, tag)
    scene.delete(f"{root}/volumes/{volume}")
    scene.send("GET", f"{root}/volumes/{volume}")


def _catalogue(scene: Scene, root: str) -> None:
    scene.get(f"{root}/limits")
    scene.get(f"{root}/scheduler-stats/get_pools?detail=true")
    scene.get(f"{root}/os-availability-zone")
    scene.get(f"{root}/os-services")
    scene.get(f"{root}/os-quota-sets/{scene.project_id}/defaults")
    scene.get(f"{root}/os-quota-sets/{scene.project_id}?usage=true")
    providers = scene.get(f"{root}/storage-providers")["storage_providers"]
    scene.get(f"{root}/storage-providers/detail")
    scene.get(f"{root}/storage-providers/{providers[0]['id']}")
    scene.get(f"{root}/extensions")


def _types(scene: Scene, root: str, tag: str) -> None:
    scene.get(f"{root}/types")
    scene.get(f"{root}/types/default")
    body = {"volume_type": {"name": f"wire-type-{tag}", "extra_specs": {"drivers:thin": "true"}}}
    kind = scene.post(f"{root}/types", body)["volume_type"]["id"]
    path = f"{root}/types/{kind}"
    scene.get(path)
    scene.put(path, {"volume_type": {"description": "golden"}})
    scene.post(f"{path}/extra_specs", {"extra_specs": {"drivers:compression": "false"}})
    scene.get(f"{path}/extra_specs")
    scene.get(f"{path}/extra_specs/drivers:thin")
    scene.put(f"{path}/extra_specs/drivers:thin", {"drivers:thin": "false"})
    scene.delete(f"{path}/extra_specs/drivers:thin")
    scene.send("GET", f"{path}/extra_specs/drivers:thin")
    scene.delete(path)


def _volume(scene: Scene, root: str, tag: str) -> str:
    spec = {
        "size": 1,
        "name": f"wire-vol-{tag}",
        "volume_type": scene.ids["volume_type"],
        "metadata": {"owner": "wire"},
    }
    volume = str(scene.post(f"{root}/volumes", {"volume": spec})["volume"]["id"])
    scene.get(f"{root}/volumes")
    scene.get(f"{root}/volumes/detail?limit=2")
    scene.send("GET", f"{root}/volumes/summary", headers=CINDER_LATEST)
    scene.get(f"{root}/volumes/{volume}")
    scene.get(f"{root}/volumes/{volume}", headers=CINDER_LATEST)
    scene.send("HEAD", f"{root}/volumes/{volume}")
    scene.put(f"{root}/volumes/{volume}", {"volume": {"description": "golden"}})
    return volume


def _metadata(scene: Scene, path: str) -> None:
    scene.get(path)
    scene.post(path, {"metadata": {"stage": "test"}})
    scene.put(path, {"metadata": {"owner": "wire", "stage": "prod"}})
    scene.get(f"{path}/stage")
    scene.put(f"{path}/stage", {"meta": {"stage": "qa"}})
    scene.delete(f"{path}/stage")
    scene.send("GET", f"{path}/stage")


def _volume_actions(scene: Scene, root: str, volume: str) -> None:
    for body in (
        {"os-extend": {"new_size": 2}},
        {"os-set_bootable": {"bootable": True}},
        {"os-update_readonly_flag": {"readonly": True}},
        {"os-update_readonly_flag": {"readonly": False}},
        {"os-reserve": None},
        {"os-unreserve": None},
        {"os-begin_detaching": None},
        {"os-roll_detaching": None},
        {"os-reset_status": {"status": "available"}},
        {"os-volume_upload_image": {"image_name": "wire-upload"}},
    ):
        scene.send("POST", f"{root}/volumes/{volume}/action", body)
    scene.get(f"{root}/volumes/{volume}")


def _messages(scene: Scene, root: str, volume: str) -> None:
    scene.send("POST", f"{root}/volumes/{volume}/action", {"os-extend": {"new_size": 999999}})
    scene.get(f"{root}/volumes/{volume}")
    listed = scene.send("GET", f"{root}/messages", headers=CINDER_LATEST)
    if listed.status_code == 404:  # cinder v2 has no user messages
        return
    messages = scene.ok(listed)["messages"]
    message = messages[0]["id"]
    scene.get(f"{root}/messages/{message}", headers=CINDER_LATEST)
    scene.delete(f"{root}/messages/{message}", headers=CINDER_LATEST)
    scene.send("GET", f"{root}/messages/{message}", headers=CINDER_LATEST)


def _snapshots(scene: Scene, root: str, volume: str, tag: str) -> None:
    body = {"snapshot": {"volume_id": volume, "name": f"wire-snap-{tag}", "force": True}}
    snapshot = scene.post(f"{root}/snapshots", body)["snapshot"]["id"]
    scene.get(f"{root}/snapshots")
    scene.get(f"{root}/snapshots/detail")
    path = f"{root}/snapshots/{snapshot}"
    scene.get(path)
    scene.put(path, {"snapshot": {"description": "golden"}})
    _metadata(scene, f"{path}/metadata")
    actions: tuple[dict[str, dict[str, str]], ...] = (
        {"os-reset_status": {"status": "error"}},
        {"os-update_snapshot_status": {"status": "available"}},  # 400: only from creating
        {"os-force_delete": {}},
    )
    for action in actions:
        scene.send("POST", f"{path}/action", action)
    scene.send("GET", path)
    again = scene.post(f"{root}/snapshots", body)["snapshot"]["id"]
    scene.delete(f"{root}/snapshots/{again}")
