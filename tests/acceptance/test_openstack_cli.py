"""The real python-openstackclient against a started emulator (uvicorn on loopback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator

pytestmark = pytest.mark.acceptance
OPENSTACK = str(Path(sys.executable).parent / "openstack")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    data = tmp_path_factory.mktemp("emulator")
    with running_emulator(EmulatorConfig(port=0, data_dir=data)) as running:
        yield running


def osc(cloud: RunningEmulator, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(cloud.env())
    result = subprocess.run(
        [OPENSTACK, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 0, f"openstack {' '.join(args)}: {result.stderr}"
    if "-f" in args and "json" in args:
        return json.loads(result.stdout)
    return result.stdout


def test_identity_and_inventory(cloud: RunningEmulator) -> None:
    token = osc(cloud, "token", "issue", "-f", "json")
    assert token["id"]
    catalog = osc(cloud, "catalog", "list", "-f", "json")
    assert {"compute", "image", "network", "volumev3", "identity"} <= {
        entry["Type"] for entry in catalog
    }
    images = osc(cloud, "image", "list", "-f", "json")
    assert "PowerHA713" in {i["Name"] for i in images}
    image = osc(cloud, "image", "show", "PowerHA713", "-f", "json")
    assert image["name"] == "PowerHA713"
    flavors = osc(cloud, "flavor", "list", "-f", "json")
    assert "powervm.small" in {f["Name"] for f in flavors}
    flavor = osc(cloud, "flavor", "show", "powervm.small", "-f", "json")
    assert flavor["ram"] == 4096
    networks = osc(cloud, "network", "list", "-f", "json")
    assert "cmbnet1" in {n["Name"] for n in networks}
    subnets = osc(cloud, "subnet", "list", "-f", "json")
    assert subnets
    types = osc(cloud, "volume", "type", "list", "-f", "json")
    assert "xiv90 base template" in {t["Name"] for t in types}


def test_server_lifecycle_with_a_volume(cloud: RunningEmulator) -> None:
    volume = osc(
        cloud,
        "volume",
        "create",
        "--type",
        "xiv90 base template",
        "--size",
        "3",
        "data-vol",
        "-f",
        "json",
    )
    assert volume["size"] == 3
    server = osc(
        cloud,
        "server",
        "create",
        "--image",
        "PowerHA713",
        "--flavor",
        "powervm.small",
        "--network",
        "cmbnet1",
        "--wait",
        "osc-vm1",
        "-f",
        "json",
    )
    assert server["status"] == "ACTIVE"
    assert "cmbnet1" in json.dumps(server["addresses"])
    listed = osc(cloud, "server", "list", "-f", "json")
    assert "osc-vm1" in {s["Name"] for s in listed}
    osc(cloud, "server", "add", "volume", "osc-vm1", "data-vol")
    shown = osc(cloud, "volume", "show", "data-vol", "-f", "json")
    assert shown["status"] == "in-use"
    osc(cloud, "server", "stop", "osc-vm1")
    assert osc(cloud, "server", "show", "osc-vm1", "-f", "json")["status"] == "SHUTOFF"
    osc(cloud, "server", "start", "osc-vm1")
    assert osc(cloud, "server", "show", "osc-vm1", "-f", "json")["status"] == "ACTIVE"
    osc(cloud, "server", "delete", "--wait", "osc-vm1")
    assert osc(cloud, "volume", "show", "data-vol", "-f", "json")["status"] == "available"
    osc(cloud, "volume", "delete", "data-vol")
    names = {v["Name"] for v in osc(cloud, "volume", "list", "-f", "json")}
    assert "data-vol" not in names


def test_services_and_endpoints_make_the_catalog(cloud: RunningEmulator) -> None:
    services = osc(cloud, "service", "list", "-f", "json")
    assert {"nova", "glance", "neutron", "cinderv3", "keystone"} <= {s["Name"] for s in services}
    endpoints = osc(cloud, "endpoint", "list", "--service", "nova", "-f", "json")
    assert {e["Interface"] for e in endpoints} == {"public", "internal", "admin"}
    assert all(e["URL"].endswith("/v2.1/$(project_id)s") for e in endpoints)
    service = osc(
        cloud, "service", "create", "--name", "heat", "--description", "Orchestration",
        "orchestration", "-f", "json",
    )  # fmt: skip
    url = "http://heat.example:8004/v1/$(project_id)s"
    endpoint = osc(
        cloud, "endpoint", "create", "--region", "RegionOne", "heat", "public", url, "-f", "json"
    )
    assert endpoint["service_id"] == service["id"]
    osc(cloud, "endpoint", "set", "--url", url.replace("v1", "v2"), endpoint["id"])
    url = url.replace("v1", "v2")
    listed = osc(cloud, "endpoint", "list", "--service", "heat", "-f", "json")
    assert [(e["Service Name"], e["URL"]) for e in listed] == [("heat", url)]
    catalog = osc(cloud, "catalog", "list", "-f", "json")
    heat = next(entry for entry in catalog if entry["Name"] == "heat")
    assert heat["Type"] == "orchestration"
    token = osc(cloud, "token", "issue", "-f", "json")
    assert f"http://heat.example:8004/v2/{token['project_id']}" in json.dumps(heat["Endpoints"])
    osc(cloud, "service", "delete", "heat")
    assert "heat" not in {e["Name"] for e in osc(cloud, "catalog", "list", "-f", "json")}
