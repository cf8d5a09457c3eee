"""PowerVC's own APIs in the wire scenario, once per URL form of nova's routes: onboarding (nova
and cinder), bulk volumes, clone-vm and its progress, vm-snapshot and the instance snapshots
(the first run through cinder v3, the second through v2), remote restart of a failed host,
dro-events and the emulator's utilization API."""

from __future__ import annotations

from tests.support.wire_scene import EMULATOR, Scene

LEGACY_HOST = "8286-42A_215A0BV"  # the default estate's unmanaged LPAR lives there
FAILING_HOST = "9009-42A_7838F0W"


def powervc_scenario(scene: Scene, root: str, tag: str, volume_version: str) -> None:
    _onboarding(scene, root)
    _volume_onboarding(scene, scene.volume_root(volume_version))
    server = _server_with_volume(scene, root, tag)
    _clone(scene, root, server, tag)
    _instance_snapshot(scene, root, server, tag, scene.volume_root(volume_version))
    _utilization(scene, server)
    scene.delete(f"{root}/servers/{server}")
    _remote_restart(scene, root)
    scene.get(f"{root}/dro-events")
    scene.get(f"{root}/dro-events?event_type=migration&limit=5")


def _onboarding(scene: Scene, root: str) -> None:
    path = f"{root}/os-hosts/{LEGACY_HOST}"
    rows = scene.get(f"{path}/all-servers")["servers"]
    lpar = next(row["id"] for row in rows if row["lpar_name"] == "legacy-aix1")
    scene.post(f"{path}/onboard", {"servers": [lpar]})
    scene.get(f"{path}/all-servers")
    scene.send("POST", f"{path}/onboard", {"servers": [lpar]})  # already managed: 409
    scene.post(f"{path}/unmanage", {"servers": [lpar]})
    scene.send("POST", f"{path}/unmanage", {"servers": []})


def _volume_onboarding(scene: Scene, root: str) -> None:
    listed = scene.get(f"{root}/os-hosts/svc82/all-volumes")["volumes"]
    orphan = next(v["id"] for v in listed if v["name"] == "orphan-lun7")
    scene.post(f"{root}/os-hosts/svc82@svc82/onboard", {"volumes": [orphan]})
    scene.get(f"{root}/volumes/{orphan}")
    scene.post(f"{root}/os-hosts/svc82/unmanage", {"volumes": [orphan]})
    scene.send("POST", f"{root}/os-hosts/nowhere/onboard", {"volumes": [orphan]})


def _server_with_volume(scene: Scene, root: str, tag: str) -> str:
    spec = {
        "name": f"wire-powervc-{tag}",
        "imageRef": scene.ids["image"],
        "flavorRef": scene.ids["flavor"],
        "networks": [{"uuid": scene.ids["network"]}],
    }
    server = str(scene.post(f"{root}/servers", {"server": spec})["server"]["id"])
    volume_spec = {"size": 1, "name": f"wire-bulk-{tag}", "volume_type": scene.ids["volume_type"]}
    volume = scene.post(f"{scene.volume_root()}/volumes", {"volume": volume_spec})["volume"]["id"]
    action = f"{root}/servers/{server}/action"
    attach = {"bulkVolumeAttach": {"volumeAttachment": [{"volumeId": volume}]}}
    scene.post(action, attach)
    scene.send("POST", action, {"bulkVolumeDetach": {"volume_ids": ["no-such-volume"]}})
    return server


def _clone(scene: Scene, root: str, server: str, tag: str) -> None:
    body = {"server": {"name": f"wire-clone-{tag}", "networks": [{"uuid": scene.ids["network"]}]}}
    task_uri = scene.post(f"{root}/servers/{server}/action", {"clone-vm": body})["clone-vm"][
        "task_uri"
    ]
    query = task_uri.split("?", 1)[1]
    progress = scene.get(f"{root}/servers/get_progress?{query}")["clone-vm"]
    scene.send("GET", f"{root}/servers/get_progress?action=clone-vm")
    scene.delete(f"{root}/servers/{progress['server_id']}")


def _instance_snapshot(scene: Scene, root: str, server: str, tag: str, volumes: str) -> None:
    body = {"name": f"wire-snap-{tag}", "description": "wire"}
    reply = scene.post(f"{root}/servers/{server}/action", {"vm-snapshot": body})["vm-snapshot"]
    query = reply["task_uri"].split("?", 1)[1]
    scene.get(f"{volumes}/instance-snapshots/get_progress?{query}")
    scene.get(f"{volumes}/instance-snapshots")
    path = f"{volumes}/instance-snapshots/{reply['instance_snapshot_id']}"
    scene.get(path)
    scene.delete(path)
    scene.send("GET", path)


def _utilization(scene: Scene, server: str) -> None:
    scene.get(f"{EMULATOR}/utilization/{server}")
    scene.put(f"{EMULATOR}/utilization/{server}", {"utilization": {"cpu": 0.5}})
    scene.send("PUT", f"{EMULATOR}/utilization/{server}", {"utilization": {"cpu": 3}})


def _remote_restart(scene: Scene, root: str) -> None:
    path = f"{root}/os-hosts/{FAILING_HOST}/ibm-evacuate"
    scene.send("POST", path, {})  # the host did not fail: 412
    rule = {"kind": "node", "mode": "host_failure", "host": FAILING_HOST}
    created = scene.post(f"{EMULATOR}/behaviours", {"behaviour": rule})["behaviour"]
    scene.post(path, {})
    scene.delete(f"{EMULATOR}/behaviours/{created['id']}")
