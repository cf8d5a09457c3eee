"""The portal's worker: builds the clusters and applies the deployments submitted through it.

A `jobs.Worker` with the ha package's `cluster_runner` and the deploy package's
`deployment_runner`, started with the app and stopped
with it. It has a store object of its own (same database): its batches and held leases are
never mixed with the request threads' reads and writes. It logs in to PowerVC with the
portal's own configured credentials and to the nodes with the portal's SSH key (keys.py).
A portal stopped mid-build leaves the job's lease to expire; the next portal (or worker) on
the store takes it over and continues it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from powerbridge.deploy.service import DEPLOYMENT
from powerbridge.deploy.submit import deployment_runner
from powerbridge.ha.create import CreateOptions
from powerbridge.ha.journal import CLUSTER
from powerbridge.ha.submit import cluster_runner
from powerbridge.jobs import JobStore
from powerbridge.jobs.worker import Worker
from powerbridge.portal.clouds import service_cloud
from powerbridge.portal.state import PortalState

__all__ = ["running_worker"]


@contextlib.asynccontextmanager
async def running_worker(state: PortalState) -> AsyncIterator[Worker]:
    settings = state.settings
    options = CreateOptions(ssh_configs=settings.ssh_configs)
    connect = service_cloud(settings)
    runners = {
        CLUSTER: cluster_runner(connect, state.identity, options),
        DEPLOYMENT: deployment_runner(connect),
    }
    store = JobStore.open(settings.store_url)
    # a cancel stops a create before its next step, an apply before its next create
    worker = Worker(
        store,
        runners,
        poll_seconds=settings.worker_poll_seconds,
        lease_seconds=settings.worker_lease_seconds,
        stops_at_steps=(CLUSTER, DEPLOYMENT),
    )
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
