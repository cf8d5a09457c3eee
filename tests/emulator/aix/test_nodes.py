"""Which servers are nodes and when their sshd answers: boot after `aix_boot` on the emulator
clock, down when stopped, kept across restarts, untouched by a live migration."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import asyncssh
import pytest

from powerbridge.emulator.aix.node import BOOTING, DOWN, UP
from tests.emulator.aix.ssh_support import (
    ClientKey,
    advance_until,
    lab,
    lab_config,
    ssh_run,
)

pytestmark = pytest.mark.usefixtures("commands")


def refused(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_node_is_made_from_its_server_and_image(tmp_path: Path, key: ClientKey) -> None:
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        assert aix.create_keypair("lab", key.public).status_code in (200, 201)
        ha = aix.deploy("Node_A 1", key_name="lab", image="PowerHA713")
        plain = aix.deploy("plain", image="AIX72")
        rhel = aix.deploy("linux", image="RHEL84-LE")
        world = aix.running.emulator.aix
        node = world.node(str(ha["id"]))
        assert node is not None
        assert node.name == "node-a-1"  # nova's host name for the display name
        assert node.record.powerha_version == "7.1.3"
        (en0,) = node.record.interfaces
        assert (en0.name, en0.address, en0.network) == ("en0", aix.address(ha), "cmbnet1")
        assert en0.netmask.count(".") == 3
        assert en0.mac
        assert node.fs.read_text("/.ssh/authorized_keys") == key.public + "\n"
        other = world.node(str(plain["id"]))
        assert other is not None
        assert other.record.powerha_version is None
        assert world.node(str(rhel["id"])) is None
        assert node.record.ssh_port != other.record.ssh_port


def test_sshd_answers_only_after_aix_boot_and_not_while_stopped(
    tmp_path: Path, key: ClientKey
) -> None:
    with lab(lab_config(None, tmp_path / "logs", clock="manual")) as aix:
        world = aix.running.emulator.aix
        boot = world.timing("aix_boot", 30)
        assert aix.create_keypair("lab", key.public).status_code in (200, 201)
        reply = aix.create_server("hanode1", key_name="lab")
        server_id = reply.json()["server"]["id"]
        advance_until(aix, server_id, "ACTIVE")
        node = world.node(server_id)
        assert node is not None
        assert node.record.state == BOOTING
        aix.advance(boot)
        aix.wait_node(server_id)
        port = node.record.ssh_port
        assert port is not None
        assert asyncio.run(ssh_run(aix, "hanode1", key, "hostname")).stdout == "hanode1\n"

        aix.action(server_id, {"os-stop": None})
        advance_until(aix, server_id, "SHUTOFF")
        aix.wait_node(server_id, up=False)
        assert node.record.state == DOWN
        assert refused(port)

        aix.action(server_id, {"os-start": None})
        advance_until(aix, server_id, "ACTIVE")
        assert world.node(server_id).record.state == BOOTING  # type: ignore[union-attr]
        aix.advance(boot / 2)
        assert refused(port)
        aix.advance(boot)
        aix.wait_node(server_id)
        assert world.node(server_id).record.ssh_port == port  # type: ignore[union-attr]
        assert asyncio.run(ssh_run(aix, "hanode1", key, "hostname")).exit_status == 0


def test_host_key_and_port_survive_a_restart_with_a_data_dir(
    tmp_path: Path, key: ClientKey
) -> None:
    data = tmp_path / "data"
    with lab(lab_config(data, tmp_path / "logs")) as aix:
        assert aix.create_keypair("lab", key.public).status_code in (200, 201)
        server_id = str(aix.deploy("hanode1", key_name="lab")["id"])
        aix.wait_node(server_id)
        known_before = (data / "ssh" / "known_hosts").read_text()
        port = aix.running.emulator.aix.node(server_id).record.ssh_port  # type: ignore[union-attr]
    assert refused(port)  # type: ignore[arg-type]
    with lab(lab_config(data, tmp_path / "logs")) as aix:
        aix.wait_node(server_id)
        assert aix.running.ssh_config == data / "ssh" / "config"
        assert (data / "ssh" / "known_hosts").read_text() == known_before
        node = aix.running.emulator.aix.node(server_id)
        assert node is not None
        assert node.record.ssh_port == port
        assert node.record.state == UP
        assert asyncio.run(ssh_run(aix, "hanode1", key, "hostname")).stdout == "hanode1\n"


def test_a_live_migration_keeps_the_node_reachable(tmp_path: Path, key: ClientKey) -> None:
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        assert aix.create_keypair("lab", key.public).status_code in (200, 201)
        server = aix.deploy("hanode1", key_name="lab")
        server_id = str(server["id"])
        aix.wait_node(server_id)
        host = server["OS-EXT-SRV-ATTR:host"]
        states: list[str] = []
        aix.running.emulator.aix.on_node_state(lambda node, old, new: states.append(new))
        aix.action(server_id, {"os-migrateLive": {"host": None, "block_migration": "auto"}})
        moved = aix.wait_status(server_id, "ACTIVE")
        assert moved["OS-EXT-SRV-ATTR:host"] != host
        assert states == []
        assert asyncio.run(ssh_run(aix, "hanode1", key, "hostname")).exit_status == 0


def test_a_deleted_server_is_no_node_and_refuses(tmp_path: Path, key: ClientKey) -> None:
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        assert aix.create_keypair("lab", key.public).status_code in (200, 201)
        server_id = str(aix.deploy("hanode1", key_name="lab")["id"])
        aix.wait_node(server_id)
        world = aix.running.emulator.aix
        port = world.node(server_id).record.ssh_port  # type: ignore[union-attr]
        aix.delete_server(server_id)
        aix.wait_node(server_id, up=False)
        assert world.node(server_id) is None
        # the listener and the client files follow in the emulator's event loop, a moment later
        config = aix.running.ssh_config
        assert config is not None
        deadline = time.monotonic() + 5
        while not refused(port) or "hanode1" in config.read_text():  # type: ignore[arg-type]
            assert time.monotonic() < deadline, "the deleted node is still reachable or listed"
            time.sleep(0.02)
        with pytest.raises((OSError, asyncssh.Error)):
            asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))


def test_a_node_whose_port_was_taken_while_down_comes_back_on_another(
    tmp_path: Path, key: ClientKey
) -> None:
    with lab(lab_config(None, tmp_path / "logs", clock="manual")) as aix:
        world = aix.running.emulator.aix
        boot = world.timing("aix_boot", 30)
        assert aix.create_keypair("lab", key.public).status_code in (200, 201)
        server_id = aix.create_server("hanode1", key_name="lab").json()["server"]["id"]
        advance_until(aix, server_id, "ACTIVE")
        aix.advance(boot)
        aix.wait_node(server_id)
        port = world.node(server_id).record.ssh_port  # type: ignore[union-attr]
        aix.action(server_id, {"os-stop": None})
        advance_until(aix, server_id, "SHUTOFF")
        aix.wait_node(server_id, up=False)
        with socket.socket() as squatter:  # another process takes the port meanwhile
            squatter.bind(("127.0.0.1", port))  # type: ignore[arg-type]
            squatter.listen()
            aix.action(server_id, {"os-start": None})
            advance_until(aix, server_id, "ACTIVE")
            aix.advance(boot)
            node = world.node(server_id)
            assert node is not None
            limit = time.monotonic() + 10  # wait_node would take the squatter for the node
            while node.record.ssh_port == port and time.monotonic() < limit:
                time.sleep(0.05)
            assert node.record.ssh_port not in (None, port)
            done = asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
            assert done.stdout == "hanode1\n"  # ssh/config follows the new port
