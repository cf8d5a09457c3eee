"""The worker in-process on SQLite: a runner per kind runs each queued job; a runner's
failure fails its job with the message; a cancel stops the runner; a worker that lost its
lease stops its runner and writes nothing more."""

from __future__ import annotations

import asyncio
from pathlib import Path

from powerbridge.jobs import JobStatus, JobStore
from powerbridge.jobs.worker import Run, Worker


def store_at(tmp_path: Path) -> JobStore:
    return JobStore.open(str(tmp_path / "jobs.sqlite"))


def test_each_queued_job_runs_once_by_its_kinds_runner(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    ran: list[tuple[str, str]] = []

    async def build(run: Run) -> None:
        ran.append((run.job.target, run.job.spec["size"]))
        run.store.event(run.job.id, "built")

    ids = [store.enqueue("cluster", f"ha{n}", action="build", spec={"size": n}).id for n in (1, 2)]
    store.enqueue("other", "x", action="run")  # no runner: left queued
    worker = Worker(store, {"cluster": build}, name="w1")

    async def drain() -> None:
        while await worker.run_next() is not None:
            pass

    asyncio.run(drain())
    assert ran == [("ha1", 1), ("ha2", 2)]
    for job_id in ids:
        job = store.job(job_id)
        assert (job.status, job.lease_owner, job.epoch) == (JobStatus.SUCCEEDED, "w1", 1)
        assert [e.message for e in store.events(job_id)] == ["built"]
    assert [j.status for j in store.jobs(kind="other")] == [JobStatus.QUEUED]
    store.close()


def test_a_runners_failure_fails_its_job(tmp_path: Path) -> None:
    store = store_at(tmp_path)

    async def broken(run: Run) -> None:
        raise RuntimeError("no host can take 512 GB")

    job = store.enqueue("cluster", "ha1", action="build")
    asyncio.run(Worker(store, {"cluster": broken}).run_next())
    failed = store.job(job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.summary == {"error": "no host can take 512 GB"}
    assert [e.message for e in store.events(job.id)] == ["failed: no host can take 512 GB"]
    store.close()


def test_a_cancel_stops_the_runner(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    job = store.enqueue("cluster", "ha1", action="build")

    async def slow(run: Run) -> None:
        store.cancel(run.job.id)  # someone clicks cancel in the portal
        await asyncio.sleep(30)

    asyncio.run(Worker(store, {"cluster": slow}, lease_seconds=0.3).run_next())
    assert store.job(job.id).status is JobStatus.CANCELLED
    store.close()


def test_a_worker_that_lost_its_lease_stops_and_writes_nothing(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    job = store.enqueue("cluster", "ha1", action="build")
    stopped: list[str] = []

    async def stalled(run: Run) -> None:
        with store.engine.begin() as db:  # meanwhile another worker claimed it
            db.exec_driver_sql("UPDATE jobs SET epoch = epoch + 1, lease_owner = 'w2'")
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            stopped.append("cancelled")
            raise

    asyncio.run(Worker(store, {"cluster": stalled}, lease_seconds=0.3).run_next())
    assert stopped == ["cancelled"]
    after = store.job(job.id)
    assert (after.status, after.lease_owner) == (JobStatus.RUNNING, "w2")
    assert store.events(job.id) == []
    store.close()
