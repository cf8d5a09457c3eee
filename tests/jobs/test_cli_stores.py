"""The CLI's `--store`: a v1 store in its default place ($XDG_DATA_HOME/powerbridge/
jobs.sqlite) is upgraded by the first command, `deploy list` shows its deployments and the
apply that was killed mid-run resumes (same job); `--store postgresql://...` runs apply,
list, show and destroy; an unreachable database is one clear line. Against a real emulator,
through the CLI's own entry point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from powerbridge.jobs import JobStatus, JobStore
from tests.jobs.v1 import dead_pid, write_v1_sqlite
from tests.support.clirun import Shell

pytestmark = pytest.mark.acceptance

PIPE = (
    "flavor_name=powervm.tiny|vm_name={name}|image_name=AIX72|vlan_name=cmbnet1"
    "|lun_spec=1:1:svc82 base template:::data of {name}"
)  # the spec the v1 store's `half` deployment was applied from


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


@pytest.fixture
def sh(
    cloud: RunningEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Shell:
    monkeypatch.delenv("POWERBRIDGE_STORE", raising=False)
    return Shell(monkeypatch, capsys, cloud.env())


def test_a_v1_store_keeps_its_deployments_and_resumes(sh: Shell, tmp_path: Path) -> None:
    pid = dead_pid()
    write_v1_sqlite(tmp_path / "data" / "powerbridge" / "jobs.sqlite", pid)
    sh.set({"XDG_DATA_HOME": str(tmp_path / "data")})

    rows = {row["deployment"]: row for row in sh.json("deploy", "list")}
    assert rows["web"]["status"] == "succeeded"
    assert rows["web"]["servers"] == 2
    assert rows["half"]["status"] == f"interrupted (process {pid} gone)"
    assert rows["half"]["last_job"] == 2

    spec = tmp_path / "half.pipe"
    spec.write_text("".join(PIPE.format(name=f"half{n}") + "\n" for n in range(1, 5)))
    refused = sh("deploy", "apply", str(spec), "--yes")
    assert refused.code == 1
    assert "(job 2) was interrupted; run the same command with --resume" in refused.err
    sh.ok("deploy", "apply", str(spec), "--yes", "--resume")

    store = JobStore.open(str(tmp_path / "data" / "powerbridge" / "jobs.sqlite"))
    try:
        [job] = store.jobs("half", kind="deployment")  # the resume continued the same job
        assert (job.id, job.status) == (2, JobStatus.SUCCEEDED)
        assert "resumed" in [event.message for event in store.events(2)]
    finally:
        store.close()
    shown = sh.json("deploy", "show", "half")
    states = {item["name"]: item["state"] for item in shown["items"]}
    assert {states[f"half{n}"] for n in range(1, 5)} == {"done"}


def test_deploy_commands_on_a_postgresql_store(
    sh: Shell, tmp_path: Path, postgres_url: str
) -> None:
    spec = tmp_path / "pgdeploy.pipe"
    spec.write_text(PIPE.format(name="pg1") + "\n")
    store = ["--store", postgres_url]
    sh.ok("deploy", "apply", str(spec), "--yes", *store)
    [row] = sh.json("deploy", "list", *store)
    assert (row["deployment"], row["status"], row["servers"]) == ("pgdeploy", "succeeded", 1)
    shown = sh.json("deploy", "show", "pgdeploy", *store)
    assert {item["name"]: item["state"] for item in shown["items"]}["pg1"] == "done"
    sh.ok("deploy", "destroy", "pgdeploy", "--yes", *store)
    jobs = JobStore.open(postgres_url)
    try:
        assert [j.action for j in jobs.jobs("pgdeploy", kind="deployment")] == ["destroy", "apply"]
    finally:
        jobs.close()


def test_an_unreachable_postgresql_store_is_one_clear_line(sh: Shell, tmp_path: Path) -> None:
    url = f"postgresql://nobody:hunter2@/jobs?host={tmp_path}"  # nothing listens there
    result = sh("deploy", "list", "--store", url)
    assert result.code == 1
    [line] = result.error_lines
    assert line.startswith("error: cannot open the job store postgresql+psycopg://nobody:***@")
    assert "check that the database runs" in line
    assert "hunter2" not in result.err
    assert "Traceback" not in result.err
