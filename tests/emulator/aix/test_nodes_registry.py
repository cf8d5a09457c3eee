"""NodeRegistry without SSH: host names, cloud-config keys, states through reboots, errors and
rebuilds, and a boot that resumes after an emulator restart."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from powerbridge.emulator.aix.cloud_config import authorized_keys, user_data_keys
from powerbridge.emulator.aix.node import BOOTING, DOWN, UP
from powerbridge.emulator.aix.nodes import host_name
from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import COMPUTE, IDENTITY, IMAGE, NETWORK, password_auth

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0Uq2xmE0Jb8b0Q0xvT2sWGx2F7ufh3a2S4XhYVbGQd a@b"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_host_names_are_novas() -> None:
    assert host_name("HA_Node 1", "id") == "ha-node-1"
    assert host_name("db.example", "id") == "db.example"
    assert host_name("--été--", "abc") == "t"
    assert host_name("***", "abc") == "server-abc"
    assert len(host_name("x" * 80, "id")) == 63


def test_cloud_config_keys() -> None:
    document = f"#cloud-config\nssh_authorized_keys:\n  - {KEY}\n  - {KEY}\n"
    assert user_data_keys(b64(document)) == [KEY, KEY]
    assert authorized_keys(KEY, b64(document)) == [KEY]  # each key once
    assert user_data_keys(b64(f"#cloud-config\nssh_authorized_keys: {KEY}\n")) == [KEY]
    for bad in ("not base64 !!", b64("#!/bin/sh\necho hi\n"), b64("#cloud-config\n: : :\n")):
        assert user_data_keys(bad) == []
    assert user_data_keys(b64("#cloud-config\nssh_authorized_keys: [1, {a: b}]\n")) == []
    assert authorized_keys(None, None) == []


class Rig:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.client = TestClient(create_app(emulator), base_url="http://testserver")
        reply = self.client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        self.client.headers["X-Auth-Token"] = reply.headers["x-subject-token"]

    def first(self, url: str, collection: str, name: str) -> str:
        rows = self.client.get(url).json()[collection]
        return str(next(row["id"] for row in rows if row["name"] == name))

    def create(self, name: str, image: str = "PowerHA72") -> str:
        body = {
            "name": name,
            "imageRef": self.first(f"{IMAGE}/images", "images", image),
            "flavorRef": self.first(f"{COMPUTE}/flavors", "flavors", "powervm.small"),
            "networks": [{"uuid": self.first(f"{NETWORK}/networks", "networks", "cmbnet1")}],
        }
        reply = self.client.post(f"{COMPUTE}/servers", json={"server": body})
        assert reply.status_code == 202, reply.text
        return str(reply.json()["server"]["id"])

    def status(self, server_id: str) -> str:
        return str(self.client.get(f"{COMPUTE}/servers/{server_id}").json()["server"]["status"])

    def act(self, server_id: str, body: dict[str, Any]) -> None:
        reply = self.client.post(f"{COMPUTE}/servers/{server_id}/action", json=body)
        assert reply.status_code == 202, reply.text

    def tick_until(self, server_id: str, status: str) -> None:
        for _ in range(600):
            server = self.client.get(f"{COMPUTE}/servers/{server_id}").json()["server"]
            if server["status"] == status and server["OS-EXT-STS:task_state"] is None:
                return
            self.emulator.advance_clock(1)
        raise AssertionError(f"never {status}")

    def state(self, server_id: str) -> str:
        node = self.emulator.aix.node(server_id)
        assert node is not None
        return node.record.state


def test_reboot_error_and_rebuild_follow_the_server(tmp_path: Path) -> None:
    emulator = Emulator(EmulatorConfig(log_dir=tmp_path / "logs", clock="manual"))
    rig = Rig(emulator)
    boot = emulator.aix.timing("aix_boot", 30)
    server_id = rig.create("hanode1")
    rig.tick_until(server_id, "ACTIVE")
    emulator.advance_clock(boot)
    assert rig.state(server_id) == UP
    first_key = emulator.aix.node(server_id).record.host_key  # type: ignore[union-attr]

    rig.act(server_id, {"reboot": {"type": "SOFT"}})
    assert rig.state(server_id) == DOWN
    rig.tick_until(server_id, "ACTIVE")
    assert rig.state(server_id) == BOOTING
    emulator.advance_clock(boot)
    assert rig.state(server_id) == UP
    assert emulator.aix.node(server_id).record.host_key == first_key  # type: ignore[union-attr]

    node = emulator.aix.node(server_id)
    assert node is not None
    node.fs.write_text("/tmp/mine", "kept until a rebuild\n")
    image = rig.first(f"{IMAGE}/images", "images", "PowerHA72")
    rig.act(server_id, {"rebuild": {"imageRef": image}})
    assert rig.state(server_id) == DOWN
    rig.tick_until(server_id, "ACTIVE")
    emulator.advance_clock(boot)
    rebuilt = emulator.aix.node(server_id)
    assert rebuilt is not None
    assert rebuilt.record.state == UP
    assert rebuilt.record.host_key != first_key
    assert not rebuilt.fs.exists("/tmp/mine")
    assert rebuilt.record.ssh_port == node.record.ssh_port
    emulator.close()


def test_a_boot_in_flight_resumes_after_a_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", clock="manual")
    emulator = Emulator(config)
    rig = Rig(emulator)
    server_id = rig.create("hanode1")
    rig.tick_until(server_id, "ACTIVE")
    assert rig.state(server_id) == BOOTING
    boot = emulator.aix.timing("aix_boot", 30)
    emulator.close()

    again = Emulator(config)
    node = again.aix.node(server_id)
    assert node is not None
    assert node.record.state == BOOTING
    again.advance_clock(boot)
    assert node.record.state == UP
    again.close()


def test_only_aix_images_make_nodes(tmp_path: Path) -> None:
    emulator = Emulator(EmulatorConfig(log_dir=tmp_path / "logs"))
    rig = Rig(emulator)
    linux = rig.create("linux", image="RHEL84-LE")
    aix = rig.create("aix", image="AIX72")
    assert rig.status(linux) == "ACTIVE"
    assert rig.status(aix) == "ACTIVE"
    assert emulator.aix.node(linux) is None
    assert rig.state(aix) == UP  # the instant clock: aix_boot takes no time
    emulator.close()


def test_a_server_in_error_is_a_node_down(tmp_path: Path) -> None:
    emulator = Emulator(EmulatorConfig(log_dir=tmp_path / "logs", clock="manual"))
    emulator.behaviours.add(
        {"kind": "server", "mode": "active_then_error", "name_regex": "^flaky", "seconds": 60}
    )
    rig = Rig(emulator)
    server_id = rig.create("flaky1")
    rig.tick_until(server_id, "ACTIVE")
    emulator.advance_clock(emulator.aix.timing("aix_boot", 30))
    assert rig.state(server_id) == UP
    rig.tick_until(server_id, "ERROR")
    assert rig.state(server_id) == DOWN
    emulator.close()
