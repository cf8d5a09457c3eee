"""The Power estate through real HTTP: the real `openstack` CLI (and httpx for PowerVC's own
maintenance API) against an emulator under uvicorn. Host usage follows deploys and deletes;
striping spreads, packing fills one host first; an anti-affinity rule of three over two hosts
fails the third; `--availability-zone :<host>` lands there; a live migration moves a VM and
its usage; a captured image deploys; maintenance mode with `all` empties a host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator

pytestmark = pytest.mark.acceptance
OPENSTACK = str(Path(sys.executable).parent / "openstack")
P8A, P8B, P9 = "8286-42A_215A0BV", "8286-42A_215A0CV", "9009-42A_7838F0W"
BOOT = ("--image", "PowerHA713", "--flavor", "powervm.small", "--network", "cmbnet1")


@pytest.fixture
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
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


def hosts_of_servers(cloud: RunningEmulator) -> dict[str, str]:
    rows = osc(cloud, "server", "list", "--long", "-f", "json", "-c", "Name", "-c", "Host")
    return {row["Name"]: row["Host"] for row in rows}


def usage(cloud: RunningEmulator, host: str) -> tuple[int, int]:
    shown = osc(cloud, "hypervisor", "show", host, "-f", "json")
    return int(shown["memory_mb_used"]), int(shown["running_vms"])


def test_usage_follows_deploys_and_the_host_form_of_the_zone(cloud: RunningEmulator) -> None:
    assert usage(cloud, P9) == (0, 0)
    server = osc(
        cloud,
        "server",
        "create",
        *BOOT,
        "--availability-zone",
        f":{P9}",
        "--wait",
        "u1",
        "-f",
        "json",
    )
    assert server["status"] == "ACTIVE"
    assert osc(cloud, "server", "show", "u1", "-f", "json")["OS-EXT-SRV-ATTR:host"] == P9
    assert usage(cloud, P9) == (4096, 1)
    osc(cloud, "server", "delete", "--wait", "u1")
    assert usage(cloud, P9) == (0, 0)


def test_striping_spreads_and_packing_fills_one_host(cloud: RunningEmulator) -> None:
    osc(cloud, "server", "create", *BOOT, "--min", "6", "--max", "6", "--wait", "s")
    spread = Counter(hosts_of_servers(cloud).values())
    assert spread == {P8A: 2, P8B: 2, P9: 2}
    osc(cloud, "aggregate", "set", "--property", "placement_policy=packing", "Default Group")
    osc(cloud, "server", "create", *BOOT, "--min", "3", "--max", "3", "--wait", "p")
    packed = {host for name, host in hosts_of_servers(cloud).items() if name.startswith("p-")}
    assert len(packed) == 1


def test_anti_affinity_of_three_over_two_hosts(cloud: RunningEmulator) -> None:
    osc(cloud, "aggregate", "create", "--zone", "pair", "pair")
    osc(cloud, "aggregate", "add", "host", "pair", P8A)
    osc(cloud, "aggregate", "add", "host", "pair", P8B)
    group = osc(cloud, "server", "group", "create", "--policy", "anti-affinity", "ha", "-f", "json")
    osc(
        cloud,
        "server",
        "create",
        *BOOT,
        "--availability-zone",
        "pair",
        "--hint",
        f"group={group['id']}",
        "--min",
        "3",
        "--max",
        "3",
        "ha",
    )
    rows = osc(cloud, "server", "list", "--long", "-f", "json")
    by_name = {row["Name"]: row for row in rows}
    assert {by_name["ha-1"]["Host"], by_name["ha-2"]["Host"]} == {P8A, P8B}
    third = osc(cloud, "server", "show", "ha-3", "-f", "json")
    assert third["status"] == "ERROR"
    assert third["fault"]["message"].startswith("No valid host was found.")
    assert "anti-affinity" in third["fault"]["message"]


def test_live_migration_moves_the_vm_and_its_usage(cloud: RunningEmulator) -> None:
    osc(cloud, "server", "create", *BOOT, "--availability-zone", f":{P8A}", "--wait", "lm")
    assert usage(cloud, P8A) == (4096, 1)
    osc(
        cloud,
        "--os-compute-api-version",
        "2.30",
        "server",
        "migrate",
        "--live-migration",
        "--host",
        P9,
        "--wait",
        "lm",
    )
    shown = osc(cloud, "server", "show", "lm", "-f", "json")
    assert shown["OS-EXT-SRV-ATTR:host"] == P9
    assert shown["status"] == "ACTIVE"
    assert usage(cloud, P8A) == (0, 0)
    assert usage(cloud, P9) == (4096, 1)
    actions = osc(cloud, "server", "event", "list", "lm", "-f", "json")
    assert [a["Action"] for a in actions][:1] == ["live-migration"]


def test_a_captured_image_deploys(cloud: RunningEmulator) -> None:
    osc(cloud, "server", "create", *BOOT, "--wait", "golden")
    image = osc(
        cloud, "server", "image", "create", "--name", "golden-img", "--wait", "golden", "-f", "json"
    )
    assert image["status"] == "active"
    assert image["properties"]["hypervisor_type"] == "phyp"
    copy = osc(
        cloud,
        "server",
        "create",
        "--image",
        "golden-img",
        "--flavor",
        "powervm.small",
        "--network",
        "cmbnet1",
        "--wait",
        "copy",
        "-f",
        "json",
    )
    assert copy["status"] == "ACTIVE"


def test_maintenance_all_empties_a_host(cloud: RunningEmulator) -> None:
    osc(
        cloud,
        "server",
        "create",
        *BOOT,
        "--availability-zone",
        f":{P8A}",
        "--min",
        "2",
        "--max",
        "2",
        "--wait",
        "m",
    )
    osc(cloud, "server", "stop", "m-2")
    assert usage(cloud, P8A) == (8192, 2)
    token = osc(cloud, "token", "issue", "-f", "json")
    compute = next(
        endpoint["url"]
        for service in osc(cloud, "catalog", "list", "-f", "json")
        if service["Type"] == "compute"
        for endpoint in service["Endpoints"]
        if endpoint["interface"] == "public"
    )
    url = f"{compute}/ego/prs/hypervisor_maintenance/{P8A}"
    headers = {"X-Auth-Token": token["id"]}
    body = {"status": "enable", "migrate": "all"}
    response = httpx.put(url, json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    state = httpx.get(url, headers=headers, timeout=30).json()["hypervisor_maintenance"]
    assert state["maintenance_status"] == "on"
    assert usage(cloud, P8A) == (0, 0)
    assert P8A not in hosts_of_servers(cloud).values()
    assert osc(cloud, "server", "show", "m-2", "-f", "json")["status"] == "SHUTOFF"
