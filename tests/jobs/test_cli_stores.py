"""The CLI's `--store`: a v1 store in its default place ($XDG_DATA_HOME/powerbridge/
jobs.sqlite) is upgraded by the first command, `deploy list` shows its deployments and the
apply that was killed mid-run resumes (same job); `--store postgresql://...` runs apply,
list, show and destroy; an unreachable database is one clear line. Against a real emulator."""

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


def clean_env(cloud: RunningEmulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (*OS_VARIABLES, "POWERBRIDGE_STORE")}
    env.update(cloud.env())
    return env


def test_deploy_commands_on_a_postgresql_store(
    cloud: RunningEmulator, tmp_path: Path, postgres_url: str
) -> None:
    env = clean_env(cloud)
    spec = tmp_path / "pgdeploy.pipe"
    spec.write_text(PIPE.format(name="pg1") + "\n")
    store = ["--store", postgres_url]
    applied = powerbridge(env, "deploy", "apply", str(spec), "--yes", *store)
    assert applied.returncode == 0, applied.stderr
    listed = powerbridge(env, "deploy", "list", "--format", "json", *store)
    [row] = json.loads(listed.stdout)
    assert (row["deployment"], row["status"], row["servers"]) == ("pgdeploy", "succeeded", 1)
    shown = json.loads(powerbridge(env, "deploy", "show", "pgdeploy", "-f", "json", *store).stdout)
    assert {item["name"]: item["state"] for item in shown["items"]}["pg1"] == "done"
    destroyed = powerbridge(env, "deploy", "destroy", "pgdeploy", "--yes", *store)
    assert destroyed.returncode == 0, destroyed.stderr
    jobs = JobStore.open(postgres_url)
    try:
        assert [j.action for j in jobs.jobs("pgdeploy", kind="deployment")] == ["destroy", "apply"]
    finally:
        jobs.close()


def test_an_unreachable_postgresql_store_is_one_clear_line(
    cloud: RunningEmulator, tmp_path: Path
) -> None:
    url = f"postgresql://nobody:hunter2@/jobs?host={tmp_path}"  # nothing listens there
    result = powerbridge(clean_env(cloud), "deploy", "list", "--store", url)
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: cannot open the job store postgresql+psycopg://nobody:***@")
    assert "check that the database runs" in first
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr
