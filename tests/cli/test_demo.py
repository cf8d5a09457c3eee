"""`powerbridge demo` runs end to end against the embedded emulator, as the README promises."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.acceptance
MAX_MEM_FAULT = "The 'Desired Memory' value 10240 MB is above the 'Maximum Memory' value 8192 MB."


def test_demo_deploys_and_traces_a_failure() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "powerbridge", "demo", "--speed", "40"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    summary = [line for line in out.splitlines() if "testvm3" in line or "testvm4" in line]
    assert any(
        "ACTIVE" in line and "testvm3" in line and "192.168.100." in line for line in summary
    )
    assert any("ACTIVE" in line and "testvm4" in line for line in summary)
    assert "Deployment two-vms: succeeded" in out  # the deployer's summary
    assert "wzq-shared-1" in out
    assert f"fault: {MAX_MEM_FAULT}" in out
    assert "nova/nova-conductor.log: ERROR" in out
    assert "Traceback" not in result.stderr
