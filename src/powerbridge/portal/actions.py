"""Day-two actions from the portal (failover, stop, start, add disk, delete) as jobs.

Each runs as an asyncio task of the portal's process, not in the request: the HTTP answer
(202 with the job) goes out as soon as the operation has made its job record, and the task
goes on after the request ends, its steps and commands written to the job as `ha failover`
writes them, so the job page and `/api/v1/jobs/{id}/events` follow it live. Why tasks and
not the queued worker: `ha.operations.run_operation` runs an operation in the foreground,
checks first (the cluster exists, is idle, the target node is one of it) and makes its job
only then; a refused action makes no job and answers 404 / 409 / 422 at once. The job is
held under a worker lease in this process's name, not attached to the process: a portal
stopped mid-action hands it back to the queue and a portal killed leaves its lease to expire;
either way a portal's worker continues it (`ha.takeover`; worker.py).

It runs as its user, as a queued create does (run_as_user.py), on the user's cloud (the one
the job records): the action makes an application credential of the user at that cloud's
Keystone first (after the checks that need no PowerVC: the cluster is one, it is idle),
keeps it sealed in the job's spec, and reaches PowerVC with it, here and in the worker that
may take the job over; the credential is deleted just before the job ends (or at once when
the operation refused before making its job), kept only while the job goes back to the
queue. The nodes are reached with the portal's key, as the worker does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from powerbridge.ha.add_disk import add_disk
from powerbridge.ha.delete import delete_cluster
from powerbridge.ha.failover import failover
from powerbridge.ha.journal import CLUSTER
from powerbridge.ha.operations import (
    ADD_DISK,
    DELETE,
    FAILOVER,
    START,
    STOP,
    OperationOptions,
    ensure_idle,
    load_cluster_spec_of,
)
from powerbridge.ha.services import start_cluster, stop_cluster
from powerbridge.jobs import Job
from powerbridge.jobs.worker import worker_name
from powerbridge.portal.job_credentials import retire
from powerbridge.portal.run_as_user import (
    CREDENTIAL,
    StoredCredential,
    credential_cloud,
    issue_credential,
)

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.identity import Identity
    from powerbridge.jobs import JobStore
    from powerbridge.portal.auth import Principal
    from powerbridge.portal.state import PortalState

__all__ = ["ACTIONS", "Actions"]

logger = logging.getLogger("powerbridge.portal")

Operation = Callable[["Cloud", "JobStore", str, "Identity", OperationOptions], Awaitable[Job]]
ACTIONS: dict[str, Operation] = {
    FAILOVER: failover,
    STOP: stop_cluster,
    START: start_cluster,
    ADD_DISK: add_disk,
    DELETE: delete_cluster,
}
JOB_WAIT_TICKS = 200  # loop turns (then 10 ms sleeps) for the task to make its job


@dataclass
class Actions:
    """The actions running in this process."""

    tasks: set[asyncio.Task[Job]] = field(default_factory=set)
    name: str = field(default_factory=lambda: f"{worker_name()}/actions")  # the jobs' holder

    async def start(
        self, state: PortalState, who: Principal, name: str, action: str, options: OperationOptions
    ) -> Job:
        """Start `action` on cluster `name` as `who`; its job once made. The operation's
        refusal (not a cluster, busy, a bad node) is raised here, before any job exists."""
        load_cluster_spec_of(state.store, name)  # refused before a credential is made
        ensure_idle(state.store, name)
        entry = await issue_credential(
            state, who, name, f"the {action.replace('_', ' ')} of cluster {name}"
        )
        credential = StoredCredential.read(entry)
        assert credential is not None  # issue_credential's entry is one

        async def at_end(job: Job) -> None:  # the job still held: its events say it
            await retire(state, state.store, job.id, credential, cloud=job.cloud)

        chosen = replace(
            options,
            ssh_configs=state.settings.ssh_configs,
            owner=who.user_name,
            project=who.project_id,
            cloud=who.cloud,
            source="portal",
            worker=self.name,
            lease_seconds=state.settings.lease_seconds,
            job_spec={CREDENTIAL: entry},
            at_end=at_end,
        )
        before = _latest_id(state.store, name, action)
        task = asyncio.create_task(
            _run(state, name, action, chosen, credential), name=f"powerbridge-{action}-{name}"
        )
        self.tasks.add(task)
        task.add_done_callback(self._ended)
        state.cluster_reads.forget(name)
        try:
            return await _job_made(state.store, name, action, before, task)
        except Exception:  # refused before its job: no one will use the credential
            await retire(state, None, None, credential, cloud=who.cloud, token=who.token)
            raise

    def _ended(self, task: asyncio.Task[Job]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        problem = task.exception()
        if problem is not None:  # the job records it; the log says it too
            logger.info("%s: %s", task.get_name(), problem)

    async def close(self) -> None:
        """Cancel the running actions (their jobs go back to the queue, for a worker)."""
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(BaseException):
                await task


async def _run(
    state: PortalState,
    name: str,
    action: str,
    options: OperationOptions,
    credential: StoredCredential,
) -> Job:
    async with credential_cloud(state, options.cloud, credential)() as cloud:
        job = await ACTIONS[action](cloud, state.store, name, state.identity, options)
    state.cluster_reads.forget(name)
    return job


def _latest_id(store: JobStore, name: str, action: str) -> int:
    latest = store.latest(name, kind=CLUSTER, action=action)
    return latest.id if latest is not None else 0


async def _job_made(
    store: JobStore, name: str, action: str, before: int, task: asyncio.Task[Job]
) -> Job:
    """The job the task made: it is made before the operation's first step awaits."""
    turns = 0
    while True:
        latest = store.latest(name, kind=CLUSTER, action=action)
        if latest is not None and latest.id > before:
            return latest
        if task.done():
            task.result()  # the refusal, raised (a finished task always made its job)
            raise RuntimeError(f"the {action} of {name} ended without a job")
        turns += 1
        await asyncio.sleep(0 if turns < JOB_WAIT_TICKS else 0.01)
