"""Claims with a lease, on SQLite and PostgreSQL: racing workers each get a job exactly
once; a job whose lease expired is taken over, and its old runner's writes are refused by
the fence; a foreground job is never taken by a worker; cancels."""

from __future__ import annotations

import threading
import time

import pytest

from powerbridge.jobs import ItemState, JobStatus, JobStore, LeaseLost


def test_racing_workers_claim_each_job_exactly_once(store_url: str) -> None:
    setup = JobStore.open(store_url)
    queued = {setup.enqueue("volume", f"v{n}", action="make").id for n in range(30)}
    setup.close()
    claimed: list[int] = []
    lock = threading.Lock()

    def claim_all(name: str) -> None:
        store = JobStore.open(store_url)
        while (job := store.claim_next(name)) is not None:
            with lock:
                claimed.append(job.id)
        store.close()

    threads = [threading.Thread(target=claim_all, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(queued)  # every job, none twice


def test_an_expired_lease_is_taken_over_and_the_old_runner_is_fenced(store_url: str) -> None:
    first, second = JobStore.open(store_url), JobStore.open(store_url)
    try:
        job = first.enqueue("volume", "v1", action="make", spec={"size": 1})
        mine = first.claim_next("first", lease_seconds=1.0)
        assert mine is not None
        assert (mine.id, mine.epoch, mine.lease_owner) == (job.id, 1, "first")
        first.event(job.id, "first: working")
        assert second.claim_next("second") is None  # the lease is live
        time.sleep(1.05)
        taken = second.claim_next("second", lease_seconds=30)
        assert taken is not None
        assert (taken.id, taken.epoch, taken.lease_owner) == (job.id, 2, "second")
        for late in (
            lambda: first.event(job.id, "first: still here"),
            lambda: first.put_item(job.id, "volume", "v1", ItemState.DONE),
            lambda: first.finish(job.id, JobStatus.FAILED),
            lambda: first.heartbeat(job.id),
        ):
            with pytest.raises(LeaseLost, match="held by this process"):
                late()
        assert [e.message for e in second.events(job.id)] == ["first: working"]
        assert second.items(job.id) == []
        second.event(job.id, "second: done")
        second.finish(job.id, JobStatus.SUCCEEDED)
        assert second.job(job.id).status is JobStatus.SUCCEEDED
        assert [e.seq for e in second.events(job.id)] == [1, 2]
    finally:
        first.close()
        second.close()


def test_a_batch_under_a_lost_lease_writes_nothing(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        store.enqueue("volume", "v1", action="make")
        job = store.claim_next("w", lease_seconds=30)
        assert job is not None
        with store.engine.begin() as db:  # meanwhile the lease ran out and another claimed it
            db.exec_driver_sql("UPDATE jobs SET epoch = epoch + 1")

        def record_a_step() -> None:
            with store.batch():
                store.put_item(job.id, "volume", "v1", ItemState.CREATING)
                store.event(job.id, "creating")

        with pytest.raises(LeaseLost):
            record_a_step()
        assert store.items(job.id) == []
        assert store.events(job.id) == []
    finally:
        store.close()


def test_a_foreground_job_is_never_taken_by_a_worker(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        job = store.create_job("deployment", "web", action="apply")
        with store.engine.begin() as db:  # even long silent
            db.exec_driver_sql("UPDATE jobs SET lease_expires = created_at")
        assert store.claim_next("worker") is None
        assert store.job(job.id).pid is not None
    finally:
        store.close()


def test_a_resume_is_refused_while_a_worker_holds_the_job(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        store.enqueue("deployment", "web", action="apply")
        job = store.claim_next("worker", lease_seconds=30)
        assert job is not None
        other = JobStore.open(store_url)
        with pytest.raises(LeaseLost, match="run by a live worker"):
            other.attach(job.id)
        other.close()
    finally:
        store.close()


def test_cancel_a_queued_and_a_running_job(store_url: str) -> None:
    store = JobStore.open(store_url)
    try:
        waiting = store.enqueue("volume", "v1", action="make")
        assert store.cancel(waiting.id).status is JobStatus.CANCELLED
        store.enqueue("volume", "v2", action="make")
        running = store.claim_next("w")
        assert running is not None
        assert not store.heartbeat(running.id)
        assert store.cancel(running.id).cancel_requested
        assert store.heartbeat(running.id)  # the worker is told at its next heartbeat
    finally:
        store.close()
