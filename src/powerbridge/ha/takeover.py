"""Day-two operations continued by a worker: what lets a portal that died (or stopped) mid-
failover leave the job to another portal, or to itself restarted.

```python
runner = cluster_jobs_runner(lambda: Cloud.connect("powervc"), identity, options)
await Worker(store, {CLUSTER: runner}).run(stop)    # creates and taken-over operations
```
The portal runs an operation in its own process (`run_operation` with
`OperationOptions.worker`): the job is held under a worker lease, not attached to the process.
Stopped, the portal hands it back to the queue (`JobStore.release`); killed, it leaves the
lease to expire. Either way a worker claims the job and `operation_runner` continues it under
the same job record: every step runs again (each queries before it changes anything), with
the options the job recorded, and the failover's target the first run chose, so a group
already moved is not moved on to the node after.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from powerbridge.ha.add_disk import STEPS as ADD_DISK_STEPS
from powerbridge.ha.create import CreateOptions
from powerbridge.ha.delete import STEPS as DELETE_STEPS
from powerbridge.ha.errors import HAError, StepFailed, StepsStopped
from powerbridge.ha.failover import STEPS as FAILOVER_STEPS
from powerbridge.ha.journal import CREATE, Journal
from powerbridge.ha.operations import (
    ADD_DISK,
    DELETE,
    FAILOVER,
    START,
    STOP,
    OperationOptions,
    load_cluster_spec_of,
    operation_steps,
)
from powerbridge.ha.services import START_STEPS, STOP_STEPS
from powerbridge.ha.submit import CloudFactory, cluster_runner
from powerbridge.ha.workflow import failed_summary, stopped_summary
from powerbridge.jobs import Job, JobStatus

if TYPE_CHECKING:
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.workflow import Step
    from powerbridge.jobs import JobStore
    from powerbridge.jobs.worker import Run, Runner

__all__ = ["OPERATION_STEPS", "cluster_jobs_runner", "operation_runner", "recorded_options"]

OPERATION_STEPS: dict[str, dict[str, Step]] = {
    FAILOVER: FAILOVER_STEPS,
    STOP: STOP_STEPS,
    START: START_STEPS,
    ADD_DISK: ADD_DISK_STEPS,
    DELETE: DELETE_STEPS,
}


def recorded_options(store: JobStore, job: Job, base: OperationOptions) -> OperationOptions:
    """The options `job` was started with (its spec's `options`, who asked), on `base` (the
    SSH configs and waits of the process continuing it)."""
    kept: dict[str, Any] = dict(job.spec.get("options") or {})
    chosen = replace(
        base,
        to_node=kept.get("to_node"),
        size_gb=kept.get("size_gb"),
        storage_template=kept.get("storage_template"),
        delete_data=bool(kept.get("delete_data", False)),
        owner=job.owner,
        project=job.project,
        cloud=job.cloud,
        source=job.source,
    )
    if job.action == FAILOVER and chosen.to_node is None:
        state = (i for i in store.items(job.id) if (i.kind, i.name) == ("step", "state"))
        earlier = next(state, None)
        target = earlier.details.get("target") if earlier is not None else None
        chosen = replace(chosen, to_node=target if isinstance(target, str) else None)
    return chosen


def operation_runner(
    connect: CloudFactory, identity: Identity, options: OperationOptions | None = None
) -> Runner:
    """The jobs.Worker runner of day-two operations an earlier holder left unfinished."""
    base = options or OperationOptions()

    async def run_operation_job(run: Run) -> JobStatus:
        job = run.job
        steps = OPERATION_STEPS.get(job.action)
        if steps is None:
            raise HAError(f"job {job.id} is a cluster {job.action}: no operation of that name")
        spec = load_cluster_spec_of(run.store, job.target)
        chosen = recorded_options(run.store, job, base)
        try:
            async with connect() as cloud:
                summary = await operation_steps(
                    cloud,
                    run.store,
                    job,
                    spec,
                    identity,
                    steps,
                    chosen,
                    rerun=True,
                    stop_asked=run.cancel_asked.is_set,
                )
        except StepFailed as failure:
            run.summary.update(failed_summary(failure))
            return JobStatus.FAILED
        except StepsStopped as stopped:  # a cancel, before the next step
            run.summary.update(stopped_summary(Journal(run.store, job), stopped.step))
            return JobStatus.CANCELLED
        run.summary.update(summary)
        return JobStatus.SUCCEEDED

    return run_operation_job


def cluster_jobs_runner(
    connect: CloudFactory,
    identity: Identity,
    create_options: CreateOptions | None = None,
    operation_options: OperationOptions | None = None,
    *,
    creates: Runner | None = None,
    operations: Runner | None = None,
) -> Runner:
    """One runner for the worker's cluster jobs: queued creates and taken-over operations.
    `creates` and `operations` replace the runners of each (the portal runs every job as
    the user who submitted it, with the job's own application credential)."""
    creates = creates or cluster_runner(connect, identity, create_options)
    operations = operations or operation_runner(connect, identity, operation_options)

    async def run_cluster_job(run: Run) -> JobStatus | None:
        chosen = creates if run.job.action == CREATE else operations
        return await chosen(run)

    return run_cluster_job
