"""A cancel that waits for a step boundary: a worker told to (`stops_at_steps`) lets the step
in progress finish, the runner returns CANCELLED with what it made; the HA steps stop before
the next step; a cancelled job, like an interrupted one, is resumed in the foreground (the
CLI's `--resume`) or queued again, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest

from powerbridge.ha.errors import StepsStopped
from powerbridge.ha.journal import Journal
from powerbridge.ha.workflow import Build, run_steps
from powerbridge.jobs import ItemState, JobStatus, JobStore
from powerbridge.jobs.worker import Run, Worker


def test_a_cancel_lets_the_step_in_progress_finish(tmp_path: Path) -> None:
    store = JobStore.open(str(tmp_path / "jobs.sqlite"))
    job = store.enqueue("cluster", "ha1", action="create")
    finished: list[str] = []

    async def three_steps(run: Run) -> JobStatus:
        for step in ("one", "two", "three"):
            if run.cancel_asked.is_set():
                run.summary["cancelled_before"] = step
                return JobStatus.CANCELLED
            if step == "one":
                store.cancel(run.job.id)  # someone clicks Cancel during step one
            await asyncio.sleep(0.5)  # longer than the heartbeat: it sees the cancel
            run.store.put_item(run.job.id, "step", step, ItemState.DONE, created_here=True)
            finished.append(step)
        return JobStatus.SUCCEEDED

    worker = Worker(store, {"cluster": three_steps}, lease_seconds=0.3, stops_at_steps=["cluster"])
    asyncio.run(worker.run_next())
    ended = store.job(job.id)
    assert finished == ["one"]  # not cut short, not continued
    assert ended.status is JobStatus.CANCELLED
    assert ended.summary == {"cancelled_before": "two"}
    store.close()


def test_the_ha_steps_stop_before_the_next_step(tmp_path: Path) -> None:
    store = JobStore.open(str(tmp_path / "jobs.sqlite"))
    job = store.create_job("cluster", "ha1", action="create")
    journal = Journal(store, job)
    ran: list[str] = []

    async def step(build: Build) -> str:
        ran.append("validate")
        journal.stop_asked = lambda: True  # asked while validate ran
        return "checked"

    async def never(build: Build) -> str:
        raise AssertionError("a step began after the cancel")

    build = Build(*(cast(Any, None) for _ in range(2)), journal, cast(Any, None), cast(Any, None))
    with pytest.raises(StepsStopped) as stopped:
        asyncio.run(run_steps(build, {"validate": step, "key_pair": never}))
    assert stopped.value.step == "key_pair"
    assert ran == ["validate"]
    states = {i.name: i.state for i in store.items(job.id) if i.kind == "step"}
    assert states == {"validate": ItemState.DONE, "key_pair": ItemState.PENDING}
    assert store.events(job.id)[-1].message == (
        "key_pair: cancelled: not started: the job was cancelled"
    )
    store.close()


def cancelled_worker_job(store: JobStore) -> int:
    job = store.enqueue("deployment", "web", action="apply")
    claimed = store.claim_next("worker-1", kinds=["deployment"])
    assert claimed is not None
    store.put_item(job.id, "server", "web1", ItemState.BUILDING, created_here=True)
    store.finish(job.id, JobStatus.CANCELLED, {"created": {"server": ["web1"]}})
    return job.id


def test_a_cancelled_worker_job_is_resumed_in_the_foreground(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        job_id = cancelled_worker_job(store)
        store.cancel(job_id)  # a late second click: the job has ended, nothing changes
        resumed = store.attach(job_id)  # `deploy apply --resume`
        assert (resumed.status, resumed.cancel_requested) == (JobStatus.RUNNING, False)
        assert [i.name for i in store.items(job_id)] == ["web1"]
    finally:
        store.close()


def test_a_cancelled_job_is_queued_again(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        job_id = cancelled_worker_job(store)
        queued = store.requeue(job_id)
        assert (queued.status, queued.cancel_requested) == (JobStatus.QUEUED, False)
    finally:
        store.close()
