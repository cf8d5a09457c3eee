"""A foreground `deploy apply` keeps its job's lease alive while a long deploy runs (so another
host does not take it for dead), and stops cleanly, writing nothing more, when another
`--resume` takes its job over. Real HTTP against an emulator whose deploy is held in BUILD."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from powerbridge.jobs import Job, JobStatus, JobStore
from tests.support.clirun import Shell
from tests.support.emulator_http import IDENTITY, password_auth

pytestmark = pytest.mark.acceptance
SPEC = (
    "flavor_name=powervm.tiny|vm_name=held1|image_name=AIX72|vlan_name=cmbnet1"
    "|lun_spec=1:1:svc82 base template:held1data::data\n"
)


@pytest.fixture
def slow_cloud() -> Iterator[RunningEmulator]:
    """Deploys take seconds of real time; a VM named held* stays in BUILD for a while."""
    config = EmulatorConfig(port=0, data_dir=None, clock="real", speed=20.0)
    with running_emulator(config) as running:
        with httpx.Client(base_url=running.base_url, trust_env=False, timeout=10) as http:
            token = http.post(f"{IDENTITY}/auth/tokens", json=password_auth())
            rule = {"kind": "server", "mode": "stuck_in_build", "name_regex": "^held"}
            created = http.post(
                "/powervc/emulator/v1/behaviours",
                json={"behaviour": {**rule, "seconds": 120}},
                headers={"X-Auth-Token": token.headers["x-subject-token"]},
            )
            assert created.status_code == 201, created.text
        yield running


def _wait_for_job(store: JobStore, deadline: float) -> Job:
    while time.monotonic() < deadline:
        job = store.latest("held", kind="deployment", action="apply")
        if job is not None and job.status is JobStatus.RUNNING:
            return job
        time.sleep(0.05)
    raise AssertionError("the apply never started its job")


def test_a_long_apply_renews_its_lease_and_stops_when_taken_over(
    slow_cloud: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("powerbridge.deploy.apply.LEASE_RENEWAL_SECONDS", 0.1)
    store_url = str(tmp_path / "jobs.sqlite")
    spec = tmp_path / "held.pipe"
    spec.write_text(SPEC, encoding="utf-8")
    sh = Shell(monkeypatch, capsys, slow_cloud.env())
    sh.set({"POWERBRIDGE_STORE": store_url})
    JobStore.open(store_url).close()  # the schema made before two openers race for it
    seen: dict[str, Job] = {}

    def elsewhere() -> None:  # another host: watches the job, then resumes it
        other = JobStore.open(store_url)
        try:
            first = _wait_for_job(other, time.monotonic() + 20)
            time.sleep(0.6)
            seen["renewed"] = other.job(first.id)
            seen["first"] = first
            seen["taken"] = other.attach(first.id)
            time.sleep(0.5)  # the apply's next renewal finds the job gone
            seen["after"] = other.job(first.id)
            other.finish(first.id, JobStatus.INTERRUPTED)
        finally:
            other.close()

    watcher = threading.Thread(target=elsewhere)
    watcher.start()
    result = sh("deploy", "apply", str(spec), "--yes")
    watcher.join(30)

    first, renewed = seen["first"], seen["renewed"]
    assert first.lease_expires is not None
    assert renewed.lease_expires is not None
    assert renewed.lease_expires > first.lease_expires
    assert renewed.lease_live
    assert seen["taken"].epoch == first.epoch + 1
    assert result.code == 1
    assert "was taken over by another `deploy apply --resume`" in result.err
    assert "recorded nothing more" in result.err
    after = seen["after"]  # the stopped run did not mark the job interrupted under the new run
    assert after.status is JobStatus.RUNNING
    assert after.epoch == first.epoch + 1
