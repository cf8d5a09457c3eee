"""The job store: jobs, items and events persist across store instances (processes), the
schema is versioned, and a job's holder is known to be alive or gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from powerbridge.jobs import ItemState, JobStatus, JobStore, StoreError, holder_alive
from powerbridge.jobs.store import default_store_url


def test_a_job_and_its_items_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    store = JobStore.open(str(path))
    job = store.create_job("apply", "web", source="web.pipe", summary={"plan": {"create": 2}})
    store.put_item(job.id, "volume", "web1-data", ItemState.CREATING)
    store.put_item(job.id, "server", "web1", ItemState.PENDING)
    store.put_item(
        job.id, "volume", "web1-data", ItemState.BUILDING, resource_id="v-1", created_here=True
    )
    store.event(job.id, "web1-data: creating", kind="volume", name="web1-data")
    store.close()

    again = JobStore.open(str(path))
    try:
        found = again.job(job.id)
        assert (found.kind, found.deployment, found.status) == ("apply", "web", JobStatus.RUNNING)
        assert found.pid == os.getpid()
        assert found.summary == {"plan": {"create": 2}}
        items = again.items(job.id)
        assert [(i.kind, i.name, i.state) for i in items] == [
            ("volume", "web1-data", ItemState.BUILDING),
            ("server", "web1", ItemState.PENDING),
        ]
        assert items[0].resource_id == "v-1"
        assert items[0].created_here
        [event] = again.events(job.id)
        assert event.message == "web1-data: creating"
        assert again.events(job.id, after=event.seq) == []
        again.finish(job.id, JobStatus.SUCCEEDED, {"done": 1})
        assert again.latest("web") == again.job(job.id)
        assert again.job(job.id).status.finished
        assert [i.name for i in again.created_by("web")] == ["web1-data"]
        assert again.deployments() == ["web"]
    finally:
        again.close()


def test_a_job_held_by_a_dead_process_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    script = (
        "import sys; from powerbridge.jobs import JobStore;"
        "s = JobStore.open(sys.argv[1]); print(s.create_job('apply', 'd').id)"
    )
    made = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    store = JobStore.open(str(path))
    try:
        job = store.job(int(made.stdout))
        assert job.status is JobStatus.RUNNING
        assert not holder_alive(job)  # that process has exited
        claimed = store.claim(job.id)
        assert claimed.pid == os.getpid()
        assert holder_alive(claimed)
    finally:
        store.close()


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    JobStore.open(str(path)).close()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as db:
        db.execute(sa.text("UPDATE schema_version SET version = 99"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this powerbridge"):
        JobStore.open(str(path))


def test_an_unusable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the job store's folder"):
        JobStore.open(str(blocker / "sub" / "jobs.sqlite"))
    with pytest.raises(StoreError, match="cannot use the job store"):
        JobStore.open("nosuchdialect://x")


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
