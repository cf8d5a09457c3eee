"""Resuming stopped jobs on SQLite and PostgreSQL: a failed job is taken over in the
foreground or queued again for a worker, its items kept; a live or succeeded one is not."""

from __future__ import annotations

import pytest

from powerbridge.jobs import ItemState, JobStatus, JobStore
from powerbridge.jobs.store import LeaseLost


def failed_job(store: JobStore) -> int:
    job = store.create_job("cluster", "appha", action="create", spec={"text": "name: appha"})
    store.put_item(job.id, "step", "deploy", ItemState.DONE)
    store.finish(job.id, JobStatus.FAILED, {"failed_step": "sync"})
    return job.id


def test_a_failed_job_is_taken_over_in_the_foreground(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        job_id = failed_job(store)
        before = store.job(job_id)
        resumed = store.attach(job_id)
        assert (resumed.status, resumed.finished_at) == (JobStatus.RUNNING, None)
        assert resumed.epoch == before.epoch + 1
        assert [i.name for i in store.items(job_id)] == ["deploy"]
    finally:
        store.close()


def test_a_failed_job_queued_again_is_claimed_with_its_items(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        job_id = failed_job(store)
        before = store.job(job_id)
        queued = store.requeue(job_id)
        assert (queued.status, queued.finished_at, queued.pid) == (JobStatus.QUEUED, None, None)
        claimed = store.claim_next("worker-1", kinds=["cluster"])
        assert claimed is not None
        assert claimed.id == job_id
        assert claimed.epoch == before.epoch + 1  # a runner sees it as taken over: resume
        assert [i.name for i in store.items(job_id)] == ["deploy"]
        with pytest.raises(LeaseLost, match="not queued again"):
            store.requeue(job_id)  # a worker holds it now
    finally:
        store.close()


def test_a_succeeded_or_running_job_is_not_queued_again(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        done = store.create_job("cluster", "one", action="create")
        store.finish(done.id, JobStatus.SUCCEEDED)
        running = store.create_job("cluster", "two", action="create")
        for job_id in (done.id, running.id):
            with pytest.raises(LeaseLost, match=f"job {job_id} is running, queued or succeeded"):
                store.requeue(job_id)
        assert store.job(running.id).status is JobStatus.RUNNING
    finally:
        store.close()
