"""The portal's workers: run the jobs submitted through any portal, in the portal's process.

`settings.workers` `jobs.Worker`s (`--workers N`), started with the app and stopped with it,
each running one job at a time: the deploy package's `deployment_runner` for batch
deployments, and the ha package's runner of cluster jobs for queued creates and the day-two
operations another portal (or this one, before a restart) left unfinished
(`ha.takeover`). Each has a store object of its own (same database): its batches and held
leases are never mixed with the request threads' reads and writes, nor with another
worker's. Several portals on one PostgreSQL store share the queue: the claim gives each job
to exactly one worker. Each job goes to the cloud it recorded (clouds.py: one PowerVC per
site, the default for a job of no cloud served here). A create logs in to PowerVC as the
job's user, with the application credential the job was submitted with (run_as_user.py); a
day-two operation and a deployment with the portal's own configured credentials there;
clusters' nodes are reached with the portal's SSH key (keys.py).

A portal stopped mid-job hands the job back to the queue, so the next worker (of any portal
on the store, or of this one restarted) continues it at once; a portal killed leaves the
job's lease to expire (`settings.lease_seconds`) before another worker takes it over.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from powerbridge.deploy.service import DEPLOYMENT
from powerbridge.deploy.submit import deployment_runner
from powerbridge.ha.create import CreateOptions
from powerbridge.ha.journal import CLUSTER
from powerbridge.ha.operations import OperationOptions
from powerbridge.ha.takeover import cluster_jobs_runner
from powerbridge.jobs import JobStatus, JobStore
from powerbridge.jobs.worker import Run, Runner, Worker, worker_name
from powerbridge.portal.clouds import Clouds, service_cloud
from powerbridge.portal.run_as_user import user_runner
from powerbridge.portal.state import PortalState

__all__ = ["job_runners", "running_worker"]


def job_runners(state: PortalState) -> dict[str, Runner]:
    """The runner of each job kind the portal's workers claim: the one of the job's cloud."""
    clouds = Clouds.of(state.settings)
    per_cloud = {name: cloud_runners(state, name) for name in clouds.names}

    def of_kind(kind: str) -> Runner:
        async def run_on_its_cloud(run: Run) -> JobStatus | None:
            return await per_cloud[clouds.home(run.job.cloud)][kind](run)

        return run_on_its_cloud

    return {kind: of_kind(kind) for kind in (CLUSTER, DEPLOYMENT)}


def cloud_runners(state: PortalState, cloud: str) -> dict[str, Runner]:
    """The runners of the jobs of one cloud."""
    settings = state.settings
    creates = CreateOptions(ssh_configs=settings.ssh_configs)
    operations = OperationOptions(ssh_configs=settings.ssh_configs)
    as_user = user_runner(state, creates)  # the cloud of each job's credential: its own
    runner = cluster_jobs_runner(
        service_cloud(settings, cloud), state.identity, creates, operations, creates=as_user
    )
    return {CLUSTER: runner, DEPLOYMENT: deployment_runner(service_cloud(settings, cloud))}


@contextlib.asynccontextmanager
async def running_worker(state: PortalState) -> AsyncIterator[list[Worker]]:
    """`settings.workers` workers running until the block ends."""
    settings = state.settings
    runners = job_runners(state)
    stop = asyncio.Event()
    stores: list[JobStore] = []
    workers: list[Worker] = []
    tasks: list[asyncio.Task[None]] = []
    process = worker_name()
    try:
        for number in range(1, settings.workers + 1):
            stores.append(JobStore.open(settings.store_url))
            worker = Worker(
                stores[-1],
                runners,
                name=f"{process}/{number}",
                lease_seconds=settings.lease_seconds,
                poll_seconds=settings.worker_poll_seconds,
                # a cancel stops a create before its next step, an apply before its next create
                stops_at_steps=(CLUSTER, DEPLOYMENT),
            )
            workers.append(worker)
            tasks.append(asyncio.create_task(worker.run(stop), name=f"portal-worker-{number}"))
        yield workers
    finally:
        stop.set()
        # a job in progress is cancelled: its worker hands it back to the queue
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for store in stores:
            store.close()
