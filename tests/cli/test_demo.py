"""`powerbridge demo` runs end to end against the embedded emulator, as the README promises."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.acceptance
MAX_MEM_FAULT = "The 'Desired Memory' value 10240 MB is above the 'Maximum Memory' value 8192 MB."


@pytest.fixture(scope="module", name="demo")
def demo_fixture() -> subprocess.CompletedProcess[str]:
    """One run of the demo for every test here (its clock 40 times faster than PowerVC)."""
    return subprocess.run(
        [sys.executable, "-m", "powerbridge", "demo", "--speed", "40"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=180,
        check=False,
    )


def test_demo_deploys_and_traces_a_failure(demo: subprocess.CompletedProcess[str]) -> None:
    result = demo
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


def test_demo_builds_a_cluster_and_fails_it_over(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, demo.stderr
    lines = demo.stdout.splitlines()
    built = lines.index("Cluster appha: Active / Normal")  # read from the nodes
    assert lines[built + 1] == "  appha_rg online on appha-node1"
    stop = lines.index("Stopping the home node appha-node1 through PowerVC (nova stop) ...")
    after = lines[stop:]
    assert "Cluster appha: Active / Warning" in after
    assert "  appha_rg online on appha-node2" in after
    assert "  - node appha-node1 is down (server SHUTOFF)" in after
    assert "  appha_rg fell over to appha-node2" in after
    assert built < stop
    assert "Traceback" not in demo.stderr
