"""The deploy commands' work, apart from how they print: plan, apply, destroy, history.

```python
async with Cloud.connect("powervc") as cloud:
    prepared = await prepare(cloud, load_spec("cluster.pipe"))
    job = start_job(store, prepared.plan, resume=False, source="cluster.pipe")
    report = await apply_plan(cloud, prepared.plan, prepared.view, store, job, options)
```

`start_job` is where an interrupted apply is noticed: the deployment's latest apply job still
running in a live process refuses a second one; one whose process is gone (killed) or that
stopped on Ctrl-C is interrupted, and only `--resume` continues it. `ApplyRun` is that
bookkeeping for one `deploy apply`: the job it started, and the command that resumes it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from powerbridge.client import Cloud
from powerbridge.deploy.apply import ProgressEvent, still_building
from powerbridge.deploy.cloudview import CloudView
from powerbridge.deploy.errors import DeployError
from powerbridge.deploy.live import fetch_view
from powerbridge.deploy.model import CLUSTER_TAG, DEPLOYMENT_TAG, DeploymentSpec
from powerbridge.deploy.plan_model import ChangeMode, Kind, Plan
from powerbridge.deploy.planner import build_plan
from powerbridge.deploy.report import Report, ResourceResult
from powerbridge.deploy.teardown import delete_servers, delete_volumes
from powerbridge.jobs import ItemState, Job, JobStatus, JobStore, LeaseLost, holder_alive

__all__ = [
    "ApplyRun",
    "DestroyPlan",
    "Prepared",
    "cancelled_midway",
    "close_interrupted_apply",
    "destroy",
    "ensure_not_applying",
    "nothing_to_do",
    "plan_destroy",
    "prepare",
    "refuse_cluster_name",
    "start_job",
]

DEPLOYMENT = "deployment"  # the job store's kind of job
APPLY = "apply"
DESTROY = "destroy"
CLUSTER = "cluster"  # the job store's kind of an HA cluster's jobs


@dataclass(frozen=True)
class Prepared:
    view: CloudView
    plan: Plan


async def prepare(cloud: Cloud, spec: DeploymentSpec) -> Prepared:
    """Read the cloud once and plan `spec` against it."""
    view = await fetch_view(cloud)
    return Prepared(view, build_plan(spec, view))


def nothing_to_do(store: JobStore, prepared: Prepared, *, replace_changed: bool = False) -> bool:
    """The deployment is complete: nothing to create, resize (or, with `replace_changed`,
    replace), nothing still building, no apply left unfinished. Re-applying a finished spec
    then changes nothing and records no job."""
    plan, view = prepared.plan, prepared.view
    modes = [ChangeMode.RESIZE, ChangeMode.CONFIRM_RESIZE]
    if replace_changed:
        modes.append(ChangeMode.REPLACE)
    if plan.creates or plan.changes_of(*modes) or any(still_building(plan, view)):
        return False
    latest = store.latest(plan.deployment, kind=DEPLOYMENT, action=APPLY)
    return latest is None or (latest.status.finished and not cancelled_midway(latest))


def cancelled_midway(job: Job) -> bool:
    """A job a user cancelled after it started: resumable as an interrupted one is (what it
    made is recorded). One a destroy ended (`ended_by`) is not to be resumed."""
    started = job.started_at is not None
    return job.status is JobStatus.CANCELLED and started and "ended_by" not in job.summary


def start_job(store: JobStore, plan: Plan, *, resume: bool, source: str | None) -> Job:
    """The job this apply runs as: a new one, or (`resume`) the interrupted one it continues."""
    latest = store.latest(plan.deployment, kind=DEPLOYMENT, action=APPLY)
    unfinished = latest is not None and (not latest.status.finished or cancelled_midway(latest))
    if latest is not None and unfinished:
        if latest.status is JobStatus.RUNNING and holder_alive(latest):
            raise DeployError(
                f"deployment {plan.deployment} is being applied by job {latest.id}"
                f" ({latest.holder}); wait for it to end"
            )
        if not resume:
            how = "cancelled" if latest.status is JobStatus.CANCELLED else "interrupted"
            raise DeployError(
                f"an earlier apply of deployment {plan.deployment} (job {latest.id}) was"
                f" {how}; run the same command with --resume to continue it"
            )
        job = store.attach(latest.id)
        store.event(job.id, "resumed")
        return job
    summary = {"plan": plan.to_dict()["summary"]}
    return store.create_job(
        DEPLOYMENT, plan.deployment, action=APPLY, source=source, summary=summary
    )


@dataclass
class ApplyRun:
    """One `deploy apply` of `spec_file`: the job it runs as, once started, and how to resume.

    `name` and `store_url` are the deployment name and job store the command was given, if any;
    a run that stops midway is resumed with the same ones (`resume_command`).
    """

    store: JobStore
    spec_file: str
    name: str | None = None
    store_url: str | None = None
    resume: bool = False
    replace_changed: bool = False
    job: Job | None = field(default=None, init=False)

    def start(self, plan: Plan) -> Job:
        """The job this run applies `plan` as (`start_job`), kept for `job`."""
        self.job = start_job(self.store, plan, resume=self.resume, source=self.spec_file)
        return self.job

    def resume_command(self) -> list[str]:
        """The command line that continues this run: the same spec, name and store."""
        again = ["powerbridge", "deploy", "apply", self.spec_file, "--resume", "--yes"]
        if self.replace_changed:
            again.append("--replace-changed")
        if self.name is not None:
            again += ["--name", self.name]
        # a store taken from POWERBRIDGE_STORE is found there again: no need to spell it out
        if self.store_url is not None and self.store_url != os.environ.get("POWERBRIDGE_STORE"):
            again += ["--store", self.store_url]
        return again


# -- destroy ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DestroyPlan:
    """What `deploy destroy` deletes: the deployment's servers and volumes (by tag), and the
    collocation rules its jobs created; shared volumes attached to other servers are kept."""

    deployment: str
    servers: Mapping[str, str]  # id -> name
    volumes: Mapping[str, str]
    kept_volumes: Mapping[str, tuple[str, tuple[str, ...]]]  # id -> (name, other servers)
    rules: Mapping[str, str]
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.servers or self.volumes or self.rules)

    def rows(self) -> list[tuple[str, str, str]]:
        rows = [("delete", "server", name) for name in self.servers.values()]
        rows += [("delete", "volume", name) for name in self.volumes.values()]
        rows += [("delete", "collocation rule", name) for name in self.rules.values()]
        rows += [
            ("keep", "volume", f"{name} (still attached to {', '.join(others)})")
            for name, others in self.kept_volumes.values()
        ]
        return rows


def ensure_not_applying(store: JobStore, deployment: str) -> None:
    """Raise DeployError while a live process is applying `deployment`."""
    applying = store.latest(deployment, kind=DEPLOYMENT, action=APPLY)
    if applying is not None and applying.status is JobStatus.RUNNING and holder_alive(applying):
        raise DeployError(
            f"deployment {deployment} is being applied by job {applying.id}"
            f" ({applying.holder}); nothing was deleted: wait for"
            " it to end, or interrupt it (Ctrl-C), then destroy"
        )


def close_interrupted_apply(store: JobStore, deployment: str, by: str) -> Job | None:
    """End the deployment's interrupted apply (killed or Ctrl-C'd) as cancelled, `by` naming
    what ended it: a destroy means its resume is no longer wanted, so the next apply starts a
    fresh job instead of being told to `--resume` what was deleted. None when there was none."""
    latest = store.latest(deployment, kind=DEPLOYMENT, action=APPLY)
    if latest is None or (latest.status.finished and not cancelled_midway(latest)):
        return None
    try:
        job = store.attach(latest.id)  # refused while a live worker holds it
    except LeaseLost:
        raise DeployError(
            f"deployment {deployment} is being applied by job {latest.id}"
            f" ({latest.holder}); wait for it to end, then destroy"
        ) from None
    store.event(job.id, f"ended by {by}: not to be resumed")
    store.finish(job.id, JobStatus.CANCELLED, {**job.summary, "ended_by": by})
    return store.job(job.id)


async def plan_destroy(cloud: Cloud, deployment: str, store: JobStore) -> DestroyPlan:
    view = await fetch_view(cloud)
    refuse_cluster_name(view, deployment, store)
    return destroy_plan(view, deployment, store)


def refuse_cluster_name(view: CloudView, name: str, store: JobStore) -> None:
    """Raise DeployError when `name` is an HA cluster's: its nodes and disks are `ha`'s to
    change, and a deployment of that name would be confused with it."""
    tagged = [s.name for s in view.servers if s.metadata.get(CLUSTER_TAG) == name]
    tagged += [v.name for v in view.volumes if v.metadata.get(CLUSTER_TAG) == name]
    if tagged or store.latest(name, kind=CLUSTER) is not None:
        where = f" (PowerVC has {tagged[0]} tagged {CLUSTER_TAG}={name})" if tagged else ""
        raise DeployError(
            f"'{name}' is an HA cluster{where}, not a deployment: nothing was changed;"
            f" use `powerbridge ha delete {name}` to remove it"
        )


def destroy_plan(view: CloudView, deployment: str, store: JobStore) -> DestroyPlan:
    def ours(metadata: Mapping[str, str]) -> bool:
        return metadata.get(DEPLOYMENT_TAG) == deployment

    servers = {s.id: s.name for s in view.servers if ours(s.metadata)}
    volumes: dict[str, str] = {}
    kept: dict[str, tuple[str, tuple[str, ...]]] = {}
    names = {s.id: s.name for s in view.servers}
    for volume in view.volumes:
        if not ours(volume.metadata):
            continue
        others = [names.get(sid, sid) for sid in volume.attachments if sid not in servers]
        if others:
            kept[volume.id] = (volume.name, tuple(sorted(others)))
        else:
            volumes[volume.id] = volume.name
    existing_rules = {r.id: r for r in view.collocation_rules}
    rules = {}
    for item in store.created_by(deployment, kind=DEPLOYMENT):
        if item.kind != Kind.COLLOCATION_RULE.value or not item.resource_id:
            continue
        rule = existing_rules.get(item.resource_id)
        if rule is not None and all(member in servers for member in rule.members):
            rules[rule.id] = rule.name
    return DestroyPlan(deployment, servers, volumes, kept, rules)


async def destroy(
    cloud: Cloud,
    plan: DestroyPlan,
    store: JobStore,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> Report:
    """Delete what `plan` lists, servers first; recorded as a destroy job. Refused while an
    apply of the deployment is running (it would go on creating what this deletes)."""
    ensure_not_applying(store, plan.deployment)
    closed = close_interrupted_apply(store, plan.deployment, "deploy destroy")
    job = store.create_job(DEPLOYMENT, plan.deployment, action=DESTROY)
    report = Report(plan.deployment, job.id, JobStatus.RUNNING)
    if closed is not None:
        store.event(job.id, f"ended the interrupted apply job {closed.id}")
        report.notes.append(f"ended the interrupted apply job {closed.id}: not to be resumed")
    started = time.monotonic()

    def deleted(kind: str) -> Callable[[str, str], None]:
        def mark(resource_id: str, name: str) -> None:
            store.put_item(job.id, kind, name, ItemState.DELETED, resource_id=resource_id)
            store.event(job.id, f"{name}: deleted", kind=kind, name=name)
            report.resources.append(ResourceResult(kind, name, "deleted", resource_id, True))
            if progress is not None:
                progress(ProgressEvent(kind, name, "deleted", 0.0, "deleted"))

        return mark

    try:
        for server_id, name in plan.servers.items():
            store.put_item(job.id, "server", name, ItemState.DELETING, resource_id=server_id)
        await delete_servers(cloud, plan.servers, deleted("server"))
        await delete_volumes(cloud, plan.volumes, deleted("volume"))
        for rule_id, name in plan.rules.items():
            await cloud.session.request("compute", "DELETE", f"/os-server-groups/{rule_id}")
            deleted("collocation_rule")(rule_id, name)
    except BaseException:
        store.finish(job.id, JobStatus.INTERRUPTED)
        raise
    for volume_id, (name, others) in plan.kept_volumes.items():
        store.put_item(job.id, "volume", name, ItemState.KEPT, resource_id=volume_id)
        report.resources.append(ResourceResult("volume", name, "kept", volume_id, False))
        report.notes.append(f"kept volume {name}: still attached to {', '.join(others)}")
    expected = len(plan.servers) + len(plan.volumes) + len(plan.rules)
    done = sum(1 for item in report.resources if item.status == "deleted")
    report.status = JobStatus.SUCCEEDED if done == expected else JobStatus.PARTIAL
    for item in _undeleted(plan, report):
        report.resources.append(item)
    report.seconds = time.monotonic() - started
    store.finish(job.id, report.status, {"deleted": done, "kept": len(plan.kept_volumes)})
    return report


def _undeleted(plan: DestroyPlan, report: Report) -> list[ResourceResult]:
    gone = {item.id for item in report.resources}
    missing = []
    for kind, items in (("server", plan.servers), ("volume", plan.volumes)):
        for resource_id, name in items.items():
            if resource_id not in gone:
                fault = "not deleted within the timeout"
                missing.append(ResourceResult(kind, name, "FAILED", resource_id, fault=fault))
    return missing


# -- history ------------------------------------------------------------------------------------
def shown_status(job: Job) -> str:
    """The job's status as people should read it: a "running" job whose process is gone
    (killed) is interrupted, to be resumed."""
    if job.status is JobStatus.RUNNING and not holder_alive(job):
        gone = f"process {job.pid} gone" if job.attached else f"{job.holder}'s lease expired"
        return f"{JobStatus.INTERRUPTED.value} ({gone})"
    return job.status.value


def deployments(store: JobStore) -> list[dict[str, Any]]:
    """One row per deployment the store knows: its latest job and what it holds."""
    rows = []
    for name in store.targets(DEPLOYMENT):
        latest = store.latest(name, kind=DEPLOYMENT)
        if latest is None:
            continue
        items = store.items(latest.id)
        servers = [i for i in items if i.kind == "server"]
        rows.append(
            {
                "deployment": name,
                "last_job": latest.id,
                "kind": latest.action,
                "status": shown_status(latest),
                "servers": len(servers),
                "failed": sum(1 for i in servers if i.state is ItemState.FAILED),
                "updated": latest.updated_at.isoformat(timespec="seconds"),
            }
        )
    return rows


def deployment_detail(store: JobStore, name: str) -> dict[str, Any]:
    jobs = store.jobs(name, kind=DEPLOYMENT)
    if not jobs:
        known = ", ".join(store.targets(DEPLOYMENT)) or "none yet"
        raise DeployError(f"no deployment named {name} in the job store (known: {known})")
    latest_apply = next((job for job in jobs if job.action == APPLY), jobs[0])
    return {
        "deployment": name,
        "jobs": [
            {
                "id": job.id,
                "kind": job.action,
                "status": shown_status(job),
                "started": job.created_at.isoformat(timespec="seconds"),
                "updated": job.updated_at.isoformat(timespec="seconds"),
                "source": job.source,
            }
            for job in jobs
        ],
        "items": [
            {
                "kind": item.kind,
                "name": item.name,
                "state": item.state.value,
                "id": item.resource_id,
                "created_here": item.created_here,
                "host": item.details.get("host"),
                "addresses": item.details.get("addresses", []),
                "fault": item.fault,
                "request_id": item.request_id,
            }
            for item in store.items(latest_apply.id)
        ],
    }
