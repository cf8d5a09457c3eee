"""ssh/config and known_hosts: their blocks and lines, service labels that follow their group,
and where sshd listens."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from powerbridge.emulator.aix.powerha.clusters import ClusterRegistry
from powerbridge.emulator.aix.ssh_files import public_key_line
from powerbridge.emulator.aix.sshd import listen_host
from tests.emulator.aix.ssh_support import client_key, ensure_commands, lab, lab_config, ssh_run


def test_sshd_listens_on_loopback_only() -> None:
    assert listen_host("127.0.0.1") == "127.0.0.1"
    assert listen_host("127.0.0.2") == "127.0.0.2"
    assert listen_host("::1") == "::1"
    assert listen_host("0.0.0.0") == "127.0.0.1"
    assert listen_host("powervc.example.com") == "127.0.0.1"


def test_the_files_name_every_node_and_a_service_label_follows_its_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_commands(monkeypatch)
    key = client_key(tmp_path)
    labels: list[tuple[str, str, str]] = []
    monkeypatch.setattr(ClusterRegistry, "service_labels", lambda self: list(labels))
    with lab(lab_config(None, tmp_path / "logs")) as aix:
        assert aix.create_keypair("lab", key.public).status_code in (200, 201)
        first = aix.deploy("hanode1", key_name="lab")
        second = aix.deploy("hanode2", key_name="lab")
        for server in (first, second):
            aix.wait_node(str(server["id"]))
        world = aix.running.emulator.aix
        config = aix.running.ssh_config
        assert config is not None
        known = config.with_name("known_hosts")
        node = world.node(str(first["id"]))
        assert node is not None
        block = (
            f"Host hanode1 {aix.address(first)}\n"
            "    HostName 127.0.0.1\n"
            f"    Port {node.record.ssh_port}\n"
            "    User root\n"
            "    HostKeyAlias hanode1\n"
            f"    UserKnownHostsFile {known}\n"
            "    StrictHostKeyChecking yes\n"
        )
        assert block in config.read_text()
        assert "IdentityFile" not in config.read_text()
        line = f"hanode1,{aix.address(first)} {public_key_line(node.record.host_key or '')}\n"
        assert line in known.read_text()
        assert config.stat().st_mode & 0o777 == 0o600

        # the group's service label comes online on hanode2; the next change rewrites the files
        labels.append(("appsvc", "192.168.100.200", str(second["id"])))
        aix.action(str(first["id"]), {"os-stop": None})
        aix.wait_node(str(first["id"]), up=False)
        deadline = time.monotonic() + 10
        while "Host appsvc" not in config.read_text():
            assert time.monotonic() < deadline, config.read_text()
            time.sleep(0.02)
        holder = world.node(str(second["id"]))
        assert holder is not None
        assert "Host appsvc 192.168.100.200\n" in config.read_text()
        label_block = config.read_text().split("Host appsvc")[1]
        assert f"Port {holder.record.ssh_port}\n" in label_block
        assert "HostKeyAlias hanode2\n" in label_block
        done = asyncio.run(ssh_run(aix, "192.168.100.200", key, "hostname"))
        assert done.stdout == "hanode2\n"
