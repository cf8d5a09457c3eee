"""The portal's workers: run the jobs submitted through any portal, in the portal's process.

`settings.workers` `jobs.Worker`s (`--workers N`), started with the app and stopped with it,
each running one job at a time: the deploy package's `deployment_runner` for batch
deployments, and the ha package's runner of cluster jobs for queued creates and the day-two
operations another portal (or this one, before a restart) left unfinished
(`ha.takeover`). Each has a store object of its own (same database): its batches and held
leases are never mixed with the request threads' reads and writes, nor with another
worker's. Several portals on one PostgreSQL store share the queue: the claim gives each job
to exactly one worker. Every job logs in to PowerVC as its user, with the application
credential it was submitted with (run_as_user.py, job_credentials.py): a create, a day-two
operation taken over, a deployment's apply; never with the portal's own account. Each goes
to the cloud it recorded (clouds.py: one PowerVC per site; the default for a job of no cloud
served here), where its credential was made. Clusters' nodes are reached with the portal's
SSH key (keys.py), which a create gives them through cloud-config user data.

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
from powerbridge.ha.submit import cluster_runner
from powerbridge.ha.takeover import cluster_jobs_runner, operation_runner
from powerbridge.jobs import JobStore
from powerbridge.jobs.worker import Runner, Worker, worker_name
from powerbridge.portal.clouds import service_cloud
from powerbridge.portal.job_credentials import as_user
from powerbridge.portal.state import PortalState

__all__ = ["job_runners", "running_worker"]


def job_runners(state: PortalState) -> dict[str, Runner]:
    """The runner of each job kind the portal's workers claim, each job as its user."""
    settings = state.settings
    identity = state.identity
    # the portal's key reaches the nodes by user data, whichever key pair the spec names
    creates = CreateOptions(
        ssh_configs=settings.ssh_configs, authorized_keys=(identity.public_key,)
    )
    operations = OperationOptions(ssh_configs=settings.ssh_configs)
    user_creates = as_user(
        state,
        lambda connect: cluster_runner(connect, identity, creates),
        resumable=True,
        without="continue it with `powerbridge ha create --resume`",
    )
    user_operations = as_user(  # a failed operation is run again, not resumed
        state,
        lambda connect: operation_runner(connect, identity, operations),
        resumable=False,
        without="run the operation again (`powerbridge ha --help` lists them)",
    )
    user_applies = as_user(
        state,
        deployment_runner,
        resumable=True,
        without="continue it with `powerbridge deploy apply SPEC --resume`",
    )
    # the portal's own connection is never used: both runners of cluster jobs are replaced,
    # and each job's connection is to its own cloud (job_credentials.as_user)
    runner = cluster_jobs_runner(
        service_cloud(settings), identity, creates=user_creates, operations=user_operations
    )
    return {CLUSTER: runner, DEPLOYMENT: user_applies}


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
