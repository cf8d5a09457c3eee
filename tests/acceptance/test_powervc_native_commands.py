"""The native commands of IBM's "PowerVC: bringing Power resources into the cloud" article
through today's python-openstackclient against a started emulator: renaming an image, renaming
a server (its LPAR keeps its name on the host) and resetting a volume's state (admin only)."""

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


def run(cloud: RunningEmulator, *args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(cloud.env())
    env.update(overrides)
    return subprocess.run(
        [OPENSTACK, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def osc(cloud: RunningEmulator, *args: str, **overrides: str) -> Any:
    result = run(cloud, *args, **overrides)
    assert result.returncode == 0, f"openstack {' '.join(args)}: {result.stderr}"
    return json.loads(result.stdout) if "json" in args else result.stdout


def test_image_set_name_renames_the_image(cloud: RunningEmulator) -> None:
    osc(cloud, "image", "set", "--name", "AIX72-renamed", "AIX72")
    image = osc(cloud, "image", "show", "AIX72-renamed", "-f", "json")
    assert image["name"] == "AIX72-renamed"
    assert "AIX72" not in {i["Name"] for i in osc(cloud, "image", "list", "-f", "json")}


def test_server_set_name_keeps_the_lpar_name(cloud: RunningEmulator) -> None:
    osc(
        cloud, "server", "create", "--image", "PowerHA713", "--flavor", "powervm.small",
        "--network", "cmbnet1", "--wait", "lpar-named", "-f", "json",
    )  # fmt: skip
    before = osc(cloud, "server", "show", "lpar-named", "-f", "json")
    osc(cloud, "server", "set", "--name", "renamed-vm", "lpar-named")
    after = osc(cloud, "server", "show", "renamed-vm", "-f", "json")
    assert after["id"] == before["id"]
    assert after["name"] == "renamed-vm"
    lpar = "OS-EXT-SRV-ATTR:instance_name"
    assert after[lpar] == before[lpar]
    assert after[lpar].startswith("lpar-named")


def test_volume_set_state_is_an_admin_reset(cloud: RunningEmulator) -> None:
    volume = osc(
        cloud, "volume", "create", "--type", "xiv90 base template", "--size", "1",
        "stuck-vol", "-f", "json",
    )  # fmt: skip
    osc(cloud, "volume", "set", "--state", "error", volume["id"])
    assert osc(cloud, "volume", "show", volume["id"], "-f", "json")["status"] == "error"
    osc(cloud, "user", "create", "--password", "pw-member", "native-member")
    osc(cloud, "role", "add", "--project", "ibm-default", "--user", "native-member", "member")
    member = {"OS_USERNAME": "native-member", "OS_PASSWORD": "pw-member"}
    refused = run(cloud, "volume", "set", "--state", "available", volume["id"], **member)
    assert refused.returncode != 0
    assert "Policy doesn't allow volume_extension:volume_admin_actions:reset_status" in (
        refused.stderr
    )
    osc(cloud, "volume", "set", "--state", "available", volume["id"])
    assert osc(cloud, "volume", "show", volume["id"], "-f", "json")["status"] == "available"
