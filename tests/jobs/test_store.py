"""The job store on SQLite and PostgreSQL: jobs, items and events persist across store
instances (processes), timestamps are UTC, a job's holder is known to be alive or gone, and
bad stores are one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from powerbridge.jobs import ItemState, JobStatus, JobStore, StoreError, holder_alive
from powerbridge.jobs.database import default_store_url
from powerbridge.jobs.schema import jobs as jobs_table


def test_a_job_and_its_items_survive_reopening(store_url: str) -> None:
    store = JobStore.open(store_url)
    job = store.create_job(
        "deployment", "web", action="apply", source="web.pipe", summary={"plan": {"create": 2}}
    )
    store.put_item(job.id, "volume", "web1-data", ItemState.CREATING)
    store.put_item(job.id, "server", "web1", ItemState.PENDING)
    store.put_item(
        job.id, "volume", "web1-data", ItemState.BUILDING, resource_id="v-1", created_here=True
    )
    store.event(job.id, "web1-data: creating", kind="volume", name="web1-data")
    store.close()

    again = JobStore.open(store_url)
    try:
        found = again.job(job.id)
        assert (found.kind, found.action, found.target) == ("deployment", "apply", "web")
        assert found.status is JobStatus.RUNNING
        assert found.pid == os.getpid()
        assert found.summary == {"plan": {"create": 2}}
        assert found.created_at.tzinfo is UTC
        assert abs(found.created_at - datetime.now(UTC)) < timedelta(seconds=30)
        items = again.items(job.id)
        assert [(i.kind, i.name, i.state) for i in items] == [
            ("volume", "web1-data", ItemState.BUILDING),
            ("server", "web1", ItemState.PENDING),
        ]
        assert items[0].resource_id == "v-1"
        assert items[0].created_here
        [event] = again.events(job.id)
        assert (event.seq, event.message) == (1, "web1-data: creating")
        assert again.events(job.id, after=event.seq) == []
        again.attach(job.id)  # this store is another instance: it takes the job over
        again.finish(job.id, JobStatus.SUCCEEDED, {"done": 1})
        finished = again.job(job.id)
        assert again.latest("web", kind="deployment") == finished
        assert finished.status.finished
        assert finished.finished_at is not None
        assert finished.finished_at >= finished.created_at
        assert [i.name for i in again.created_by("web", kind="deployment")] == ["web1-data"]
        assert again.targets("deployment") == ["web"]
    finally:
        again.close()


def test_the_dashboards_queries(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        done = store.create_job("cluster", "ha1", action="build", owner="alice")
        store.finish(done.id, JobStatus.SUCCEEDED)
        running = store.create_job("cluster", "ha1", action="verify", cloud="powervc")
        queued = store.enqueue("deployment", "web", action="apply", project="ibm-default")
        assert [j.id for j in store.jobs(limit=2)] == [queued.id, running.id]
        assert [j.id for j in store.jobs(status=JobStatus.RUNNING)] == [running.id]
        assert [j.id for j in store.jobs("ha1", kind="cluster")] == [running.id, done.id]
        assert store.job(done.id).owner == "alice"
        assert store.job(running.id).cloud == "powervc"
        assert store.job(queued.id).project == "ibm-default"
    finally:
        store.close()


def test_a_job_held_by_a_dead_process_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    script = (
        "import sys; from powerbridge.jobs import JobStore;"
        "s = JobStore.open(sys.argv[1]);"
        "print(s.create_job('deployment', 'd', action='apply').id)"
    )
    made = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    store = JobStore.open(str(path))
    try:
        job = store.job(int(made.stdout))
        assert job.status is JobStatus.RUNNING
        assert not holder_alive(job)  # that process has exited
        claimed = store.attach(job.id)
        assert claimed.pid == os.getpid()
        assert claimed.epoch == job.epoch + 1
        assert holder_alive(claimed)
    finally:
        store.close()


def test_a_foreground_job_of_another_host_lives_while_its_lease_does(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        job = store.create_job("deployment", "far", action="apply")
        with store.engine.begin() as db:
            db.execute(jobs_table.update().values(hostname="elsewhere.example"))
        assert holder_alive(store.job(job.id))  # its lease is renewed by its writes
        with store.engine.begin() as db:
            db.execute(jobs_table.update().values(lease_expires=datetime(2000, 1, 1, tzinfo=UTC)))
        assert not holder_alive(store.job(job.id))  # silent past its lease: gone
    finally:
        store.close()


def test_an_unusable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the job store's folder"):
        JobStore.open(str(blocker / "sub" / "jobs.sqlite"))
    with pytest.raises(StoreError, match="cannot use the job store"):
        JobStore.open("nosuchdialect://x")


def test_an_unreachable_postgresql_is_one_clear_line(tmp_path: Path) -> None:
    url = f"postgresql://someone:secret@/jobs?host={tmp_path}"  # no server listens there
    with pytest.raises(StoreError) as caught:
        JobStore.open(url)
    message = str(caught.value)
    assert message.startswith("cannot open the job store postgresql+psycopg://someone:***@")
    assert "secret" not in message
    assert "check that the database runs" in message
    assert "\n" not in message


def test_the_default_store_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POWERBRIDGE_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_url() == f"sqlite:///{tmp_path}/powerbridge/jobs.sqlite"
    monkeypatch.setenv("POWERBRIDGE_STORE", str(tmp_path / "mine.sqlite"))
    assert default_store_url() == f"sqlite:///{tmp_path}/mine.sqlite"
    monkeypatch.setenv("POWERBRIDGE_STORE", "postgresql://db/jobs")
    assert default_store_url() == "postgresql://db/jobs"
