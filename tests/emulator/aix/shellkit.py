"""What the shell, file and system command tests share: an in-memory emulator with one AIX
node (its first-boot files laid down; a hand-made record, or a real server deployed through
the API when the node must outlive a restart), and a synchronous way to run lines in its
shell."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.testclient import TestClient

from powerbridge.emulator.aix.node import UP, Interface, Node, NodeRecord
from powerbridge.emulator.aix.node_files import seed_files
from powerbridge.emulator.aix.shell import Session, ShellResult
from powerbridge.emulator.app import create_app
from powerbridge.emulator.clock import ClockMode
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import COMPUTE, IDENTITY, IMAGE, NETWORK, find, password_auth


@contextmanager
def emulator(
    tmp_path: Path, *, data: bool = False, clock: ClockMode = "instant"
) -> Iterator[Emulator]:
    if data:
        config = EmulatorConfig(data_dir=tmp_path / "data", clock=clock)
    else:
        config = EmulatorConfig(data_dir=None, log_dir=tmp_path / "logs", clock=clock)
    instance = Emulator(config)
    try:
        yield instance
    finally:
        instance.close()


def add_node(
    instance: Emulator,
    name: str = "node1",
    *,
    server_id: str = "srv-1",
    address: str = "192.168.100.10",
    powerha: str | None = "7.2.5",
) -> Node:
    interface = Interface("en0", address, "255.255.255.0", "fa:16:3e:0a:0b:0c", network="net1")
    record = NodeRecord(server_id, name, powerha_version=powerha, interfaces=[interface])
    node = instance.aix.add(record)
    seed_files(node)
    instance.aix.save(node)
    return node


def deploy_node(instance: Emulator, name: str = "node1", *, image: str = "PowerHA72") -> Node:
    """A real AIX server deployed through the API (the instant clock: ACTIVE and its node up
    at once). Unlike `add_node`'s record, the node registry keeps it over a restart."""
    with TestClient(create_app(instance), base_url="http://testserver") as client:
        login = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        client.headers["X-Auth-Token"] = login.headers["x-subject-token"]
        body = {
            "name": name,
            "imageRef": find(client, f"{IMAGE}/images", "images", image)["id"],
            "flavorRef": find(client, f"{COMPUTE}/flavors", "flavors", "powervm.small")["id"],
            "networks": [
                {"uuid": find(client, f"{NETWORK}/networks", "networks", "cmbnet1")["id"]}
            ],
        }
        reply = client.post(f"{COMPUTE}/servers", json={"server": body})
        assert reply.status_code == 202, reply.text
        server_id = str(reply.json()["server"]["id"])
        client.get(f"{COMPUTE}/servers/{server_id}")  # the instant clock finishes the deploy
    node = instance.aix.node(server_id)
    assert node is not None, server_id
    assert node.record.state == UP, node.record.state
    return node


class Shell:
    """One login on a node, driven synchronously."""

    def __init__(self, instance: Emulator, node: Node) -> None:
        self.session = Session(node, instance.aix)

    def run(self, line: str, stdin: str = "") -> ShellResult:
        return asyncio.run(self.session.run(line, stdin))

    def out(self, line: str) -> str:
        """stdout of a line that must succeed without complaint."""
        result = self.run(line)
        assert (result.status, result.err) == (0, ""), result
        return result.out
