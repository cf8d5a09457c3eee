"""A plain `requests` script in the style of PowerVC's REST examples, against a started
emulator: token, catalog, volume, deploy with block_device_mapping_v2 and an inline flavor,
poll; a mistyped storage template; an inline flavor breaking max_mem."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator

pytestmark = pytest.mark.acceptance
MAX_MEM_FAULT = "The 'Desired Memory' value 10240 MB is above the 'Maximum Memory' value 8192 MB."


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


class Script:
    """What an administrator's script does: authenticate, then call endpoints by catalog."""

    def __init__(self, base_url: str) -> None:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "root",
                            "domain": {"name": "Default"},
                            "password": "passw0rd",
                        }
                    },
                },
                "scope": {"project": {"name": "ibm-default", "domain": {"name": "Default"}}},
            }
        }
        response = requests.post(
            f"{base_url}/powervc/openstack/identity/v3/auth/tokens", json=body, timeout=10
        )
        response.raise_for_status()
        self.headers = {
            "X-Auth-Token": response.headers["X-Subject-Token"],
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        catalog = response.json()["token"]["catalog"]
        self.urls = {
            entry["type"]: next(e["url"] for e in entry["endpoints"] if e["interface"] == "public")
            for entry in catalog
        }

    def get(self, service: str, path: str) -> Any:
        response = requests.get(self.urls[service] + path, headers=self.headers, timeout=10)
        response.raise_for_status()
        return response.json()

    def post(self, service: str, path: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(self.urls[service] + path, json=body, headers=self.headers, timeout=10)

    def wait_for(self, server_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server: dict[str, Any] = self.get("compute", f"/servers/{server_id}")["server"]
            if server["status"] in ("ACTIVE", "ERROR"):
                return server
            time.sleep(0.2)
        raise AssertionError(f"server {server_id} still building after {timeout}s")


def pick(rows: list[dict[str, Any]], name: str) -> str:
    return str(next(row["id"] for row in rows if row["name"] == name))


def test_volume_and_deploy_with_inline_flavor(cloud: RunningEmulator) -> None:
    script = Script(cloud.base_url)
    image_id = pick(script.get("image", "/v2/images")["images"], "PowerHA713")
    network_id = pick(script.get("network", "/v2.0/networks")["networks"], "cmbnet1")
    template = script.get("compute", "/flavors/detail")["flavors"]
    small = next(f for f in template if f["name"] == "powervm.small")
    specs = script.get("compute", f"/flavors/{small['id']}/os-extra_specs")["extra_specs"]
    volume = script.post(
        "volumev3",
        "/volumes",
        {"volume": {"size": 2, "name": "script-data", "volume_type": "svc82 base template"}},
    )
    assert volume.status_code == 202, volume.text
    volume_id = volume.json()["volume"]["id"]
    for _ in range(50):
        if script.get("volumev3", f"/volumes/{volume_id}")["volume"]["status"] == "available":
            break
        time.sleep(0.1)
    server = script.post(
        "compute",
        "/servers",
        {
            "server": {
                "name": "script-vm",
                "imageRef": image_id,
                "flavor": {"ram": 4096, "vcpus": 2, "disk": 20, "extra_specs": specs},
                "networks": [{"uuid": network_id}],
                "block_device_mapping_v2": [
                    {
                        "uuid": volume_id,
                        "source_type": "volume",
                        "destination_type": "volume",
                        "boot_index": -1,
                    }
                ],
            }
        },
    )
    assert server.status_code == 202, server.text
    done = script.wait_for(server.json()["server"]["id"])
    assert done["status"] == "ACTIVE"
    assert done["os-extended-volumes:volumes_attached"] == [{"id": volume_id}]


def test_mistyped_storage_template_is_a_404(cloud: RunningEmulator) -> None:
    script = Script(cloud.base_url)
    response = script.post(
        "volumev3", "/volumes", {"volume": {"size": 1, "volume_type": "xiv9O base template"}}
    )
    assert response.status_code == 404
    assert response.json()["itemNotFound"]["message"] == (
        "Volume type with name xiv9O base template could not be found."
    )
    assert response.headers["x-openstack-request-id"].startswith("req-")


def test_inline_flavor_above_max_mem_fails_after_202(cloud: RunningEmulator) -> None:
    script = Script(cloud.base_url)
    image_id = pick(script.get("image", "/v2/images")["images"], "PowerHA713")
    network_id = pick(script.get("network", "/v2.0/networks")["networks"], "cmbnet1")
    response = script.post(
        "compute",
        "/servers",
        {
            "server": {
                "name": "too-big",
                "imageRef": image_id,
                "networks": [{"uuid": network_id}],
                "flavor": {
                    "ram": 10240,
                    "vcpus": 2,
                    "disk": 20,
                    "extra_specs": {"powervm:min_mem": "2048", "powervm:max_mem": "8192"},
                },
            }
        },
    )
    assert response.status_code == 202
    request_id = response.headers["x-openstack-request-id"]
    done = script.wait_for(response.json()["server"]["id"])
    assert done["status"] == "ERROR"
    assert done["fault"]["message"] == MAX_MEM_FAULT
    api_log = (cloud.log_dir / "nova" / "nova-api.log").read_text()
    assert request_id in api_log
