"""Reaching a node over real SSH: asyncssh's client and OpenSSH's `ssh`, with the emulator's
ssh/config, a key pair the test made, and nothing else."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from tests.emulator.aix.ssh_support import (
    ClientKey,
    Lab,
    client_key,
    ensure_commands,
    lab,
    lab_config,
    ssh_run,
)


@pytest.fixture(autouse=True)
def commands(monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_commands(monkeypatch)


@pytest.fixture
def key(tmp_path: Path) -> ClientKey:
    return client_key(tmp_path)


@pytest.fixture
def aix(tmp_path: Path) -> Iterator[Lab]:
    with lab(lab_config(None, tmp_path / "logs")) as instance:
        yield instance


def deploy_node(aix: Lab, key: ClientKey, name: str = "hanode1") -> dict[str, object]:
    assert aix.create_keypair("lab", key.public).status_code in (200, 201)
    server = aix.deploy(name, key_name="lab")
    aix.wait_node(str(server["id"]))
    return server


def test_asyncssh_reaches_a_node_by_address_and_by_name(aix: Lab, key: ClientKey) -> None:
    server = deploy_node(aix, key)
    by_address = asyncio.run(ssh_run(aix, aix.address(server), key, "hostname"))
    by_name = asyncio.run(ssh_run(aix, "hanode1", key, "hostname"))
    assert (by_address.stdout, by_address.exit_status) == ("hanode1\n", 0)
    assert by_name.stdout == "hanode1\n"
