"""The compute part of the wire scenario, run once per URL form of nova's routes
(`/v2.1/...` and `/v2.1/{project_id}/...`), each run with its own names."""

from __future__ import annotations

from tests.support.wire_scene import NOVA_LATEST, PUBLIC_KEY, Scene


def compute_scenario(scene: Scene, root: str, tag: str) -> None:
    _flavors(scene, root, tag)
    _keypairs(scene, root, tag)
    _infrastructure(scene, root, tag)
    server_id = _server(scene, root, tag)
    _server_metadata(scene, root, server_id)
    _server_actions(scene, root, server_id, tag)
    _volume_attachments(scene, root, server_id)
    _instance_actions(scene, root, server_id)
    _images(scene, root, server_id, tag)
    scene.delete(f"{root}/servers/{server_id}")
    scene.send("GET", f"{root}/servers/{server_id}")


def _flavors(scene: Scene, root: str, tag: str) -> None:
    scene.get(f"{root}/flavors")
    scene.get(f"{root}/flavors/detail?limit=2")
    scene.get(f"{root}/flavors/{scene.ids['flavor']}")
    spec = {"name": f"wire-flavor-{tag}", "ram": 2048, "vcpus": 1, "disk": 10}
    flavor = scene.post(f"{root}/flavors", {"flavor": spec})["flavor"]["id"]
    scene.put(f"{root}/flavors/{flavor}", {"flavor": {"description": "d"}}, headers=NOVA_LATEST)
    specs = f"{root}/flavors/{flavor}/os-extra_specs"
    scene.post(specs, {"extra_specs": {"powervm:min_mem": "1024", "powervm:max_mem": "4096"}})
    scene.get(specs)
    scene.get(f"{specs}/powervm:min_mem")
    scene.put(f"{specs}/powervm:min_mem", {"powervm:min_mem": "2048"})
    scene.delete(f"{specs}/powervm:max_mem")
    scene.send("GET", f"{specs}/powervm:max_mem")
    scene.delete(f"{root}/flavors/{flavor}")


def _keypairs(scene: Scene, root: str, tag: str) -> None:
    name = f"wire-key-{tag}"
    scene.post(f"{root}/os-keypairs", {"keypair": {"name": name, "public_key": PUBLIC_KEY}})
    scene.get(f"{root}/os-keypairs")
    scene.get(f"{root}/os-keypairs/{name}")
    scene.send("POST", f"{root}/os-keypairs", {"keypair": {"name": name, "public_key": "x"}})
    scene.delete(f"{root}/os-keypairs/{name}")


def _infrastructure(scene: Scene, root: str, tag: str) -> None:
    scene.get(f"{root}/limits")
    scene.get(f"{root}/os-availability-zone")
    scene.get(f"{root}/os-availability-zone/detail")
    _hypervisors(scene, root)
    _aggregates(scene, root, tag)
    _server_groups(scene, root, tag)
    _quotas(scene, root)
    _scgs(scene, root, tag)
    _maintenance(scene, root)


def _hypervisors(scene: Scene, root: str) -> None:
    rows = scene.get(f"{root}/os-hypervisors")["hypervisors"]
    scene.get(f"{root}/os-hypervisors/detail")
    scene.get(f"{root}/os-hypervisors/statistics")
    first = rows[0]
    scene.get(f"{root}/os-hypervisors/{first['id']}")
    scene.get(f"{root}/os-hypervisors/{first['id']}/uptime")
    scene.get(f"{root}/os-hypervisors/{first['hypervisor_hostname']}/search")
    scene.get(f"{root}/os-hypervisors/{first['hypervisor_hostname']}/servers")
    scene.get(f"{root}/os-hypervisors?limit=1", headers=NOVA_LATEST)
    hosts = scene.get(f"{root}/os-hosts")["hosts"]
    scene.get(f"{root}/os-hosts/{hosts[0]['host_name']}")
    scene.send("GET", f"{root}/os-hosts/no-such-host")


def _aggregates(scene: Scene, root: str, tag: str) -> None:
    host = scene.ids["host"]
    scene.get(f"{root}/os-aggregates")
    body = {"aggregate": {"name": f"wire-aggregate-{tag}"}}
    aggregate = scene.post(f"{root}/os-aggregates", body)["aggregate"]["id"]
    path = f"{root}/os-aggregates/{aggregate}"
    scene.get(path)
    scene.put(path, {"aggregate": {"name": f"wire-aggregate-{tag}-renamed"}})
    scene.post(f"{path}/action", {"set_metadata": {"metadata": {"tier": "gold"}}})
    scene.send("POST", f"{path}/action", {"add_host": {"host": host}})
    scene.send("POST", f"{path}/action", {"remove_host": {"host": host}})
    scene.delete(path)


def _server_groups(scene: Scene, root: str, tag: str) -> None:
    body = {"server_group": {"name": f"wire-group-{tag}", "policies": ["anti-affinity"]}}
    group = scene.post(f"{root}/os-server-groups", body)["server_group"]["id"]
    scene.get(f"{root}/os-server-groups")
    scene.get(f"{root}/os-server-groups/{group}")
    scene.delete(f"{root}/os-server-groups/{group}")


def _quotas(scene: Scene, root: str) -> None:
    path = f"{root}/os-quota-sets/{scene.project_id}"
    scene.get(path)
    scene.get(f"{path}/defaults")
    scene.get(f"{path}/detail")
    scene.put(path, {"quota_set": {"instances": 60, "cores": 80}})
    scene.delete(path)
    scene.get(path)


def _scgs(scene: Scene, root: str, tag: str) -> None:
    rows = scene.get(f"{root}/storage-connectivity-groups")["storage_connectivity_groups"]
    scene.get(f"{root}/storage-connectivity-groups/detail")
    default = rows[0]["id"]
    scene.get(f"{root}/storage-connectivity-groups/{default}")
    scene.get(f"{root}/storage-connectivity-groups/{default}/volume-types")
    body = {"storage_connectivity_group": {"display_name": f"wire-scg-{tag}"}}
    created = scene.post(f"{root}/storage-connectivity-groups", body)
    scg = created["storage_connectivity_group"]["id"]
    path = f"{root}/storage-connectivity-groups/{scg}"
    scene.put(path, {"storage_connectivity_group": {"display_name": f"wire-scg-{tag}-2"}})
    scene.send("DELETE", f"{root}/storage-connectivity-groups/{default}")
    scene.delete(path)


def _maintenance(scene: Scene, root: str) -> None:
    path = f"{root}/ego/prs/hypervisor_maintenance/{scene.ids['host']}"
    scene.get(path)
    scene.put(path, {"status": "enable"})
    scene.get(path)
    scene.put(path, {"status": "disable"})


def _server(scene: Scene, root: str, tag: str) -> str:
    spec = {
        "name": f"wire-vm-{tag}",
        "imageRef": scene.ids["image"],
        "flavorRef": scene.ids["flavor"],
        "networks": [{"uuid": scene.ids["network"]}],
        "metadata": {"owner": "wire"},
    }
    server = scene.post(f"{root}/servers", {"server": spec})["server"]["id"]
    scene.get(f"{root}/servers")
    scene.get(f"{root}/servers/detail?name=wire-vm")
    path = f"{root}/servers/{server}"
    scene.get(path)
    scene.get(path, headers=NOVA_LATEST)
    scene.send("HEAD", path)
    scene.put(path, {"server": {"name": f"wire-vm-{tag}-renamed"}})
    scene.get(f"{path}/ips")
    scene.get(f"{path}/ips/{scene.ids['network_name']}")
    return str(server)


def _server_metadata(scene: Scene, root: str, server: str) -> None:
    path = f"{root}/servers/{server}/metadata"
    scene.get(path)
    scene.post(path, {"metadata": {"stage": "test"}})
    scene.put(path, {"metadata": {"owner": "wire", "stage": "prod"}})
    scene.get(f"{path}/stage")
    scene.put(f"{path}/stage", {"meta": {"stage": "qa"}})
    scene.delete(f"{path}/stage")
    scene.send("GET", f"{path}/stage")


def _server_actions(scene: Scene, root: str, server: str, tag: str) -> None:
    action = f"{root}/servers/{server}/action"
    for body in (
        {"os-stop": None},
        {"resize": {"flavorRef": scene.ids["bigger_flavor"]}},  # memory bounds: only stopped
        {"confirmResize": None},
        {"resize": {"flavorRef": scene.ids["flavor"]}},
        {"revertResize": None},
        {"os-start": None},
        {"reboot": {"type": "SOFT"}},
        {"lock": None},
        {"unlock": None},
        {"os-getConsoleOutput": {"length": 5}},
        {"rebuild": {"imageRef": scene.ids["image"], "name": f"wire-vm-{tag}-rebuilt"}},
        {"os-migrateLive": {"host": None, "block_migration": "auto"}},
        {"no-such-action": None},
    ):
        scene.send("POST", action, body)
        scene.get(f"{root}/servers/{server}")


def _volume_attachments(scene: Scene, root: str, server: str) -> None:
    volume = scene.ids["attach_volume"]
    path = f"{root}/servers/{server}/os-volume_attachments"
    scene.post(path, {"volumeAttachment": {"volumeId": volume}})
    scene.get(path)
    scene.get(f"{path}/{volume}")
    spare = scene.post(f"{root}/os-volumes", {"volume": {"size": 1}})["volume"]["id"]
    scene.get(f"{root}/os-volumes/{spare}")  # created: available
    scene.put(f"{path}/{volume}", {"volumeAttachment": {"volumeId": spare}})  # nova's 202
    scene.send("DELETE", f"{path}/{volume}")
    scene.get(path)
    scene.delete(f"{root}/os-volumes/{spare}")


def _instance_actions(scene: Scene, root: str, server: str) -> None:
    path = f"{root}/servers/{server}/os-instance-actions"
    actions = scene.get(path)["instanceActions"]
    scene.get(f"{path}/{actions[-1]['request_id']}")


def _images(scene: Scene, root: str, server: str, tag: str) -> None:
    action = f"{root}/servers/{server}/action"
    captured = scene.send("POST", action, {"createImage": {"name": f"wire-capture-{tag}"}})
    image = captured.headers["location"].rsplit("/", 1)[-1]
    scene.get(f"{root}/images")
    scene.get(f"{root}/images/detail")
    path = f"{root}/images/{image}"
    scene.get(path)
    scene.get(f"{path}/metadata")
    scene.post(f"{path}/metadata", {"metadata": {"purpose": "wire"}})
    scene.put(f"{path}/metadata", {"metadata": {"purpose": "golden", "os": "aix"}})
    scene.get(f"{path}/metadata/purpose")
    scene.put(f"{path}/metadata/purpose", {"meta": {"purpose": "record"}})
    scene.delete(f"{path}/metadata/purpose")
    scene.delete(path)
    scene.send("GET", path)
