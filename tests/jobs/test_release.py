"""Handing jobs on, on SQLite and PostgreSQL: a stopped worker releases its job to the queue
(the next claim continues it, the old holder can write nothing more); a job held under a
worker lease from the start (the portal's day-two actions) is claimed by another worker once
that lease expires; the latest job of each target in one query."""

from __future__ import annotations

import asyncio
import time

import pytest

from powerbridge.jobs import JobStatus, JobStore, LeaseLost
from powerbridge.jobs.overview import latest_jobs
from powerbridge.jobs.worker import Run, Worker


def test_a_released_job_is_queued_again_and_its_old_holder_is_fenced_off(store_url: str) -> None:
    store, other = JobStore.open(store_url), JobStore.open(store_url)
    job = store.enqueue("cluster", "ha1", action="create")
    claimed = store.claim_next("w1", lease_seconds=30)
    assert claimed is not None
    store.event(job.id, "deploy: done")
    store.release(job.id)
    released = store.job(job.id)
    assert (released.status, released.lease_owner, released.lease_expires) == (
        JobStatus.QUEUED,
        None,
        None,
    )
    again = other.claim_next("w2", lease_seconds=30)
    assert again is not None
    assert (again.id, again.epoch, again.lease_owner) == (job.id, 2, "w2")
    late = JobStore.open(store_url)
    late.hold(claimed)  # what the first holder would still send
    with pytest.raises(LeaseLost):
        late.event(job.id, "late")
    with pytest.raises(LeaseLost):
        store.release(job.id)  # no longer this store's
    assert [e.message for e in other.events(job.id)] == ["deploy: done"]
    for opened in (store, other, late):
        opened.close()


def test_a_stopped_worker_hands_its_job_back(store_url: str) -> None:
    store = JobStore.open(store_url)
    job = store.enqueue("cluster", "ha1", action="create")
    started = asyncio.Event()

    async def slow(run: Run) -> None:
        started.set()
        await asyncio.sleep(60)

    async def stop_mid_job() -> None:
        task = asyncio.create_task(Worker(store, {"cluster": slow}).run_next())
        await started.wait()
        task.cancel()  # the portal shuts down
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(stop_mid_job())
    assert store.job(job.id).status is JobStatus.QUEUED
    store.close()


def test_a_worker_held_job_is_taken_over_once_its_lease_expires(store_url: str) -> None:
    store, other = JobStore.open(store_url), JobStore.open(store_url)
    live = store.create_job("cluster", "ha0", action="stop", worker="portal-a", lease_seconds=60)
    assert other.claim_next("portal-b", lease_seconds=30) is None  # its lease is live
    store.finish(live.id, JobStatus.SUCCEEDED)
    job = store.create_job(
        "cluster", "ha1", action="failover", worker="portal-a", lease_seconds=0.2
    )
    assert (job.pid, job.lease_owner, job.status) == (None, "portal-a", JobStatus.RUNNING)
    store.event(job.id, "state: done")
    time.sleep(0.3)  # the holder died: nothing renews its lease
    taken = other.claim_next("portal-b", lease_seconds=30)
    assert taken is not None
    assert (taken.id, taken.epoch, taken.lease_owner) == (job.id, 2, "portal-b")
    with pytest.raises(LeaseLost):
        store.event(job.id, "late")
    attached = store.create_job("cluster", "ha2", action="failover")  # the CLI's: never taken
    assert attached.pid is not None
    time.sleep(0.1)
    assert other.claim_next("portal-b", lease_seconds=30) is None
    store.close()
    other.close()


def test_latest_jobs_gives_each_targets_newest_job(store_url: str) -> None:
    store = JobStore.open(store_url)
    for target, action in [("ha2", "create"), ("ha1", "create"), ("ha2", "failover")]:
        store.enqueue("cluster", target, action=action)
    store.enqueue("deployment", "web", action="apply")
    found = [(job.target, job.action) for job in latest_jobs(store, "cluster")]
    assert found == [("ha1", "create"), ("ha2", "failover")]
    assert latest_jobs(store, "nothing") == []
    store.close()
