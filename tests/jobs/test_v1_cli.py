"""The CLI on a v1 store in its default place ($XDG_DATA_HOME/powerbridge/jobs.sqlite):
the first command upgrades it; `deploy list` shows the old deployments, and the apply that
was killed mid-run resumes (same job) against a real emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from powerbridge.jobs import JobStatus, JobStore
from tests.cli.clirun import OS_VARIABLES
from tests.jobs.v1 import dead_pid, write_v1_sqlite

pytestmark = pytest.mark.acceptance

PIPE = (
    "flavor_name=powervm.tiny|vm_name={name}|image_name=AIX72|vlan_name=cmbnet1"
    "|lun_spec=1:1:svc82 base template:::data of {name}"
)  # the spec the v1 store's `half` deployment was applied from


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


def powerbridge(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "powerbridge", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_v1_store_keeps_its_deployments_and_resumes(
    cloud: RunningEmulator, tmp_path: Path
) -> None:
    pid = dead_pid()
    write_v1_sqlite(tmp_path / "data" / "powerbridge" / "jobs.sqlite", pid)
    env = {k: v for k, v in os.environ.items() if k not in (*OS_VARIABLES, "POWERBRIDGE_STORE")}
    env.update(cloud.env())
    env["XDG_DATA_HOME"] = str(tmp_path / "data")

    listed = powerbridge(env, "deploy", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["deployment"]: row for row in json.loads(listed.stdout)}
    assert rows["web"]["status"] == "succeeded"
    assert rows["web"]["servers"] == 2
    assert rows["half"]["status"] == f"interrupted (process {pid} gone)"
    assert rows["half"]["last_job"] == 2

    spec = tmp_path / "half.pipe"
    spec.write_text("".join(PIPE.format(name=f"half{n}") + "\n" for n in range(1, 5)))
    refused = powerbridge(env, "deploy", "apply", str(spec), "--yes")
    assert refused.returncode == 1
    assert "(job 2) was interrupted; run the same command with --resume" in refused.stderr
    resumed = powerbridge(env, "deploy", "apply", str(spec), "--yes", "--resume")
    assert resumed.returncode == 0, resumed.stderr

    store = JobStore.open(str(tmp_path / "data" / "powerbridge" / "jobs.sqlite"))
    try:
        [job] = store.jobs("half", kind="deployment")  # the resume continued the same job
        assert (job.id, job.status) == (2, JobStatus.SUCCEEDED)
        assert "resumed" in [event.message for event in store.events(2)]
    finally:
        store.close()
    shown = powerbridge(env, "deploy", "show", "half", "--format", "json")
    states = {item["name"]: item["state"] for item in json.loads(shown.stdout)["items"]}
    assert {states[f"half{n}"] for n in range(1, 5)} == {"done"}
