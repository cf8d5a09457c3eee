"""The portal's worker: builds the clusters submitted through it, in the portal's process.

A `jobs.Worker` with the ha package's `cluster_runner`, started with the app and stopped
with it. It has a store object of its own (same database): its batches and held leases are
never mixed with the request threads' reads and writes. It logs in to PowerVC as the job's
user, with the application credential the job was submitted with (run_as_user.py), and to
the nodes with the portal's SSH key (keys.py).
A portal stopped mid-build leaves the job's lease to expire; the next portal (or worker) on
the store takes it over and continues it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from powerbridge.ha.create import CreateOptions
from powerbridge.ha.journal import CLUSTER
from powerbridge.jobs import JobStore
from powerbridge.jobs.worker import Worker
from powerbridge.portal.run_as_user import user_runner
from powerbridge.portal.state import PortalState

__all__ = ["running_worker"]


@contextlib.asynccontextmanager
async def running_worker(state: PortalState) -> AsyncIterator[Worker]:
    settings = state.settings
    options = CreateOptions(ssh_configs=settings.ssh_configs)
    runner = user_runner(state, options)
    store = JobStore.open(settings.store_url)
    worker = Worker(store, {CLUSTER: runner}, poll_seconds=settings.worker_poll_seconds)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="powerbridge-portal-worker")
    try:
        yield worker
    finally:
        stop.set()
        # a build in progress is cancelled: its lease expires and a later worker resumes it
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        store.close()
