"""Helpers for the SSH tests: an AIX lab over a running emulator's HTTP API (key pairs,
deploys, power actions, the manual clock) and an asyncssh client key."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest

from powerbridge.emulator.aix.commands import COMMANDS
from powerbridge.emulator.aix.commands.base import Invocation
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from tests.support.emulator_http import password_auth

ADMIN = "/powervc/emulator/v1"
WAIT_SECONDS = 10.0
LOGIN_TIMEOUT = 10.0


def lab_config(data_dir: Path | None, logs: Path, clock: str = "instant") -> EmulatorConfig:
    """An emulator whose nodes take any free SSH port (so tests run side by side)."""
    return EmulatorConfig(
        port=0,
        data_dir=data_dir,
        log_dir=logs,
        clock=clock,  # type: ignore[arg-type]
        ssh_ports=(0, 0),
    )


@dataclass
class ClientKey:
    """A private key the test holds, written to a file for OpenSSH's `-i`."""

    key: asyncssh.SSHKey
    path: Path

    @property
    def public(self) -> str:
        return bytes(self.key.export_public_key()).decode().strip()


def client_key(directory: Path, name: str = "id_ed25519") -> ClientKey:
    key = asyncssh.generate_private_key("ssh-ed25519")
    path = directory / name
    key.write_private_key(str(path))
    path.chmod(0o600)
    return ClientKey(key, path)


@dataclass
class Lab:
    running: RunningEmulator
    http: httpx.Client
    token: str = ""
    compute: str = ""
    ids: dict[str, str] = field(default_factory=dict)

    def login(self) -> None:
        reply = self.http.post(f"{self.running.auth_url}/auth/tokens", json=password_auth())
        assert reply.status_code == 201, reply.text
        self.token = reply.headers["x-subject-token"]
        self.http.headers["X-Auth-Token"] = self.token
        for entry in reply.json()["token"]["catalog"]:
            if entry["type"] == "compute":
                self.compute = next(
                    e["url"] for e in entry["endpoints"] if e["interface"] == "public"
                )
        images = self.http.get(f"{self._image_url()}/v2/images").json()["images"]
        self.ids.update({f"image:{i['name']}": i["id"] for i in images})
        flavors = self.http.get(f"{self.compute}/flavors").json()["flavors"]
        self.ids["flavor"] = next(f["id"] for f in flavors if f["name"] == "powervm.small")
        networks = self.http.get(f"{self._network_url()}/v2.0/networks").json()["networks"]
        self.ids["network"] = next(n["id"] for n in networks if n["name"] == "cmbnet1")

    def _image_url(self) -> str:
        return self.running.service_urls["image"]

    def _network_url(self) -> str:
        return self.running.service_urls["network"]

    # -- nova ----------------------------------------------------------------------------
    def create_keypair(self, name: str, public_key: str) -> httpx.Response:
        body = {"keypair": {"name": name, "public_key": public_key}}
        return self.http.post(f"{self.compute}/os-keypairs", json=body)

    def delete_keypair(self, name: str) -> None:
        reply = self.http.delete(f"{self.compute}/os-keypairs/{name}")
        assert reply.status_code in (202, 204), reply.text

    def create_server(self, name: str, *, image: str = "PowerHA72", **extra: Any) -> httpx.Response:
        body = {
            "name": name,
            "imageRef": self.ids[f"image:{image}"],
            "flavorRef": self.ids["flavor"],
            "networks": [{"uuid": self.ids["network"]}],
            **extra,
        }
        return self.http.post(f"{self.compute}/servers", json={"server": body})

    def deploy(self, name: str, **extra: Any) -> dict[str, Any]:
        reply = self.create_server(name, **extra)
        assert reply.status_code == 202, reply.text
        return self.wait_status(reply.json()["server"]["id"], "ACTIVE")

    def server(self, server_id: str) -> dict[str, Any]:
        reply = self.http.get(f"{self.compute}/servers/{server_id}")
        assert reply.status_code == 200, reply.text
        server: dict[str, Any] = reply.json()["server"]
        return server

    def wait_status(self, server_id: str, status: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            server = self.server(server_id)
            if server["status"] == status and server.get("OS-EXT-STS:task_state") is None:
                return server
            assert time.monotonic() < deadline, f"{server_id} stays {server['status']}"
            time.sleep(0.02)

    def action(self, server_id: str, body: dict[str, Any], version: str = "2.1") -> None:
        reply = self.http.post(
            f"{self.compute}/servers/{server_id}/action",
            json=body,
            headers={"OpenStack-API-Version": f"compute {version}"},
        )
        assert reply.status_code == 202, reply.text

    def delete_server(self, server_id: str) -> None:
        reply = self.http.delete(f"{self.compute}/servers/{server_id}")
        assert reply.status_code == 204, reply.text

    def advance(self, seconds: float) -> None:
        url = f"{self.running.base_url}{ADMIN}/clock"
        reply = self.http.post(url, json={"advance": seconds})
        assert reply.status_code == 200, reply.text

    # -- nodes ---------------------------------------------------------------------------
    def address(self, server: dict[str, Any]) -> str:
        return str(server["addresses"]["cmbnet1"][0]["addr"])

    def wait_node(self, server_id: str, up: bool = True) -> None:
        """Until the node's sshd accepts connections and ssh/config names its port (or, with
        `up=False`, until its port refuses them)."""
        node = self.running.emulator.aix.node(server_id)
        port = node.record.ssh_port if node is not None else None
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            if up and self._listening(server_id):
                return
            if not up and (port is None or not _accepts(port)):
                return
            assert time.monotonic() < deadline, f"node {server_id} never became up={up}"
            time.sleep(0.02)

    def _listening(self, server_id: str) -> bool:
        node = self.running.emulator.aix.node(server_id)
        config = self.running.ssh_config
        if node is None or node.record.ssh_port is None or config is None:
            return False
        if not config.exists() or f"Port {node.record.ssh_port}\n" not in config.read_text():
            return False
        return _accepts(node.record.ssh_port)


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def lab(config: EmulatorConfig) -> Iterator[Lab]:
    with running_emulator(config) as running, httpx.Client(timeout=10.0, trust_env=False) as http:
        instance = Lab(running, http)
        instance.login()
        yield instance


async def ssh_run(
    lab: Lab, host: str, key: ClientKey, command: str, stdin: str | None = None
) -> asyncssh.SSHCompletedProcess:
    """Run `command` on `host` with asyncssh, reading the emulator's ssh/config; `stdin` is
    what the command reads."""
    assert lab.running.ssh_config is not None
    async with asyncssh.connect(
        host,
        config=[str(lab.running.ssh_config)],
        client_keys=[key.key],
        agent_path=None,
        login_timeout=LOGIN_TIMEOUT,
    ) as connection:
        return await connection.run(command, input=stdin)


# -- stand-ins until the shell's commands land (the real ones win when they exist) ---------------
def _hostname(inv: Invocation) -> int:
    inv.out.line(inv.node.name)
    return 0


def _cat(inv: Invocation) -> int:
    inv.out.write(inv.stdin)
    return 0


def _crash(inv: Invocation) -> int:
    raise RuntimeError("a command with a bug")


def ensure_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """`hostname` and `cat` (stdin only) if the command table lacks them, and `crash-me`: a
    command that raises, as a buggy command would."""
    for name, command in (("hostname", _hostname), ("cat", _cat)):
        if name not in COMMANDS:
            monkeypatch.setitem(COMMANDS, name, command)
    monkeypatch.setitem(COMMANDS, CRASH, _crash)


CRASH = "crash-me"


def advance_until(aix: Lab, server_id: str, status: str) -> None:
    """Tick a manual clock one second at a time until the server shows `status`."""
    for _ in range(600):
        server = aix.server(server_id)
        if server["status"] == status and server.get("OS-EXT-STS:task_state") is None:
            return
        aix.advance(1)
    raise AssertionError(f"{server_id} never became {status}")


def deploy_node(aix: Lab, key: ClientKey, name: str = "hanode1") -> dict[str, Any]:
    """A PowerHA server whose node has `key` authorised (pair `lab`), deployed and up."""
    assert aix.create_keypair("lab", key.public).status_code in (200, 201)
    server = aix.deploy(name, key_name="lab")
    aix.wait_node(str(server["id"]))
    return server


def add_behaviour(lab: Lab, rule: dict[str, Any]) -> str:
    reply = lab.http.post(f"{lab.running.base_url}{ADMIN}/behaviours", json={"behaviour": rule})
    assert reply.status_code == 201, reply.text
    return str(reply.json()["behaviour"]["id"])


def remove_behaviour(lab: Lab, rule_id: str) -> None:
    reply = lab.http.delete(f"{lab.running.base_url}{ADMIN}/behaviours/{rule_id}")
    assert reply.status_code in (200, 204), reply.text
