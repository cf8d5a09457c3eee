"""Run a cluster create as a job of the shared store, from the CLI or a worker.

```python
identity = load_identity(spec.ssh.private_key, None, interactive=False)
job = await create_cluster(cloud, spec, store, identity, CreateOptions(resume=False))
```
The job's spec holds the cluster spec's source text, so a worker (the portal's) can run or
resume it without the file. Interrupted (Ctrl-C, SIGTERM) the job is left
`interrupted`; a cancel (the portal's button) lets the step in progress finish and leaves it
`cancelled`; a failed step leaves it `failed`: all three continue with `resume=True`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from powerbridge.ha.create_steps import STEP_FUNCTIONS
from powerbridge.ha.errors import StepFailed, StepsStopped
from powerbridge.ha.journal import Journal, StepEvent, pinned_host_keys, start_job
from powerbridge.ha.workflow import Build, failed_summary, run_steps, stopped_summary
from powerbridge.jobs import Job, JobStatus, JobStore
from powerbridge.jobs.worker import keep_leased

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.model import ClusterSpec

__all__ = ["CreateOptions", "build_cluster", "cloud_secrets", "create_cluster"]

LEASE_RENEWAL_SECONDS = 20.0


@dataclass(frozen=True)
class CreateOptions:
    resume: bool = False
    accept_new_host_keys: bool = False
    ssh_configs: tuple[Path, ...] | None = None  # None: the executor's defaults
    source: str | None = None  # the spec file, as given
    spec_text: str | None = None  # kept in the job for workers and `ha show`
    # public keys the nodes get through cloud-config user data besides the key pair's (the
    # portal passes its own, so it reaches nodes deployed with its user's key pair)
    authorized_keys: tuple[str, ...] = ()


async def create_cluster(
    cloud: Cloud,
    spec: ClusterSpec,
    store: JobStore,
    identity: Identity,
    options: CreateOptions,
    progress: Callable[[StepEvent], None] | None = None,
) -> Job:
    """Build `spec`'s cluster (or continue its stopped create); the finished job."""
    kept = {"text": options.spec_text} if options.spec_text is not None else {}
    job = start_job(store, spec.name, resume=options.resume, source=options.source, spec=kept)
    journal = Journal(store, job, progress)
    task = asyncio.current_task()
    assert task is not None  # always awaited inside a task
    asked = asyncio.Event()  # a cancel (the portal's button): stop before the next step
    journal.stop_asked = asked.is_set
    renewal = keep_leased(store, job.id, LEASE_RENEWAL_SECONDS, task, [], on_cancel=asked.set)
    beat = asyncio.create_task(renewal)
    try:
        summary = await build_cluster(cloud, spec, journal, identity, options)
    except StepFailed as failure:
        store.finish(job.id, JobStatus.FAILED, failed_summary(failure))
        raise
    except StepsStopped as stopped:
        store.finish(job.id, JobStatus.CANCELLED, stopped_summary(journal, stopped.step))
        stopped.hint = "run the same command with --resume to continue it"
        raise
    except BaseException:
        store.event(job.id, "interrupted: resume to continue")
        store.finish(job.id, JobStatus.INTERRUPTED)
        raise
    finally:
        beat.cancel()
    store.finish(job.id, JobStatus.SUCCEEDED, summary)
    return store.job(job.id)


async def build_cluster(
    cloud: Cloud, spec: ClusterSpec, journal: Journal, identity: Identity, options: CreateOptions
) -> dict[str, Any]:
    """Run the create steps in `journal`'s job, skipping those done; the job's summary. The
    caller holds the job and finishes it (a foreground create, or a worker: ha/submit.py)."""
    from powerbridge.ha.executor import NodeExecutor, default_ssh_configs

    configs = options.ssh_configs if options.ssh_configs is not None else default_ssh_configs()
    executor = NodeExecutor(
        identity,
        user=spec.ssh.user,
        ssh_configs=configs,
        pins=pinned_host_keys(journal.store, spec.name),
        accept_new_host_keys=options.accept_new_host_keys,
        connect_timeout=spec.ssh.connect_timeout,
        command_timeout=spec.ssh.command_timeout,
        redact=cloud_secrets(cloud),
        cluster=spec.name,
    )
    async with executor:
        keys = options.authorized_keys
        build = Build(cloud, spec, journal, executor, identity, authorized_keys=keys)
        await run_steps(build, STEP_FUNCTIONS)
    return {"nodes": list(spec.node_names), "seconds": round(journal.elapsed, 1)}


def cloud_secrets(cloud: Cloud) -> tuple[str, ...]:
    """The PowerVC credentials in use: masked wherever a node command or its output shows
    them (an application command that signs in to PowerVC, a script echoing its setup)."""
    config = cloud.session.config
    return tuple(
        secret
        for secret in (config.password, config.application_credential_secret)
        if secret is not None
    )
