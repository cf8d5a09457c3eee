"""`<data>/powervcrc`, like PowerVC's /opt/ibm/powervc/powervcrc: a shell sources it and the
real openstack CLI works (HTTP, and HTTPS with the emulator's CA)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import POWERVCRC, running_emulator

pytestmark = pytest.mark.acceptance
BIN = str(Path(sys.executable).parent)


def sourced(powervcrc: Path, command: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["PATH"] = f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    return subprocess.run(
        ["bash", "-c", f"source {powervcrc} && {command}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_source_powervcrc_then_openstack_server_list(tmp_path: Path, tls: bool) -> None:
    data = tmp_path / "data"
    with running_emulator(EmulatorConfig(port=0, data_dir=data, tls=tls)) as cloud:
        powervcrc = data / POWERVCRC
        assert stat.S_IMODE(powervcrc.stat().st_mode) == 0o600  # it holds root's password
        text = powervcrc.read_text()
        assert f"export OS_AUTH_URL={cloud.auth_url}\n" in text
        assert ("export OS_CACERT=" in text) is tls
        result = sourced(powervcrc, "openstack server list -f json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == []
        images = sourced(powervcrc, "openstack image list -f value -c Name")
        assert "PowerHA713" in images.stdout.split()
