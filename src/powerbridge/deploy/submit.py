"""Deployment applies run by a worker: how the portal (or any long-lived service) applies specs.

```python
spec = parse_spec_text(text, name="web", file_name="web.pipe")      # SpecErrors, located
job = submit_apply(store, text, spec, owner="otto")                  # checked, queued
runner = deployment_runner(lambda: Cloud.connect("powervc"))
await Worker(store, {DEPLOYMENT: runner}).run(stop)
```
The job is the one `deploy apply` records (kind `deployment`, action `apply`), its spec text
kept in it, so `deploy list`/`deploy show` list it and `deploy apply FILE --resume` continues
it when the worker stopped; a worker continues an apply a `--resume` could, too. The runner
re-plans against the cloud each time it starts, so what an earlier run made is unchanged.
A cancel asked for (`JobStore.cancel`) stops it at once: no new create is sent, what was sent
is tagged and listed in the job's summary (`created`), and the job ends `cancelled`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from powerbridge.deploy.apply import ApplyOptions, apply_plan
from powerbridge.deploy.errors import DeployError, SpecError, SpecErrors
from powerbridge.deploy.model import DeploymentSpec
from powerbridge.deploy.pipe_format import parse_pipe
from powerbridge.deploy.service import (
    APPLY,
    DEPLOYMENT,
    cancelled_midway,
    prepare,
    refuse_cluster_name,
)
from powerbridge.deploy.yaml_format import parse_yaml
from powerbridge.jobs import Job, JobStatus, JobStore, holder_alive

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.jobs.worker import Run, Runner

__all__ = [
    "PIPE",
    "YAML",
    "deployment_runner",
    "guess_format",
    "parse_spec_text",
    "stopped_apply",
    "submit_apply",
]

PIPE, YAML = "pipe", "yaml"
_PIPE_LINE = re.compile(r"^\s*[A-Za-z_]+=[^\n]*\|", re.M)
CloudFactory = Callable[[], AbstractAsyncContextManager["Cloud"]]


def guess_format(text: str, file_name: str | None = None) -> str:
    """`yaml` for a .yaml/.yml file or YAML text, `pipe` for `key=value|...` lines."""
    if file_name is not None and file_name.lower().endswith((".yaml", ".yml")):
        return YAML
    if file_name is not None and file_name.lower().endswith((".pipe", ".txt")):
        return PIPE
    return PIPE if _PIPE_LINE.search(text) else YAML


def parse_spec_text(
    text: str, *, name: str | None, file_name: str | None = None, fmt: str | None = None
) -> DeploymentSpec:
    """The deployment `text` describes (pipe or YAML); SpecErrors locates every problem.
    The name is `name`, else YAML's `deployment:`, else the file name's stem. A spec that
    names user-data files is refused: a service reads no file of its own host for a user."""
    chosen = fmt or guess_format(text, file_name)
    source = file_name or None
    try:
        if chosen == PIPE:
            spec = parse_pipe(text, name=name, source=source)
        else:
            spec = parse_yaml(text, name=name, source=source)
    except ValueError:  # no name from anywhere
        where = "`deployment:` in the YAML" if chosen == YAML else "a file name"
        raise SpecErrors(
            [SpecError(message=f"the deployment has no name: give one (or {where})", key="name")]
        ) from None
    files = [server for server in spec.servers if server.user_data]
    if files:
        raise SpecErrors(
            SpecError(
                message=f"server {s.name}: user data names a file ({s.user_data}); the portal"
                " reads no file of its host",
                file=source,
                line=s.line,
                key="user_data",
                allowed="apply this spec with `powerbridge deploy apply`",
            )
            for s in files
        )
    return spec


def _spec_of(job: Job) -> DeploymentSpec:
    kept = job.spec
    text = kept.get("text")
    if not isinstance(text, str):
        raise DeployError(f"job {job.id} holds no deployment spec; submit it with submit_apply")
    fmt = kept.get("format")
    return parse_spec_text(
        text,
        name=job.target,
        file_name=job.source,
        fmt=fmt if isinstance(fmt, str) else None,
    )


def submit_apply(
    store: JobStore,
    text: str,
    spec: DeploymentSpec,
    *,
    fmt: str,
    resume: bool = False,
    kept: Mapping[str, Any] | None = None,
    **who: str | None,
) -> Job:
    """Queue the apply of `spec` (parsed from `text`); with `resume`, queue its stopped apply
    again (interrupted, failed or cancelled) instead. Refused (DeployError) while an apply of
    the deployment runs or waits, and, without `resume`, while one stopped midway: the same
    rules as `deploy apply`. `who`: owner, project, cloud. `kept`: more for the job's spec
    (a portal's sealed credential to run it with; a resume's replaces the stopped job's).
    Plan it first."""
    latest = store.latest(spec.name, kind=DEPLOYMENT, action=APPLY)
    if latest is not None:
        stopped = _stopped(latest)
        if latest.status is JobStatus.QUEUED or holder_alive(latest):
            what = "waits for a worker" if latest.status is JobStatus.QUEUED else "runs"
            raise DeployError(
                f"deployment {spec.name} is being applied: job {latest.id} {what}"
                f" ({latest.holder}); wait for it to end"
            )
        if stopped and resume:
            # no event here: a job no one holds takes none (the worker's claim is its record)
            if kept is None:
                return store.requeue(latest.id)
            return store.requeue(latest.id, spec={**latest.spec, **kept})
        if stopped:
            raise DeployError(
                f"an earlier apply of deployment {spec.name} (job {latest.id}) stopped"
                f" ({latest.status.value}); resume it to continue (nothing new was started)"
            )
    job_spec = {"text": text, "format": fmt, **(kept or {})}
    return store.enqueue(
        DEPLOYMENT, spec.name, action=APPLY, spec=job_spec, source=spec.source, **who
    )


def stopped_apply(store: JobStore, name: str) -> Job | None:
    """The deployment's latest apply when it stopped midway and a resume would continue it."""
    latest = store.latest(name, kind=DEPLOYMENT, action=APPLY)
    return latest if latest is not None and _stopped(latest) else None


def _stopped(job: Job) -> bool:
    """An apply that ended midway and may be resumed: interrupted, failed, cancelled by a
    user (not ended by a destroy), or running with its runner gone."""
    if job.status is JobStatus.RUNNING:
        return not holder_alive(job)
    return cancelled_midway(job) or job.status in (JobStatus.INTERRUPTED, JobStatus.FAILED)


def deployment_runner(connect: CloudFactory, options: ApplyOptions | None = None) -> Runner:
    """The jobs.Worker runner of deployment applies."""
    chosen = options or ApplyOptions()

    async def run_apply(run: Run) -> JobStatus:
        spec = _spec_of(run.job)
        cancel = asyncio.Event()
        run_options = replace(chosen, finish_job=False, cancel=cancel)
        async with connect() as cloud:
            prepared = await prepare(cloud, spec)
            refuse_cluster_name(prepared.view, spec.name, run.store)
            plan = prepared.plan
            if not plan.ok:
                blocks = "; ".join(block.message for block in plan.blocks)
                raise DeployError(f"the plan for {spec.name} is blocked: {blocks}")
            watch = asyncio.create_task(_relay(run, cancel))
            try:
                report = await apply_plan(
                    cloud, plan, prepared.view, run.store, run.job, run_options
                )
            except DeployError:
                if cancel.is_set():  # apply recorded the cancel and what it made
                    return JobStatus.CANCELLED
                raise
            finally:
                watch.cancel()
        run.summary.update(_summary(report.to_dict()))
        return report.status

    return run_apply


async def _relay(run: Run, cancel: asyncio.Event) -> None:
    """A cancel the worker was told of (`Run.cancel_asked`) reaches the apply."""
    await run.cancel_asked.wait()
    cancel.set()


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, list[str]] = {}
    for item in report["resources"]:
        if item["changed"] and item["status"] not in ("pending", "NOT STARTED"):
            created.setdefault(item["kind"], []).append(item["name"])
    counts: dict[str, int] = {}
    for item in report["resources"]:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    return {
        "status": report["status"],
        "seconds": report["seconds"],
        "counts": counts,
        "calls": report["calls"],
        "created": created,
        "report": report,
    }
