"""Audit: acceptance bullets of the emulator issues that had no test through real HTTP.

Each test runs the emulator under uvicorn on a loopback port and talks to it with httpx:
- a behaviour rule fails a named VM at `spawning` (seen walking the task states on the manual
  clock, advanced through `POST /powervc/emulator/v1/clock`), while another VM succeeds;
- nova attaching a cinder volume logs nova's request id in the cinder volume log too, so the
  attach can be followed across services;
- a deploy beyond a host's `max_concurrent_deploys` queues;
- `os-getConsoleOutput` answers a simulated boot log, `length` lines at most;
- `os-instance-actions` lists each action with the request id that started it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import running_emulator
from tests.support.catalog_client import Cloud

pytestmark = pytest.mark.acceptance
IDENTITY = "/powervc/openstack/identity/v3"
ADMIN_API = "/powervc/emulator/v1"
P8A = "8286-42A_215A0BV"


@pytest.fixture
def manual(tmp_path: Path) -> Iterator[Cloud]:
    config = EmulatorConfig(port=0, data_dir=tmp_path / "data", clock="manual")
    with running_emulator(config) as running:
        cloud = Cloud(running)
        yield cloud
        cloud.http.close()


@pytest.fixture(scope="module")
def instant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    data = tmp_path_factory.mktemp("instant")
    with running_emulator(EmulatorConfig(port=0, data_dir=data)) as running:
        cloud = Cloud(running)
        yield cloud
        cloud.http.close()


def walk(cloud: Cloud, server_id: str, steps: int = 40) -> tuple[list[str | None], dict[str, Any]]:
    """Advance the manual clock a second at a time; the task states seen and the end state."""
    seen: list[str | None] = []
    server = cloud.server(server_id)
    for _ in range(steps):
        seen.append(server["OS-EXT-STS:task_state"])
        if server["status"] != "BUILD":
            break
        cloud.advance(1)
        server = cloud.server(server_id)
    return seen, server


def test_behaviour_fails_the_named_vm_at_spawning_others_succeed(manual: Cloud) -> None:
    rule = {
        "kind": "server",
        "mode": "fail_at",
        "name_regex": "^doomed$",
        "task_state": "spawning",
        "message": "PowerVM partition activation failed",
    }
    created = manual.admin("POST", "/behaviours", json={"behaviour": rule})
    assert created.status_code == 201, created.text
    doomed = manual.deploy("doomed").json()["server"]["id"]
    fine = manual.deploy("fine").json()["server"]["id"]

    seen, failed = walk(manual, doomed)
    assert failed["status"] == "ERROR"
    assert failed["fault"]["message"] == "PowerVM partition activation failed"
    states = [state for state in dict.fromkeys(seen) if state]
    assert states[-1] == "spawning", seen  # it got as far as spawning, and failed there
    assert "networking" in states

    _, succeeded = walk(manual, fine)
    assert succeeded["status"] == "ACTIVE"
    assert "fault" not in succeeded


def test_the_attach_request_id_is_in_nova_and_cinder_logs(instant: Cloud) -> None:
    volume = instant.call(
        "POST",
        "volumev3",
        "/volumes",
        json={"volume": {"size": 1, "name": "audit-vol", "volume_type": "xiv90 base template"}},
    )
    assert volume.status_code == 202, volume.text
    volume_id = volume.json()["volume"]["id"]
    server_id = instant.deploy("audit-attach").json()["server"]["id"]
    assert instant.server(server_id)["status"] == "ACTIVE"
    attached = instant.call(
        "POST",
        "compute",
        f"/servers/{server_id}/os-volume_attachments",
        json={"volumeAttachment": {"volumeId": volume_id}},
    )
    assert attached.status_code == 200, attached.text
    request_id = attached.headers["x-openstack-request-id"]
    assert attached.headers["x-compute-request-id"] == request_id
    logs = instant.running.log_dir
    assert request_id in (logs / "nova" / "nova-api.log").read_text()
    cinder_lines = [
        line
        for line in (logs / "cinder" / "volume-10.30.0.1.log").read_text().splitlines()
        if request_id in line and volume_id in line
    ]
    assert cinder_lines, "the attach is not in cinder's volume log under nova's request id"
    volume_now = instant.call("GET", "volumev3", f"/volumes/{volume_id}").json()["volume"]
    assert volume_now["status"] == "in-use"


def test_console_output_is_a_simulated_boot_log(instant: Cloud) -> None:
    server_id = instant.deploy("audit-console").json()["server"]["id"]
    whole = instant.call(
        "POST", "compute", f"/servers/{server_id}/action", json={"os-getConsoleOutput": {}}
    )
    assert whole.status_code == 200, whole.text
    output = whole.json()["output"]
    assert "audit-console login:" in output
    tail = instant.call(
        "POST",
        "compute",
        f"/servers/{server_id}/action",
        json={"os-getConsoleOutput": {"length": 2}},
    )
    assert tail.status_code == 200, tail.text
    assert tail.json()["output"].splitlines() == output.splitlines()[-2:]


def test_instance_actions_carry_their_request_ids(instant: Cloud) -> None:
    created = instant.deploy("audit-actions")
    server_id = created.json()["server"]["id"]
    stopped = instant.call(
        "POST", "compute", f"/servers/{server_id}/action", json={"os-stop": None}
    )
    assert stopped.status_code == 202, stopped.text
    listed = instant.call("GET", "compute", f"/servers/{server_id}/os-instance-actions")
    actions = {a["action"]: a["request_id"] for a in listed.json()["instanceActions"]}
    assert actions == {
        "create": created.headers["x-openstack-request-id"],
        "stop": stopped.headers["x-openstack-request-id"],
    }


def test_deploys_beyond_max_concurrent_deploys_queue(manual: Cloud) -> None:
    """The default estate lets 8286-42A_215A0BV run 4 deploys at once: a fifth waits."""
    servers = [
        manual.deploy(f"q{n}", availability_zone=f":{P8A}").json()["server"]["id"] for n in range(5)
    ]
    manual.advance(1)  # past scheduling: four deploys run, the fifth still waits
    states = [manual.server(s)["OS-EXT-STS:task_state"] for s in servers]
    assert states.count("block_device_mapping") == 4, states
    assert states.count("scheduling") == 1, states
    for _ in range(120):
        if all(manual.server(s)["status"] != "BUILD" for s in servers):
            break
        manual.advance(1)
    assert [manual.server(s)["status"] for s in servers] == ["ACTIVE"] * 5
