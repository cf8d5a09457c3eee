"""The wire scenario's part for the APIs tempest's whole suite reaches beyond interop: nova's
administrator APIs and proxies, cinder's transfers, quotas, QoS and administration, glance's
metadata definitions (issue 18)."""

from __future__ import annotations

from tests.support.wire_scene import IMAGE, NOVA_LATEST, Scene
from tests.support.wire_volume_groups import volume_groups

PAST = "start=2020-01-01T00:00:00&end=2020-01-02T00:00:00"  # a fixed period: no usage


def compute_fidelity(scene: Scene, root: str, tag: str) -> None:
    _services(scene, root)
    _proxies(scene, root, tag)
    _host_actions(scene, root)
    _usage(scene, root)
    _flavor_access(scene, root, tag)
    _quota_classes(scene, root)
    _server_extras(scene, root, tag)
    scene.get(f"{root}/extensions")
    scene.get(f"{root}/extensions/os-hosts")
    scene.get(f"{root}/os-migrations")
    scene.get(f"{root}/os-migrations?migration_type=resize", headers=NOVA_LATEST)


def _services(scene: Scene, root: str) -> None:
    rows = scene.get(f"{root}/os-services", headers=NOVA_LATEST)["services"]
    compute = next(s for s in rows if s["binary"] == "nova-compute")
    path = f"{root}/os-services/{compute['id']}"
    scene.put(path, {"status": "disabled", "disabled_reason": "wire"}, headers=NOVA_LATEST)
    scene.put(path, {"status": "enabled"}, headers=NOVA_LATEST)
    scene.put(f"{root}/os-services/disable", {"host": compute["host"], "binary": "nova-compute"})
    scene.put(f"{root}/os-services/enable", {"host": compute["host"], "binary": "nova-compute"})


def _proxies(scene: Scene, root: str, tag: str) -> None:
    spec = {"size": 1, "display_name": f"wire-nova-volume-{tag}"}
    volume = scene.post(f"{root}/os-volumes", {"volume": spec})["volume"]["id"]
    scene.get(f"{root}/os-volumes")
    scene.get(f"{root}/os-volumes/detail?limit=1&offset=0")
    scene.get(f"{root}/os-volumes/{volume}")
    body = {"snapshot": {"volume_id": volume, "display_name": f"wire-nova-snap-{tag}"}}
    snapshot = scene.post(f"{root}/os-snapshots", body)["snapshot"]["id"]
    scene.get(f"{root}/os-snapshots")
    scene.get(f"{root}/os-snapshots/detail")
    scene.get(f"{root}/os-snapshots/{snapshot}")
    scene.delete(f"{root}/os-snapshots/{snapshot}")
    scene.delete(f"{root}/os-volumes/{volume}")
    scene.send("GET", f"{root}/os-volumes", headers=NOVA_LATEST)  # gone at 2.36
    networks = scene.get(f"{root}/os-networks")["networks"]
    scene.get(f"{root}/os-networks/{networks[0]['id']}")
    scene.get(f"{root}/os-tenant-networks")
    scene.get(f"{root}/os-tenant-networks/{networks[0]['id']}")


def _host_actions(scene: Scene, root: str) -> None:
    """nova's 501s: the PowerVM driver implements none of them (see NO_SUCCESS)."""
    host = f"{root}/os-hosts/{scene.ids['host']}"
    scene.send("PUT", host, {"maintenance_mode": "enable"})
    scene.send("PUT", host, {"status": "disable"})
    scene.send("PUT", host, {"no_such_key": "x"})
    for action in ("startup", "shutdown", "reboot"):
        scene.send("GET", f"{host}/{action}")


def _usage(scene: Scene, root: str) -> None:
    scene.get(f"{root}/os-simple-tenant-usage?{PAST}&detailed=1")
    scene.get(f"{root}/os-simple-tenant-usage/{scene.project_id}?{PAST}")
    scene.send("GET", f"{root}/os-simple-tenant-usage/{scene.project_id}?start=x")
    scene.get(f"{root}/os-instance_usage_audit_log/2020-02-15%2000:00:00")
    scene.send("GET", f"{root}/os-instance_usage_audit_log/not-a-time")
    scene.get(f"{root}/os-instance_usage_audit_log")


def _flavor_access(scene: Scene, root: str, tag: str) -> None:
    spec = {
        "name": f"wire-private-{tag}",
        "ram": 2048,
        "vcpus": 1,
        "disk": 10,
        "os-flavor-access:is_public": "False",
    }
    flavor = scene.post(f"{root}/flavors", {"flavor": spec})["flavor"]["id"]
    action = f"{root}/flavors/{flavor}/action"
    scene.post(action, {"addTenantAccess": {"tenant": scene.project_id}})
    scene.send("POST", action, {"addTenantAccess": {"tenant": scene.project_id}})
    scene.get(f"{root}/flavors/{flavor}/os-flavor-access")
    scene.post(action, {"removeTenantAccess": {"tenant": scene.project_id}})
    scene.delete(f"{root}/flavors/{flavor}")
    scene.send("GET", f"{root}/flavors/{scene.ids['flavor']}/os-flavor-access")


def _quota_classes(scene: Scene, root: str) -> None:
    path = f"{root}/os-quota-class-sets/default"
    scene.get(path)
    scene.put(path, {"quota_class_set": {"instances": 1000}}, headers=NOVA_LATEST)


def _server_extras(scene: Scene, root: str, tag: str) -> None:
    spec = {
        "name": f"wire-extras-{tag}",
        "imageRef": scene.ids["image"],
        "flavorRef": scene.ids["flavor"],
        "networks": [{"uuid": scene.ids["network"]}],
    }
    server = scene.post(f"{root}/servers", {"server": spec})["server"]["id"]
    path = f"{root}/servers/{server}"
    tags = f"{path}/tags"
    scene.put(tags, {"tags": ["blue", "green"]}, headers=NOVA_LATEST)
    scene.put(f"{tags}/red", headers=NOVA_LATEST)
    scene.get(f"{tags}/red", headers=NOVA_LATEST)
    scene.get(tags, headers=NOVA_LATEST)
    scene.delete(f"{tags}/red", headers=NOVA_LATEST)
    scene.send("GET", f"{tags}/red", headers=NOVA_LATEST)
    scene.delete(tags, headers=NOVA_LATEST)
    scene.send("GET", tags)  # before 2.26: no tags
    scene.get(f"{path}/os-server-password")
    scene.delete(f"{path}/os-server-password")
    scene.send("GET", f"{path}/diagnostics")  # the PowerVM driver: 501
    event = {"name": "network-changed", "server_uuid": server}
    scene.post(f"{root}/os-server-external-events", {"events": [event]})
    action = f"{path}/action"
    scene.post(action, {"os-resetState": {"state": "error"}})
    scene.post(action, {"os-resetState": {"state": "active"}})
    scene.post(action, {"injectNetworkInfo": None})
    scene.send("POST", action, {"restore": None})
    scene.send("POST", action, {"forceDelete": None})
    backup = {"name": f"wire-backup-{tag}", "backup_type": "daily", "rotation": 1}
    scene.post(action, {"createBackup": backup}, headers=NOVA_LATEST)
    scene.delete(path)


def volume_fidelity(scene: Scene, root: str, version: str) -> None:
    _volume_quotas(scene, root)
    _volume_admin(scene, root)
    _qos(scene, root, version)
    _type_access(scene, root, version)
    _transfers(scene, root, "os-volume-transfer", version)
    if version == "v3":
        volume_groups(scene, root, version)
        _transfers(
            scene, root, "volume-transfers", version, {"openstack-api-version": "volume 3.57"}
        )


def _volume_quotas(scene: Scene, root: str) -> None:
    path = f"{root}/os-quota-sets/{scene.project_id}"
    scene.put(path, {"quota_set": {"volumes": 50, "gigabytes": 5000}})
    scene.send("PUT", path, {"quota_set": {"no_such_quota": 1}})
    scene.delete(path)
    classes = f"{root}/os-quota-class-sets/default"
    scene.get(classes)
    scene.put(classes, {"quota_class_set": {"snapshots": -1}})


def _volume_admin(scene: Scene, root: str) -> None:
    hosts = scene.get(f"{root}/os-hosts")["hosts"]
    volume_host = next(h["host_name"] for h in hosts if h["service"] == "cinder-volume")
    scene.get(f"{root}/os-hosts/{volume_host}")
    services = f"{root}/os-services"
    body = {"host": volume_host, "binary": "cinder-volume"}
    scene.put(f"{services}/disable-log-reason", {**body, "disabled_reason": "wire"})
    scene.put(f"{services}/enable", body)
    scene.send("PUT", f"{services}/disable-log-reason", body)
    scene.put(f"{services}/freeze", {"host": volume_host})
    scene.put(f"{services}/thaw", {"host": volume_host})
    pools = scene.get(f"{root}/scheduler-stats/get_pools")["pools"]
    scene.get(f"{root}/capabilities/{pools[0]['name']}")


def _qos(scene: Scene, root: str, version: str) -> None:
    body = {"qos_specs": {"name": f"wire-qos-{version}", "consumer": "back-end", "iops": "500"}}
    qos = scene.post(f"{root}/qos-specs", body)["qos_specs"]["id"]
    path = f"{root}/qos-specs/{qos}"
    scene.get(f"{root}/qos-specs")
    scene.get(path)
    scene.put(path, {"qos_specs": {"bandwidth": "100"}})
    scene.put(f"{path}/delete_keys", {"keys": ["bandwidth"]})
    kind = scene.post(f"{root}/types", {"volume_type": {"name": f"wire-qos-type-{version}"}})
    type_id = kind["volume_type"]["id"]
    scene.get(f"{path}/associate?vol_type_id={type_id}")
    scene.get(f"{path}/associations")
    scene.send("DELETE", path)
    scene.get(f"{path}/disassociate?vol_type_id={type_id}")
    scene.get(f"{path}/disassociate_all")
    scene.delete(path)
    scene.delete(f"{root}/types/{type_id}")


def _type_access(scene: Scene, root: str, version: str) -> None:
    spec = {"name": f"wire-private-type-{version}", "os-volume-type-access:is_public": False}
    type_id = scene.post(f"{root}/types", {"volume_type": spec})["volume_type"]["id"]
    action = f"{root}/types/{type_id}/action"
    scene.post(action, {"addProjectAccess": {"project": scene.project_id}})
    scene.get(f"{root}/types/{type_id}/os-volume-type-access")
    scene.post(action, {"removeProjectAccess": {"project": scene.project_id}})
    scene.delete(f"{root}/types/{type_id}")


def _transfers(
    scene: Scene, root: str, collection: str, version: str, headers: dict[str, str] | None = None
) -> None:
    spec = {"volume": {"size": 1, "name": f"wire-transfer-{collection}-{version}"}}
    volume = scene.post(f"{root}/volumes", spec)["volume"]["id"]
    base = f"{root}/{collection}"
    offer = {"transfer": {"volume_id": volume, "name": "wire"}}
    first = scene.post(base, offer, headers=headers)["transfer"]
    scene.get(base, headers=headers)
    scene.get(f"{base}/detail", headers=headers)
    scene.get(f"{base}/{first['id']}", headers=headers)
    scene.delete(f"{base}/{first['id']}", headers=headers)
    second = scene.post(base, offer, headers=headers)["transfer"]
    accept = f"{base}/{second['id']}/accept"
    scene.send("POST", accept, {"accept": {"auth_key": "wrong"}}, headers=headers)
    scene.post(accept, {"accept": {"auth_key": second["auth_key"]}}, headers=headers)
    scene.delete(f"{root}/volumes/{volume}")


def image_fidelity(scene: Scene) -> None:
    scene.get(f"{IMAGE}/info/import")
    scene.get(f"{IMAGE}/images/{scene.ids['image']}/tasks")
    for kind in ("namespace", "namespaces", "object", "objects", "property", "properties"):
        scene.get(f"{IMAGE}/schemas/metadefs/{kind}")
    for kind in ("resource_type", "resource_types", "tag", "tags"):
        scene.get(f"{IMAGE}/schemas/metadefs/{kind}")
    types = scene.get(f"{IMAGE}/metadefs/resource_types")["resource_types"]
    spec = {"namespace": "wire-ns", "visibility": "public", "protected": True}
    scene.post(f"{IMAGE}/metadefs/namespaces", spec)
    ns = f"{IMAGE}/metadefs/namespaces/wire-ns"
    scene.get(f"{IMAGE}/metadefs/namespaces")
    scene.send("DELETE", ns)  # protected
    scene.put(ns, {"namespace": "wire-ns", "protected": False, "description": "golden"})
    scene.post(f"{ns}/resource_types", {"name": types[0]["name"]})
    scene.get(f"{ns}/resource_types")
    scene.delete(f"{ns}/resource_types/{types[0]['name']}")
    _metadef_items(scene, ns)
    scene.get(ns)
    scene.delete(ns)
    scene.send("GET", ns)


def _metadef_items(scene: Scene, ns: str) -> None:
    scene.post(f"{ns}/objects", {"name": "wire-object", "description": "d"})
    scene.get(f"{ns}/objects")
    scene.get(f"{ns}/objects/wire-object")
    scene.put(f"{ns}/objects/wire-object", {"name": "wire-object-2"})
    scene.delete(f"{ns}/objects/wire-object-2")
    prop = {"name": "hw_wire", "title": "Wire", "type": "string", "enum": ["a", "b"]}
    scene.post(f"{ns}/properties", prop)
    scene.get(f"{ns}/properties")
    scene.get(f"{ns}/properties/hw_wire")
    scene.put(f"{ns}/properties/hw_wire", {**prop, "title": "Wire 2"})
    scene.delete(f"{ns}/properties/hw_wire")
    scene.post(f"{ns}/tags", {"tags": [{"name": "t1"}, {"name": "t2"}]})
    scene.post(f"{ns}/tags/t3")
    scene.get(f"{ns}/tags")
    scene.get(f"{ns}/tags/t3")
    scene.put(f"{ns}/tags/t3", {"name": "t4"})
    scene.delete(f"{ns}/tags/t4")
    scene.delete(f"{ns}/tags")
