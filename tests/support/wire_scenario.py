"""The fixed scenario of the wire recording: every route family of every service, in both URL
styles, with the error envelopes and edge cases clients meet. Its order is the recording's."""

from __future__ import annotations

from typing import Any

from tests.support.wire_compute import compute_scenario
from tests.support.wire_fidelity import compute_fidelity, image_fidelity, volume_fidelity
from tests.support.wire_identity import admin_scenario, identity_scenario, login
from tests.support.wire_powervc import powervc_scenario
from tests.support.wire_scene import COMPUTE, IDENTITY, IMAGE, NETWORK, PROXY, Scene
from tests.support.wire_session import emulator_wire
from tests.support.wire_storage import image_scenario, network_scenario
from tests.support.wire_volume import volume_scenario, volume_versions

# the public version documents of each per-port app (neutron's needs a token)
PORT_ROOTS = {"identity": "/v3", "compute": "/v2.1", "image": "/versions", "volume": "/v3"}


def run_scenario() -> list[dict[str, Any]]:
    """The raw exchanges of one run (to be normalised as a whole)."""
    with emulator_wire() as wire:
        scene = Scene(wire)
        login(scene)
        identity_scenario(scene)
        admin_scenario(scene)
        _find_essentials(scene)
        image_scenario(scene)
        image_fidelity(scene)
        network_scenario(scene)
        volume_versions(scene)
        for version in ("v3", "v2"):
            volume_scenario(scene, version, version)
            volume_fidelity(scene, scene.volume_root(version), version)
        _compute_versions(scene)
        scene.ids["attach_volume"] = _spare_volume(scene, "a")
        compute_scenario(scene, COMPUTE, "plain")
        powervc_scenario(scene, COMPUTE, "plain", "v3")
        compute_fidelity(scene, COMPUTE, "plain")
        scene.ids["attach_volume"] = _spare_volume(scene, "b")
        compute_scenario(scene, f"{COMPUTE}/{scene.project_id}", "scoped")
        powervc_scenario(scene, f"{COMPUTE}/{scene.project_id}", "scoped", "v2")
        compute_fidelity(scene, f"{COMPUTE}/{scene.project_id}", "scoped")
        _edges(scene)
        exchanges = wire.exchanges
    with emulator_wire(clock="manual", url_style="ports") as wire:
        scene = Scene(wire)
        _port_style(scene)
        _manual_clock(scene)
        return exchanges + wire.exchanges


def _find_essentials(scene: Scene) -> None:
    """The estate's boot image, compute templates, network, storage template and a host."""
    images = scene.get(f"{IMAGE}/images?name=PowerHA713")["images"]
    flavors = {f["name"]: f["id"] for f in scene.get(f"{COMPUTE}/flavors")["flavors"]}
    networks = scene.get(f"{NETWORK}/networks?name=cmbnet1")["networks"]
    hosts = scene.get(f"{COMPUTE}/os-hypervisors")["hypervisors"]
    scene.ids.update(
        image=images[0]["id"],
        flavor=flavors["powervm.small"],
        bigger_flavor=flavors["powervm.medium"],
        network=networks[0]["id"],
        network_name="cmbnet1",
        volume_type="xiv90 base template",
        host=hosts[0]["hypervisor_hostname"],
    )


def _spare_volume(scene: Scene, tag: str) -> str:
    spec = {"size": 1, "name": f"wire-attach-{tag}", "volume_type": scene.ids["volume_type"]}
    volume = scene.post(f"{scene.volume_root()}/volumes", {"volume": spec})["volume"]["id"]
    scene.get(f"{scene.volume_root()}/volumes/{volume}")
    return str(volume)


def _compute_versions(scene: Scene) -> None:
    scene.get(f"{PROXY}/compute/", token="")
    scene.get(f"{PROXY}/compute/v2/", token="")
    scene.get(f"{PROXY}/compute", token="")
    scene.get(COMPUTE, token="")
    scene.get(f"{COMPUTE}/", token="")


def _edges(scene: Scene) -> None:
    """Unknown paths and methods, missing tokens, bad bodies and microversions, slashes."""
    for path in (
        f"{PROXY}/nowhere",
        "/nowhere",
        f"{COMPUTE}/no-such-thing",
        f"{IMAGE}/no-such-thing",
        f"{NETWORK}/no-such-thing",
        f"{scene.volume_root()}/no-such-thing",
        f"{COMPUTE}/servers/",
    ):
        scene.send("GET", path)
    scene.send("DELETE", f"{COMPUTE}/flavors")
    scene.send("PUT", f"{IMAGE}/images")
    scene.send("PATCH", f"{scene.volume_root()}/volumes")
    scene.send("GET", f"{COMPUTE}/servers", token="")
    scene.send("GET", f"{NETWORK}/networks", token="")
    scene.send("GET", f"{IMAGE}/images", token="")
    scene.send("GET", f"{scene.volume_root()}/volumes", token="")
    for version in ("compute 9.99", "compute 2.0", "compute latest", "compute nonsense"):
        scene.send("GET", f"{COMPUTE}/flavors", headers={"openstack-api-version": version})
    scene.send("GET", f"{COMPUTE}/flavors", headers={"x-openstack-nova-api-version": "2.60"})
    for version in ("volume 3.99", "volume latest"):
        volumes = f"{scene.volume_root()}/volumes"
        scene.send("GET", volumes, headers={"openstack-api-version": version})
    json_type = {"content-type": "application/json"}
    for path in (
        f"{COMPUTE}/servers",
        f"{NETWORK}/networks",
        f"{IMAGE}/images",
        f"{scene.volume_root()}/volumes",
        f"{IDENTITY}/users",
    ):
        scene.send("POST", path, raw=b"{broken", headers=json_type)
        scene.send("POST", path, raw=b"<xml/>", headers={"content-type": "application/xml"})
    scene.send("HEAD", f"{COMPUTE}/flavors")
    scene.send("HEAD", f"{NETWORK}/networks")
    scene.send("HEAD", f"{IMAGE}/images/{scene.ids['image']}")


def _port_style(scene: Scene) -> None:
    """PowerVC's per-port URLs: the same apps reached at `host:port/<version>`."""
    login(scene)
    for service, root in PORT_ROOTS.items():
        scene.get("/", app=service, token="")
        scene.get(root, app=service, token="")
    scene.get(f"/v3/{scene.project_id}/volumes", app="volume")
    scene.get("/v2.1/flavors", app="compute")
    scene.get("/v2/images?limit=1", app="image")
    scene.get("/v2.0/networks?limit=1", app="network")
    scene.get("/v3/auth/catalog", app="identity")
    scene.get("/powervc/emulator/v1/health", app="identity", token="")
    scene.send("GET", "/v2.1/no-such-thing", app="compute")


def _manual_clock(scene: Scene) -> None:
    """On a manual clock deploys progress only when the clock is moved."""
    flavors = {f["name"]: f["id"] for f in scene.get(f"{COMPUTE}/flavors")["flavors"]}
    image = scene.get(f"{IMAGE}/images?name=PowerHA713")["images"][0]["id"]
    network = scene.get(f"{NETWORK}/networks?name=cmbnet1")["networks"][0]["id"]
    spec = {
        "name": "wire-clock-vm",
        "imageRef": image,
        "flavorRef": flavors["powervm.small"],
        "networks": [{"uuid": network}],
    }
    server = scene.post(f"{COMPUTE}/servers", {"server": spec})["server"]["id"]
    for seconds in (0, 5, 60, 600):
        scene.post("/powervc/emulator/v1/clock", {"advance": seconds})
        scene.get(f"{COMPUTE}/servers/{server}")
    scene.get("/powervc/emulator/v1/clock")
    scene.get("/powervc/emulator/v1/health", token="")
