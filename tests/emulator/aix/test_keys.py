"""Keys as nova and cloud-init handle them: the pair named at create must exist, its key is
copied into the server, cloud-config keys are added, a rebuild with another pair replaces it."""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path

import asyncssh
import pytest

from tests.emulator.aix.ssh_support import (
    ClientKey,
    Lab,
    client_key,
    ssh_run,
)

pytestmark = pytest.mark.usefixtures("commands")


def cloud_config(*keys: str) -> str:
    lines = ["#cloud-config", "ssh_authorized_keys:", *(f"  - {k}" for k in keys)]
    return base64.b64encode(("\n".join(lines) + "\n").encode()).decode()


def test_an_unknown_key_name_is_refused_by_nova(aix: Lab) -> None:
    reply = aix.create_server("nokey", key_name="no-such-pair")
    assert reply.status_code == 400
    assert reply.json()["badRequest"]["message"] == "Invalid key_name provided."
    assert aix.running.emulator.aix.nodes == {}


def test_a_rebuild_naming_an_unknown_pair_is_refused(aix: Lab, key: ClientKey) -> None:
    assert aix.create_keypair("lab", key.public).status_code in (200, 201)
    server = aix.deploy("hanode1", key_name="lab")
    reply = aix.http.post(
        f"{aix.compute}/servers/{server['id']}/action",
        json={"rebuild": {"imageRef": aix.ids["image:PowerHA72"], "key_name": "missing"}},
        headers={"OpenStack-API-Version": "compute 2.54"},
    )
    assert reply.status_code == 400
    assert reply.json()["badRequest"]["message"] == "Invalid key_name provided."
    assert aix.server(str(server["id"]))["status"] == "ACTIVE"


def test_the_pairs_key_is_copied_so_deleting_the_pair_keeps_root_in(
    aix: Lab, key: ClientKey
) -> None:
    assert aix.create_keypair("lab", key.public).status_code in (200, 201)
    server = aix.deploy("hanode1", key_name="lab")
    aix.delete_keypair("lab")
    aix.wait_node(str(server["id"]))
    node = aix.running.emulator.aix.node(str(server["id"]))
    assert node is not None
    assert node.fs.read_text("/.ssh/authorized_keys") == key.public + "\n"
    assert node.fs.stat("/.ssh/authorized_keys").mode == 0o600  # type: ignore[union-attr]
    assert asyncio.run(ssh_run(aix, "hanode1", key, "hostname")).stdout == "hanode1\n"


def test_cloud_config_keys_are_authorized_too(aix: Lab, key: ClientKey, tmp_path: Path) -> None:
    extra = client_key(tmp_path, "extra")
    assert aix.create_keypair("lab", key.public).status_code in (200, 201)
    server = aix.deploy("hanode1", key_name="lab", user_data=cloud_config(extra.public))
    aix.wait_node(str(server["id"]))
    assert asyncio.run(ssh_run(aix, "hanode1", extra, "hostname")).exit_status == 0
    assert asyncio.run(ssh_run(aix, "hanode1", key, "hostname")).exit_status == 0


def test_user_data_that_is_not_cloud_config_adds_no_key(
    aix: Lab, key: ClientKey, tmp_path: Path
) -> None:
    extra = client_key(tmp_path, "extra")
    script = base64.b64encode(f"#!/bin/ksh\necho {extra.public}\n".encode()).decode()
    server = aix.deploy("hanode1", user_data=script)
    aix.wait_node(str(server["id"]))
    with pytest.raises(asyncssh.PermissionDenied):
        asyncio.run(ssh_run(aix, "hanode1", extra, "hostname"))


def test_a_rebuild_with_another_pair_replaces_the_key_and_the_host_key(
    aix: Lab, key: ClientKey, tmp_path: Path
) -> None:
    second = client_key(tmp_path, "second")
    assert aix.create_keypair("first", key.public).status_code in (200, 201)
    assert aix.create_keypair("second", second.public).status_code in (200, 201)
    server = aix.deploy("hanode1", key_name="first")
    server_id = str(server["id"])
    aix.wait_node(server_id)
    known = aix.running.ssh_config.with_name("known_hosts")  # type: ignore[union-attr]
    before = known.read_text()
    aix.action(
        server_id,
        {"rebuild": {"imageRef": aix.ids["image:PowerHA72"], "key_name": "second"}},
        version="2.54",
    )
    aix.wait_status(server_id, "ACTIVE")
    deadline = time.monotonic() + 10
    while known.read_text() == before:
        assert time.monotonic() < deadline, "known_hosts kept the old host key"
        time.sleep(0.02)
    aix.wait_node(server_id)
    assert asyncio.run(ssh_run(aix, "hanode1", second, "hostname")).stdout == "hanode1\n"
    with pytest.raises(asyncssh.PermissionDenied):
        asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
