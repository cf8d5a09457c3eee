"""The image (glance v2) and network (neutron v2.0) parts of the wire scenario."""

from __future__ import annotations

import json

from tests.support.wire_scene import IDENTITY, IMAGE, NETWORK, PROXY, Scene, password_auth

OCTET = {"content-type": "application/octet-stream"}
PATCH = {"content-type": "application/openstack-images-v2.1-json-patch"}


def image_scenario(scene: Scene) -> None:
    scene.get(f"{PROXY}/image/", token="")
    scene.get(f"{PROXY}/image/versions", token="")
    for schema in ("image", "images", "member", "members"):
        scene.get(f"{IMAGE}/schemas/{schema}")
    scene.get(f"{IMAGE}/images")
    scene.get(f"{IMAGE}/images/detail")
    scene.get(f"{IMAGE}/images?limit=1&sort=name:asc")
    scene.send("GET", f"{IMAGE}/images/")
    spec = {
        "name": "wire-image",
        "disk_format": "raw",
        "container_format": "bare",
        "visibility": "shared",
        "tags": ["wire"],
    }
    image = scene.post(f"{IMAGE}/images", spec)["id"]
    path = f"{IMAGE}/images/{image}"
    scene.get(path)
    changes = [
        {"op": "add", "path": "/os_distro", "value": "aix"},
        {"op": "replace", "path": "/name", "value": "wire-image-2"},
    ]
    scene.ok(scene.send("PATCH", path, raw=_json(changes), headers=PATCH))
    scene.send("PATCH", path, changes)
    scene.send(
        "PUT", f"{path}/file", raw=b"wire image data", headers={"content-type": "text/plain"}
    )
    scene.put(f"{path}/file", raw=b"wire image data", headers=OCTET)
    scene.get(f"{path}/file")
    scene.put(f"{path}/tags/golden")
    scene.delete(f"{path}/tags/wire")
    scene.post(f"{path}/actions/deactivate")
    scene.send("GET", f"{path}/file")
    scene.post(f"{path}/actions/reactivate")
    _members(scene, path)
    scene.delete(path)
    scene.send("GET", path)


def _members(scene: Scene, path: str) -> None:
    member, partner_token = _partner(scene)
    scene.post(f"{path}/members", {"member": member})
    scene.get(f"{path}/members")
    scene.get(f"{path}/members/{member}")
    scene.send("PUT", f"{path}/members/{member}", {"status": "accepted"})  # only the member may
    scene.put(f"{path}/members/{member}", {"status": "accepted"}, token=partner_token)
    scene.delete(f"{path}/members/{member}")
    scene.send("GET", f"{path}/members/{member}")
    scene.delete(f"{IDENTITY}/projects/{member}")


def _partner(scene: Scene) -> tuple[str, str]:
    """A second project, and a token of the admin scoped to it (an image member's view)."""
    partner = scene.post(f"{IDENTITY}/projects", {"project": {"name": "wire-partner"}})
    project = str(partner["project"]["id"])
    role = scene.get(f"{IDENTITY}/roles?name=member")["roles"][0]["id"]
    scene.put(f"{IDENTITY}/projects/{project}/users/{scene.user_id}/roles/{role}")
    auth = password_auth("root", "passw0rd", "wire-partner")
    login = scene.send("POST", f"{IDENTITY}/auth/tokens", auth, token="")
    scene.ok(login)
    return project, login.headers["x-subject-token"]


def network_scenario(scene: Scene) -> None:
    scene.get(f"{PROXY}/network/", token="")
    scene.get(NETWORK)
    aliases = scene.get(f"{NETWORK}/extensions")["extensions"]
    scene.get(f"{NETWORK}/extensions/{aliases[0]['alias']}")
    agents = scene.get(f"{NETWORK}/agents")["agents"]
    scene.get(f"{NETWORK}/agents/{agents[0]['id']}")
    network = _resource(scene, "networks", {"name": "wire-net", "admin_state_up": True})
    spec = {"network_id": network, "cidr": "10.99.0.0/24", "ip_version": 4, "name": "wire-sub"}
    subnet = _resource(scene, "subnets", spec)
    port = _resource(scene, "ports", {"network_id": network, "name": "wire-port"})
    for kind, ident in (("ports", port), ("subnets", subnet), ("networks", network)):
        _tags(scene, kind, ident)
        scene.put(f"{NETWORK}/{kind}/{ident}", {kind[:-1]: {"name": f"wire-{kind}-2"}})
        scene.delete(f"{NETWORK}/{kind}/{ident}")
        scene.send("GET", f"{NETWORK}/{kind}/{ident}")
    _network_queries(scene)


def _resource(scene: Scene, kind: str, spec: dict[str, object]) -> str:
    ident = str(scene.post(f"{NETWORK}/{kind}", {kind[:-1]: spec})[kind[:-1]]["id"])
    scene.get(f"{NETWORK}/{kind}/{ident}")
    scene.get(f"{NETWORK}/{kind}?name={spec['name']}")
    return ident


def _tags(scene: Scene, kind: str, ident: str) -> None:
    path = f"{NETWORK}/{kind}/{ident}/tags"
    scene.put(path, {"tags": ["red", "blue"]})
    scene.get(path)
    scene.put(f"{path}/green")
    scene.send("GET", f"{path}/green")
    scene.delete(f"{path}/red")
    scene.send("GET", f"{path}/red")
    scene.get(f"{NETWORK}/{kind}?tags=blue")
    scene.delete(path)


def _network_queries(scene: Scene) -> None:
    scene.get(f"{NETWORK}/networks?limit=1")
    scene.get(f"{NETWORK}/networks?sort_key=name&sort_dir=desc&fields=id&fields=name")
    scene.get(f"{NETWORK}/subnets?ip_version=4")
    scene.get(f"{NETWORK}/ports?device_owner=network:dhcp")
    scene.send("GET", f"{NETWORK}/networks?sort_dir=sideways")
    scene.send("POST", f"{NETWORK}/networks", {"network": {"bogus": 1}})
    scene.send("POST", f"{NETWORK}/networks", {"nope": {}})
    scene.send("PATCH", f"{NETWORK}/networks")
    scene.send("GET", f"{NETWORK}/networks/")


def _json(value: object) -> bytes:
    return json.dumps(value).encode()
