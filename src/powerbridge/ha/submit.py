"""Cluster creates run by a worker: how the portal (or any long-lived service) builds them.

```python
job = submit_create(store, spec_text, source="portal", owner="admin")   # checked, queued
runner = cluster_runner(lambda: Cloud.connect("powervc"), identity)
await Worker(store, {CLUSTER: runner}).run(stop)
```
`ha create` runs the same steps in the foreground (create.py); both write one job record,
so `ha show` and the portal follow either, and a create stopped in one continues in the
other. A worker that vanishes mid-way leaves its lease to expire; the next worker takes the
job over and skips the steps done (each step queries before it changes anything).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from powerbridge.ha.create import CreateOptions, build_cluster
from powerbridge.ha.errors import HAError, StepFailed, StepsStopped
from powerbridge.ha.journal import CLUSTER, CREATE, Journal, StepEvent, stopped_create
from powerbridge.ha.spec import parse_cluster_spec
from powerbridge.ha.workflow import failed_summary, stopped_summary
from powerbridge.jobs import Job, JobStatus, JobStore

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.model import ClusterSpec
    from powerbridge.jobs.worker import Run, Runner

__all__ = ["cluster_runner", "submit_create"]

RESUME_HINT = "submit it again with resume=True (the portal API: ?resume=true) to continue it"

CloudFactory = Callable[[], AbstractAsyncContextManager["Cloud"]]


def submit_create(
    store: JobStore,
    text: str,
    *,
    source: str | None = None,
    resume: bool = False,
    owner: str | None = None,
    project: str | None = None,
    cloud: str | None = None,
) -> Job:
    """Queue the create of the cluster `text` (a cluster spec, YAML) describes; with `resume`,
    queue its stopped or failed create again instead. The spec is parsed first: a SpecError
    queues nothing. Plan it first (plan.py): a worker does not ask for confirmation.
    `owner`, `project`, `cloud`: who asked, in which project of which cloud (the portal's
    per-project views)."""
    spec = parse_cluster_spec(text, source=source)
    stopped = stopped_create(store, spec.name, resume=resume, resume_hint=RESUME_HINT)
    if stopped is not None:
        return store.requeue(stopped.id)
    kept = {"text": text}
    who = {"owner": owner, "project": project, "cloud": cloud}
    return store.enqueue(CLUSTER, spec.name, action=CREATE, spec=kept, source=source, **who)


def cluster_runner(
    connect: CloudFactory,
    identity: Identity | None = None,
    options: CreateOptions | None = None,
    progress: Callable[[StepEvent], None] | None = None,
) -> Runner:
    """The jobs.Worker runner of cluster creates. `identity`: the key reaching the nodes
    (None: each spec's `ssh.private_key`, which must need no passphrase)."""
    chosen = options or CreateOptions()

    async def run_create(run: Run) -> JobStatus:
        spec = _spec_of(run.job)
        key = identity or _spec_identity(spec.ssh.private_key)
        journal = Journal(run.store, run.job, progress)
        journal.stop_asked = run.cancel_asked.is_set
        try:
            async with connect() as cloud:
                run.summary.update(await build_cluster(cloud, spec, journal, key, chosen))
        except StepFailed as failure:
            run.summary.update(failed_summary(failure))
            return JobStatus.FAILED
        except StepsStopped as stopped:
            run.summary.update(stopped_summary(journal, stopped.step))
            return JobStatus.CANCELLED
        return JobStatus.SUCCEEDED

    return run_create


def _spec_of(job: Job) -> ClusterSpec:
    if job.action != CREATE:
        raise HAError(f"job {job.id} is a cluster {job.action}: a worker runs creates only")
    text = job.spec.get("text")
    if not isinstance(text, str):
        raise HAError(f"job {job.id} holds no cluster spec; submit it with submit_create")
    return parse_cluster_spec(text, source=job.source)


def _spec_identity(private_key: str | None) -> Identity:
    from powerbridge.ha.identity import load_identity

    return load_identity(private_key, None, interactive=False)
