"""A fixed IP another port holds, through the emulator's real HTTP: `deploy plan` blocks
naming the port and the server holding it; `server create` (PowerVC's 409 at deploy time)
says the same, with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.clirun import Shell
from tests.support.deploy_lab import (  # noqa: F401
    cloud_fixture,
    sh_fixture,
    store_path_fixture,
)

pytestmark = pytest.mark.acceptance

ADDRESS = "192.168.100.60"


def create(sh: Shell, name: str) -> list[str]:
    result = sh(
        "server", "create", name, "--image", "AIX72", "--template", "powervm.tiny",
        "--network", f"cmbnet1={ADDRESS}", "--wait",
    )  # fmt: skip
    if result.code != 0:
        return result.error_lines
    return []


def test_a_taken_fixed_ip_names_its_port_and_server(sh: Shell, tmp_path: Path) -> None:
    assert create(sh, "holder") == []
    holder = sh.json("server", "show", "holder")
    (error,) = create(sh, "second")
    assert f"fixed IP {ADDRESS} on network cmbnet1 is held by port" in error
    assert f"of server holder ({holder['id']})" in error
    assert "give the server another fixed IP" in error

    spec = tmp_path / "taken.pipe"
    spec.write_text(
        f"flavor_name=powervm.tiny|vm_name=third|image_name=AIX72|vlan_name=cmbnet1|fixed_ip={ADDRESS}\n"
    )
    blocked = sh("deploy", "plan", str(spec))
    assert blocked.code == 1
    text = " ".join(blocked.out.split())
    assert f"fixed IP {ADDRESS} is already in use on network 'cmbnet1', held by port" in text
    assert f"of server holder ({holder['id']})" in text
