"""Restart mid-deploy on the real clock: the deploy completes after the restart, once."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator

pytestmark = pytest.mark.acceptance
COMPUTE = "/powervc/openstack/compute/v2.1"


def login(cloud: RunningEmulator) -> httpx.Client:
    client = httpx.Client(base_url=cloud.base_url, timeout=10)
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "root", "domain": {"name": "Default"}, "password": "passw0rd"}
                },
            },
            "scope": {"project": {"name": "ibm-default", "domain": {"name": "Default"}}},
        }
    }
    token = client.post("/powervc/openstack/identity/v3/auth/tokens", json=body)
    client.headers["X-Auth-Token"] = token.headers["x-subject-token"]
    return client


def test_restart_mid_deploy_real_clock(tmp_path: Path) -> None:
    def config() -> EmulatorConfig:
        return EmulatorConfig(port=0, data_dir=tmp_path / "data", clock="real", speed=4.0)

    with running_emulator(config()) as first:
        client = login(first)
        images = client.get("/powervc/openstack/image/v2/images?name=PowerHA713").json()
        flavors = client.get(f"{COMPUTE}/flavors").json()["flavors"]
        networks = client.get("/powervc/openstack/network/v2.0/networks?name=cmbnet1").json()
        body = {
            "server": {
                "name": "restart-me",
                "imageRef": images["images"][0]["id"],
                "flavorRef": next(f["id"] for f in flavors if f["name"] == "powervm.tiny"),
                "networks": [{"uuid": networks["networks"][0]["id"]}],
            }
        }
        server_id = client.post(f"{COMPUTE}/servers", json=body).json()["server"]["id"]
        time.sleep(0.5)  # scheduling takes 0.25 s at speed 4: now mid-deploy
        server = client.get(f"{COMPUTE}/servers/{server_id}").json()["server"]
        assert server["status"] == "BUILD"
        assert server["OS-EXT-STS:task_state"] != "scheduling"

    with running_emulator(config()) as second:
        client = login(second)
        deadline = time.monotonic() + 20
        status = "BUILD"
        while status == "BUILD" and time.monotonic() < deadline:
            time.sleep(0.2)
            status = client.get(f"{COMPUTE}/servers/{server_id}").json()["server"]["status"]
        assert status == "ACTIVE"
        servers = client.get(f"{COMPUTE}/servers").json()["servers"]
        assert [s["id"] for s in servers] == [server_id]
        actions = client.get(f"{COMPUTE}/servers/{server_id}/os-instance-actions").json()
        assert [a["action"] for a in actions["instanceActions"]] == ["create"]
        ports = client.get(f"/powervc/openstack/network/v2.0/ports?device_id={server_id}").json()[
            "ports"
        ]
        assert len(ports) == 1
