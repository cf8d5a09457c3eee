"""A PowerHA lab over real AIX servers: an `Emulator` (manual clock by default) driven through
its HTTP API in process. Servers are deployed from an `os_distro: aix` image (PowerHA72), so
the node registry makes their nodes as it would for a user (and keeps them over a restart);
volumes are real multiattach Cinder volumes on the real disk table. Every node-side step of a
cluster build runs as a command line in the node's shell."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from powerbridge.emulator.aix.node import UP, Node
from powerbridge.emulator.aix.shell import Session, ShellResult
from powerbridge.emulator.app import create_app
from powerbridge.emulator.clock import ClockMode
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import COMPUTE, IDENTITY, VOLUME, find, password_auth

MULTIATTACH = {"OpenStack-API-Version": "compute 2.60"}  # nova's first with shared volumes
SERVICE_LABEL = "hasvc"
# cmbnet1 is 192.168.100.0/24 with ports allocated from .10-.250: .251 is never a port's
SERVICE_ADDRESS = "192.168.100.251"
TICKS = 600


class RealLab:
    def __init__(
        self, tmp_path: Path, *, data_dir: Path | None = None, clock: ClockMode = "manual"
    ) -> None:
        config = EmulatorConfig(clock=clock, data_dir=data_dir, log_dir=tmp_path / "logs")
        self.emulator = Emulator(config)
        self.world = self.emulator.aix
        self.client = TestClient(create_app(self.emulator), base_url="http://testserver")
        reply = self.client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        assert reply.status_code == 201, reply.text
        self.client.headers["X-Auth-Token"] = reply.headers["x-subject-token"]
        self.project_id = str(reply.json()["token"]["project"]["id"])

    # -- PowerVC -------------------------------------------------------------------------
    def deploy(self, names: list[str], image: str = "PowerHA72") -> list[Node]:
        """Servers from the image, ACTIVE, their nodes booted (up)."""
        images = self.client.get(f"/powervc/openstack/image/v2/images?name={image}").json()
        body = {
            "imageRef": images["images"][0]["id"],
            "flavorRef": find(self.client, f"{COMPUTE}/flavors", "flavors", "powervm.small")["id"],
            "networks": [
                {
                    "uuid": find(
                        self.client,
                        "/powervc/openstack/network/v2.0/networks",
                        "networks",
                        "cmbnet1",
                    )["id"]
                }
            ],
        }
        ids = []
        for name in names:
            reply = self.client.post(f"{COMPUTE}/servers", json={"server": {**body, "name": name}})
            assert reply.status_code == 202, reply.text
            ids.append(str(reply.json()["server"]["id"]))
        self.tick_until(lambda: all(self._node_up(i) for i in ids), "nodes up")
        return [self.node(i) for i in ids]

    def node(self, server_id: str) -> Node:
        node = self.world.node(server_id)
        assert node is not None, server_id
        return node

    def _node_up(self, server_id: str) -> bool:
        server = self._server(server_id)
        node = self.world.node(server_id)
        return (
            server["status"] == "ACTIVE"
            and server.get("OS-EXT-STS:task_state") is None
            and node is not None
            and node.record.state == UP
        )

    def _server(self, server_id: str) -> dict[str, Any]:
        reply = self.client.get(f"{COMPUTE}/servers/{server_id}", headers=MULTIATTACH)
        assert reply.status_code == 200, reply.text
        return dict(reply.json()["server"])

    def shared_volume(self, name: str, size_gb: int) -> str:
        """A multiattach volume (volume type `shared`, made on first use)."""
        url = f"{VOLUME}/{self.project_id}/types"
        names = [t["name"] for t in self.client.get(url).json()["volume_types"]]
        if "shared" not in names:
            specs = {"multiattach": "<is> True"}
            made = self.client.post(
                url, json={"volume_type": {"name": "shared", "extra_specs": specs}}
            )
            assert made.status_code == 200, made.text
        body = {"volume": {"name": name, "size": size_gb, "volume_type": "shared"}}
        reply = self.client.post(f"{VOLUME}/{self.project_id}/volumes", json=body)
        assert reply.status_code == 202, reply.text
        volume_id = str(reply.json()["volume"]["id"])
        self.tick_until(lambda: self._volume(volume_id)["status"] == "available", "available")
        return volume_id

    def _volume(self, volume_id: str) -> dict[str, Any]:
        reply = self.client.get(f"{VOLUME}/{self.project_id}/volumes/{volume_id}")
        assert reply.status_code == 200, reply.text
        return dict(reply.json()["volume"])

    def attach(self, volume_id: str, nodes: list[Node]) -> None:
        """Attach the volume to every node's server, one after the other (nova's way)."""
        for node in nodes:
            reply = self.client.post(
                f"{COMPUTE}/servers/{node.server_id}/os-volume_attachments",
                json={"volumeAttachment": {"volumeId": volume_id}},
                headers=MULTIATTACH,
            )
            assert reply.status_code == 200, reply.text
            self.tick_until(partial(self._attached, volume_id, node.server_id), "attached")

    def _attached(self, volume_id: str, server_id: str) -> bool:
        volume = self._volume(volume_id)
        servers = {a["server_id"] for a in volume.get("attachments", [])}
        return volume["status"] == "in-use" and server_id in servers

    def tick_until(self, done: Callable[[], bool], what: str) -> None:
        for _ in range(TICKS):
            if done():
                return
            self.advance(1)
        raise AssertionError(f"never {what}")

    # -- the nodes -----------------------------------------------------------------------
    def run(self, node: Node, line: str) -> ShellResult:
        return asyncio.run(Session(node, self.world).run(line))

    def ok(self, node: Node, line: str) -> str:
        result = self.run(node, line)
        assert result.status == 0, (node.name, line, result.out, result.err)
        return result.out

    def advance(self, seconds: float) -> None:
        self.emulator.advance_clock(seconds)

    def close(self) -> None:
        self.client.close()
        self.emulator.close()


def prepare_nodes(lab: RealLab, nodes: list[Node]) -> tuple[str, str]:
    """What an administrator does before clmgr: a 1 GB shared repository and a shared data
    volume attached to every node, cfgmgr, PVIDs written on one node and read on the others,
    no_reserve everywhere, /etc/hosts and /etc/cluster/rhosts (clcomd refreshed), the
    application scripts. Returns the repository and data hdisk names (the same on every
    node here: the volumes are attached in the same order)."""
    repo = lab.shared_volume("harepo", 1)
    data = lab.shared_volume("hadata", 10)
    lab.attach(repo, nodes)
    lab.attach(data, nodes)
    first, *others = nodes
    lab.ok(first, "cfgmgr")
    new = lab.ok(first, "lspv | awk '$2==\"none\"{print $1}'").split()
    assert len(new) == 2, new
    repo_disk, data_disk = new
    for disk in new:
        lab.ok(first, f"chdev -l {disk} -a pv=yes")
    for node in others:
        lab.ok(node, "cfgmgr")
        assert lab.ok(node, 'lspv | awk \'$2!="none" && $3=="None"{print $1}\'').split() == new
    for node in nodes:
        for disk in new:
            lab.ok(node, f"chdev -l {disk} -a reserve_policy=no_reserve")
    hosts = "".join(f"{n.addresses[0]} {n.name}.example.com {n.name}\\n" for n in nodes)
    hosts += f"{SERVICE_ADDRESS} {SERVICE_LABEL}\\n"
    rhosts = "".join(f"{n.addresses[0]}\\n" for n in nodes)
    for node in nodes:
        lab.ok(node, f"printf '{hosts}' >> /etc/hosts")
        lab.ok(node, f"printf '{rhosts}' > /etc/cluster/rhosts")
        lab.ok(node, "refresh -s clcomd")
        lab.ok(node, "mkdir -p /opt/app")
        for script in ("start", "stop"):
            lab.ok(node, f"printf '#!/bin/ksh\\nexit 0\\n' > /opt/app/{script}")
            lab.ok(node, f"chmod 755 /opt/app/{script}")
    return repo_disk, data_disk
