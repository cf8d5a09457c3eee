"""PowerVC's clone-vm over HTTP: the clone copies the source's template and volumes, runs on
the networks asked for, and its task's get_progress says completed once it is ACTIVE."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import (
    COMPUTE,
    IDENTITY,
    VOLUME,
    deploy,
    inventory,
    password_auth,
    show,
)

CLOCK = "/powervc/emulator/v1/clock"


V247 = {"OpenStack-API-Version": "compute 2.47"}  # flavors embedded in server bodies


def boot_from_volume(client: TestClient, project_id: str, ids: dict[str, str]) -> str:
    body = {
        "server": {
            "name": "source-vm",
            "flavorRef": ids["flavor"],
            "networks": [{"uuid": ids["network"]}],
            "block_device_mapping_v2": [
                {
                    "boot_index": 0,
                    "uuid": ids["image"],
                    "source_type": "image",
                    "destination_type": "volume",
                    "volume_size": 20,
                }
            ],
        }
    }
    answer = client.post(f"{COMPUTE}/servers", json=body)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["server"]["id"])


def clone(client: TestClient, server_id: str, name: str, ids: dict[str, str]) -> Any:
    body = {"clone-vm": {"server": {"name": name, "networks": [{"uuid": ids["network"]}]}}}
    return client.post(f"{COMPUTE}/servers/{server_id}/action", json=body)


def test_a_clone_copies_the_template_and_the_volumes(admin: TestClient, project_id: str) -> None:
    ids = inventory(admin)
    source_id = boot_from_volume(admin, project_id, ids)
    source = show(admin, source_id, **V247)
    answer = clone(admin, source_id, "the-clone", ids)
    assert answer.status_code == 202, answer.text
    task_uri = answer.json()["clone-vm"]["task_uri"]
    assert "/servers/get_progress?action=clone-vm&task_id=" in task_uri
    progress = admin.get(task_uri.split("testserver", 1)[1]).json()["clone-vm"]
    assert (progress["status"], progress["progress"]) == ("completed", 100)
    assert progress["source_server_id"] == source_id
    copy = show(admin, progress["server_id"], **V247)
    assert copy["name"] == "the-clone"
    assert copy["status"] == "ACTIVE"
    assert copy["flavor"]["ram"] == source["flavor"]["ram"]
    source_volumes = {v["id"] for v in source["os-extended-volumes:volumes_attached"]}
    copies = {v["id"] for v in copy["os-extended-volumes:volumes_attached"]}
    assert len(copies) == len(source_volumes) == 1
    assert copies.isdisjoint(source_volumes)
    volume = admin.get(f"{VOLUME}/{project_id}/volumes/{copies.pop()}").json()["volume"]
    assert volume["source_volid"] == source_volumes.pop()
    assert show(admin, source_id)["status"] == "ACTIVE"  # the source is untouched


def test_clone_refusals(admin: TestClient, admin_token: str) -> None:
    ids = inventory(admin)
    source_id = deploy(admin, ids, "clone-me")
    url = f"{COMPUTE}/servers/{source_id}/action"
    assert admin.post(url, json={"clone-vm": {"server": {"name": "x"}}}).status_code == 400
    assert clone(admin, "no-such-server", "x", ids).status_code == 404
    progress = f"{COMPUTE}/servers/get_progress"
    assert admin.get(f"{progress}?action=clone-vm&task_id=nope").status_code == 404
    assert admin.get(f"{progress}?task_id=nope").status_code == 400
    assert IDENTITY
    assert admin_token


@pytest.fixture
def manual(tmp_path: Path) -> Iterator[TestClient]:
    """An emulator whose clock moves only when told, with the admin signed in."""
    emulator = Emulator(EmulatorConfig(data_dir=None, log_dir=tmp_path / "logs", clock="manual"))
    with TestClient(create_app(emulator), base_url="http://testserver") as client:
        token = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        client.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        yield client
    emulator.close()


def test_the_task_is_in_progress_while_the_clone_builds(manual: TestClient) -> None:
    ids = inventory(manual)
    source_id = deploy(manual, ids, "slow-source")
    manual.post(CLOCK, json={"advance": 60})
    answer = clone(manual, source_id, "slow-clone", ids)
    assert answer.status_code == 202, answer.text
    path = answer.json()["clone-vm"]["task_uri"].split("testserver", 1)[1]
    early = manual.get(path).json()["clone-vm"]
    assert early["status"] == "in-progress"
    assert 0 < early["progress"] < 100
    manual.post(CLOCK, json={"advance": 60})
    assert manual.get(path).json()["clone-vm"]["status"] == "completed"
