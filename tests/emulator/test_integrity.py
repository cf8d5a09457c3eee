"""`emulator.integrity.check`: a state made through the API is sound; each invariant breach a
crash between two record writes could leave is named (made here by editing the state)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.integrity import check
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import COMPUTE, VOLUME, deploy, inventory


@pytest.fixture
def made(admin: TestClient, emulator: Emulator, project_id: str) -> dict[str, Any]:
    """One ACTIVE server with one attached volume, made through the API (instant clock)."""
    volume = admin.post(
        f"{VOLUME}/{project_id}/volumes",
        json={"volume": {"size": 3, "name": "data1", "volume_type": "xiv90 base template"}},
    ).json()["volume"]
    bdm = [{"uuid": volume["id"], "source_type": "volume", "destination_type": "volume",
            "boot_index": -1, "delete_on_termination": False}]  # fmt: skip
    server_id = deploy(admin, inventory(admin), "sound", block_device_mapping_v2=bdm)
    assert admin.get(f"{COMPUTE}/servers/{server_id}").json()["server"]["status"] == "ACTIVE"
    return {"server": emulator.server_registry.servers[server_id], "volume_id": volume["id"]}


def test_a_state_made_through_the_api_is_sound(emulator: Emulator, made: dict[str, Any]) -> None:
    assert check(emulator) == []


def test_an_attachment_missing_on_the_volume_side_is_named(
    emulator: Emulator, made: dict[str, Any]
) -> None:
    attachments = emulator.volumes.attachments
    for key in [k for k, a in attachments.items() if a.volume_id == made["volume_id"]]:
        del attachments[key]
    [problem] = check(emulator)
    assert f"volume {made['volume_id']} attached with no attachment recorded" in problem


def test_a_host_whose_use_is_not_its_servers_claims_is_named(
    emulator: Emulator, made: dict[str, Any]
) -> None:
    host = emulator.hosts.hosts[made["server"].host]
    host.memory_free_mb -= 1024  # a claim recorded on the host but on no server
    [problem] = check(emulator)
    assert problem.startswith(f"host {host.spec.name}: in use")


def test_a_port_left_by_a_gone_server_and_a_half_made_server_are_named(
    emulator: Emulator, made: dict[str, Any]
) -> None:
    server = made["server"]
    server.status, server.fault = "ERROR", None
    problems = check(emulator)
    assert problems == [f"server {server.id} (sound): ERROR with no fault"]
    server.deleted = True
    problems = check(emulator)
    assert any(
        p.startswith("port ") and f"server {server.id}, which is gone" in p for p in problems
    )
    assert any(f"server {server.id} is gone" in p for p in problems)  # the attachment too
