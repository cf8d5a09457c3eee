"""Fixtures for the simulated AIX nodes: servers deployed and volumes attached through the
emulator's HTTP API (instant clock), node records made for them, command lines run in a shell
session on a node."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.aix.node import UP, Node, NodeRecord
from powerbridge.emulator.aix.shell import Session, ShellResult
from powerbridge.emulator.state import Emulator
from tests.emulator.aix.ssh_support import (
    ClientKey,
    Lab,
    client_key,
    deploy_node,
    ensure_commands,
    lab,
    lab_config,
)
from tests.support import powerha_lab
from tests.support.emulator_http import COMPUTE, VOLUME, deploy, inventory

MULTIATTACH = {"OpenStack-API-Version": "compute 2.60"}  # nova's first with shared volumes


@dataclass
class Estate:
    """A test's PowerVC: the admin client, its project and the emulator behind it."""

    admin: TestClient
    project_id: str
    emulator: Emulator

    def server(self, name: str) -> str:
        return deploy(self.admin, inventory(self.admin), name)

    def node(self, server_id: str, name: str) -> Node:
        """The node record the node registry makes for an AIX server (made by hand here),
        booted: the boot's cfgmgr configures what the server has attached now."""
        self.settle(server_id)
        world = self.emulator.aix
        node = world.add(NodeRecord(server_id, name))
        world.set_state(node, UP)
        return node

    def volume(self, name: str, size: int = 1, *, shared: bool = False) -> str:
        body: dict[str, object] = {"size": size, "name": name}
        if shared:
            body["volume_type"] = self.shared_type()
        response = self.admin.post(f"{VOLUME}/{self.project_id}/volumes", json={"volume": body})
        assert response.status_code == 202, response.text
        return str(response.json()["volume"]["id"])

    def settle(self, server_id: str) -> None:
        """A request lets the instant clock finish what is due (the deploy, an attach)."""
        response = self.admin.get(f"{COMPUTE}/servers/{server_id}", headers=MULTIATTACH)
        assert response.status_code == 200, response.text

    def shared_type(self) -> str:
        url = f"{VOLUME}/{self.project_id}/types"
        names = [t["name"] for t in self.admin.get(url).json()["volume_types"]]
        if "shared" not in names:
            specs = {"multiattach": "<is> True"}
            created = self.admin.post(
                url, json={"volume_type": {"name": "shared", "extra_specs": specs}}
            )
            assert created.status_code == 200, created.text
        return "shared"

    def attach(self, server_id: str, volume_id: str) -> None:
        response = self.admin.post(
            f"{COMPUTE}/servers/{server_id}/os-volume_attachments",
            json={"volumeAttachment": {"volumeId": volume_id}},
            headers=MULTIATTACH,
        )
        assert response.status_code == 200, response.text
        self.settle(server_id)

    def detach(self, server_id: str, volume_id: str) -> None:
        url = f"{COMPUTE}/servers/{server_id}/os-volume_attachments/{volume_id}"
        response = self.admin.delete(url, headers=MULTIATTACH)
        assert response.status_code == 202, response.text
        self.settle(server_id)

    def volume_metadata(self, volume_id: str) -> dict[str, str]:
        url = f"{VOLUME}/{self.project_id}/volumes/{volume_id}"
        return dict(self.admin.get(url).json()["volume"]["metadata"])


@pytest.fixture
def estate(admin: TestClient, project_id: str, emulator: Emulator) -> Estate:
    return Estate(admin, project_id, emulator)


def run(node: Node, estate: Estate, line: str) -> ShellResult:
    """One command line on the node, as `ssh node LINE` runs it."""
    return asyncio.run(Session(node, estate.emulator.aix).run(line))


@pytest.fixture(name="lab")
def powerha_lab_fixture(tmp_path: Path) -> Iterator[powerha_lab.Lab]:
    """A PowerHA lab (tests/support/powerha_lab.py), closed after the test."""
    instance = powerha_lab.Lab(tmp_path)
    yield instance
    instance.close()


# The SSH labs: a running emulator over real HTTP, its nodes reached over real SSH.


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands the SSH tests run (see `ensure_commands`); a module asks for it with
    `pytestmark = pytest.mark.usefixtures("commands")`."""
    ensure_commands(monkeypatch)


@pytest.fixture
def key(tmp_path: Path) -> ClientKey:
    return client_key(tmp_path)


@pytest.fixture
def empty_lab(tmp_path: Path) -> Iterator[Lab]:
    """A lab on the instant clock with no servers yet."""
    with lab(lab_config(None, tmp_path / "logs")) as instance:
        yield instance


@pytest.fixture
def aix(empty_lab: Lab) -> Lab:
    """The empty lab; a module whose tests want `hanode1` up overrides this with `aix_node`."""
    return empty_lab


@pytest.fixture
def aix_node(empty_lab: Lab, key: ClientKey) -> Lab:
    """The lab with `hanode1` deployed and up (its server id in `ids["node"]`)."""
    empty_lab.ids["node"] = str(deploy_node(empty_lab, key)["id"])
    return empty_lab
