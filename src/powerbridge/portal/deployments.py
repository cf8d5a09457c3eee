"""Batch deployments for a user: a spec read, planned, applied; listed and reported.

What the API and the pages share. A spec (the pipe format or YAML, docs/deploy-spec.md) is
read as `deploy plan` reads a file (every problem located: line, column, key), planned on
PowerVC with the user's token (`deploy.service.prepare`, the CLI's planner), and, for an
apply, refused while the plan blocks, then queued for the portal's worker as the job the
CLI's `deploy apply` records (`deploy.submit`), with an application credential of the user
the worker applies it with (run_as_user.py; a resume gets a new one). The report is the
CLI's `--report` JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from powerbridge.deploy import DeploymentSpec, Plan, SpecErrors
from powerbridge.deploy.errors import DeployError
from powerbridge.deploy.report import Report, ResourceResult
from powerbridge.deploy.service import APPLY, DEPLOYMENT, Prepared, prepare, refuse_cluster_name
from powerbridge.deploy.submit import guess_format, parse_spec_text, stopped_apply, submit_apply
from powerbridge.jobs import Item, ItemState, Job, JobStatus
from powerbridge.portal.auth import Principal
from powerbridge.portal.cloud_names import refuse_another_clouds
from powerbridge.portal.clouds import user_cloud
from powerbridge.portal.errors import PortalError
from powerbridge.portal.job_credentials import retire, retire_replaced
from powerbridge.portal.run_as_user import CREDENTIAL, StoredCredential, issue_credential
from powerbridge.portal.state import PortalState
from powerbridge.portal.views import job_summary, visible

__all__ = [
    "SpecInput",
    "deployment_report",
    "deployment_rows",
    "plan_body",
    "plan_input",
    "project_deployment",
    "read_input",
    "resume_input",
    "stopped_apply",
    "submit_input",
]

SOURCE_PREFIX = "portal:"  # a spec typed in the portal has no file: its source says so
FORMATS = ("pipe", "yaml")


@dataclass(frozen=True)
class SpecInput:
    """What a user sent: the spec's text, and (optional) its name, file name and format."""

    text: str
    name: str | None = None
    file_name: str | None = None
    fmt: str | None = None

    @property
    def chosen_format(self) -> str:
        return self.fmt or guess_format(self.text, self.file_name)


def spec_problems(problem: SpecErrors) -> PortalError:
    """The CLI's message for a bad deployment spec, every problem located (`problems`), and
    each as data (`located`: line, column, key) for the page to show beside the text."""
    count = len(problem.errors)
    lines = [str(error) for error in problem.errors]
    located = [
        {"line": e.line, "column": e.column, "key": e.key, "message": str(e)}
        for e in problem.errors
    ]
    message = f"{count} problem{'s' if count != 1 else ''} in the spec; nothing was created: "
    return PortalError(
        422,
        message + "; ".join(lines),
        hint="docs/deploy-spec.md describes both formats",
        problems=lines,
        located=located,
    )


def read_input(given: SpecInput) -> DeploymentSpec:
    if given.fmt is not None and given.fmt not in FORMATS:
        raise PortalError(422, f"format: pipe or yaml, not {given.fmt!r}")
    if not given.text.strip():
        raise PortalError(422, "the request has no deployment spec", hint="send the spec")
    name = (given.name or "").strip() or None
    try:
        return parse_spec_text(
            given.text, name=name, file_name=given.file_name, fmt=given.chosen_format
        )
    except SpecErrors as problem:
        raise spec_problems(problem) from None


def _deploy_error(problem: DeployError) -> PortalError:
    busy = "is being applied" in str(problem) or "stopped" in str(problem)
    hint = "send resume=true to continue it" if "resume" in str(problem) else None
    return PortalError(409 if busy else 422, str(problem), hint=hint)


async def _prepare(state: PortalState, who: Principal, spec: DeploymentSpec) -> Prepared:
    async with user_cloud(state.settings, who) as cloud:
        prepared = await prepare(cloud, spec)
    try:
        refuse_cluster_name(prepared.view, spec.name, state.store)
    except DeployError as problem:
        raise PortalError(409, str(problem)) from None
    return prepared


async def plan_input(state: PortalState, who: Principal, given: SpecInput) -> Plan:
    return (await _prepare(state, who, read_input(given))).plan


def plan_body(plan: Plan) -> dict[str, Any]:
    rows = [
        {"action": r.action.value, "kind": r.kind.label, "name": r.name, "details": r.details}
        for r in plan.rows()
    ]
    return {"plan": {**plan.to_dict(), "rows": rows}}


def blocked(plan: Plan) -> PortalError:
    """The CLI's message for a blocked plan (`deploy apply`)."""
    count = len(plan.blocks)
    more = f" (and {count - 1} more)" if count > 1 else ""
    return PortalError(
        422,
        f"the plan for {plan.deployment} is blocked: {plan.blocks[0].message}{more};"
        " nothing was created",
        hint="fix the spec or the cloud, then plan again",
        blocks=[block.message for block in plan.blocks],
    )


async def submit_input(
    state: PortalState, who: Principal, given: SpecInput, *, resume: bool = False
) -> tuple[Job | None, Plan]:
    """Plan the spec; refuse a blocked plan; queue the apply (None: nothing to do)."""
    spec = read_input(given)
    prepared = await _prepare(state, who, spec)
    plan = prepared.plan
    if not plan.ok:
        raise blocked(plan)
    refuse_another_clouds(state.store, who, DEPLOYMENT, spec.name)
    from powerbridge.deploy.service import nothing_to_do

    if not resume and nothing_to_do(state.store, prepared):
        return None, plan
    source = given.file_name or f"{SOURCE_PREFIX}{spec.name}"
    before = state.store.latest(spec.name, kind=DEPLOYMENT, action=APPLY)
    entry = await issue_credential(state, who, spec.name, f"the apply of deployment {spec.name}")
    try:
        job = submit_apply(
            state.store,
            given.text,
            dataclasses.replace(spec, source=source),
            fmt=given.chosen_format,
            resume=resume,
            kept={CREDENTIAL: entry},
            owner=who.user_name,
            project=who.project_id,
            cloud=who.cloud,
        )
    except DeployError as problem:  # refused: no job will use the credential
        await _discard(state, who, entry)
        raise _deploy_error(problem) from None
    await retire_replaced(state, before, job, who.token)  # a resume's stopped one goes
    return job, plan


async def _discard(state: PortalState, who: Principal, entry: dict[str, str]) -> None:
    credential = StoredCredential.read(entry)
    if credential is not None:
        await retire(state, None, None, credential, cloud=who.cloud, token=who.token)


def resume_input(state: PortalState, name: str) -> SpecInput:
    """What the resume button sends again with `resume`: the stopped apply's own spec (as
    `POST /api/v1/deployments?resume=true` would send it); 409 when none stopped."""
    stopped = stopped_apply(state.store, name)
    text = stopped.spec.get("text") if stopped is not None else None
    if stopped is None or not isinstance(text, str):
        raise PortalError(
            409,
            f"deployment {name} has no stopped apply to resume",
            hint="the deployment page shows its jobs; a running one is followed there",
        )
    fmt = stopped.spec.get("format")
    source = stopped.source or ""
    file_name = None if source.startswith(SOURCE_PREFIX) else source or None
    return SpecInput(text, name, file_name, fmt if isinstance(fmt, str) else None)


def deployment_rows(state: PortalState, who: Principal) -> list[dict[str, Any]]:
    """Each deployment the project may see, with its latest job and its servers' states."""
    rows = []
    for name in state.store.targets(DEPLOYMENT):
        latest = state.store.latest(name, kind=DEPLOYMENT)
        if latest is None or not visible(latest, who):
            continue
        servers = [i for i in state.store.items(latest.id) if i.kind == "server"]
        rows.append(
            {
                "name": name,
                "latest_job": job_summary(latest),
                "servers": len(servers),
                "failed": sum(1 for i in servers if i.state is ItemState.FAILED),
            }
        )
    return rows


def project_deployment(state: PortalState, name: str, who: Principal) -> list[Job]:
    """The deployment's jobs, newest first, when the project may see it; else 404."""
    jobs = [j for j in state.store.jobs(name, kind=DEPLOYMENT) if visible(j, who)]
    if not jobs:
        raise PortalError(
            404, f"no deployment {name}", hint="GET /api/v1/deployments lists your project's"
        )
    return jobs


def latest_apply(jobs: list[Job]) -> Job | None:
    return next((job for job in jobs if job.action == APPLY), None)


def deployment_report(state: PortalState, job: Job) -> dict[str, Any]:
    """The CLI's `--report` JSON of an apply: kept by the worker when it ended, else (an
    apply still running, or one the CLI ran) read from what the job recorded."""
    kept = job.summary.get("report")
    if isinstance(kept, dict):
        return kept
    resources = [_result(item) for item in state.store.items(job.id)]
    seconds = job.summary.get("seconds")
    report = Report(
        deployment=job.target,
        job_id=job.id,
        status=job.status,
        resources=resources,
        seconds=float(seconds) if isinstance(seconds, int | float) else 0.0,
        calls=dict(job.summary.get("calls") or {}),
    )
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        report.notes.append(f"job {job.id} is {job.status.value}: this is what it did so far")
    return report.to_dict()


ITEM_STATUS = {
    ItemState.PENDING: "NOT STARTED",
    ItemState.CREATING: "creating",
    ItemState.BUILDING: "BUILD",
    ItemState.DONE: "ACTIVE",
    ItemState.FAILED: "ERROR",
    ItemState.UNCHANGED: "unchanged",
    ItemState.DELETED: "deleted",
    ItemState.KEPT: "kept",
    ItemState.DELETING: "deleting",
}


def _result(item: Item) -> ResourceResult:
    details = item.details
    status = ITEM_STATUS[item.state]
    if item.kind != "server" and item.state is ItemState.DONE:
        status = "available"
    return ResourceResult(
        item.kind,
        item.name,
        status,
        item.resource_id,
        item.created_here,
        host=details.get("host"),
        addresses=list(details.get("addresses") or []),
        volumes=list(details.get("volumes") or []),
        fault=item.fault,
        request_id=item.request_id,
    )
