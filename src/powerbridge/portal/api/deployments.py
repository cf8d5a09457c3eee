"""`/api/v1/deployments`: batch deployments: list, plan, apply (a job), show, report."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from powerbridge.portal.auth import Operator, PostingViewer, Viewer
from powerbridge.portal.deployments import (
    SpecInput,
    deployment_report,
    deployment_rows,
    latest_apply,
    plan_body,
    plan_input,
    project_deployment,
    submit_input,
)
from powerbridge.portal.errors import PortalError
from powerbridge.portal.state import PortalState, portal_state
from powerbridge.portal.views import job_summary

__all__ = ["router"]

router = APIRouter(prefix="/deployments", tags=["deployments"])
State = Annotated[PortalState, Depends(portal_state)]
MAX_SPEC_BYTES = 1_000_000
SPEC_BODY = {
    "requestBody": {
        "required": True,
        "description": "A deployment spec (docs/deploy-spec.md): the pipe format or YAML as"
        ' the body, or JSON {"spec": text, "name", "format": "pipe"|"yaml", "file_name"}',
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}
Name = Annotated[str | None, Query(description="the deployment's name (default: the spec's)")]
Format = Annotated[str | None, Query(description="pipe or yaml (default: guessed)")]


async def spec_input(request: Request, name: str | None, fmt: str | None) -> SpecInput:
    body = await request.body()
    if len(body) > MAX_SPEC_BYTES:
        raise PortalError(413, f"the spec is over {MAX_SPEC_BYTES} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise PortalError(422, f"the spec is not UTF-8 text (byte {problem.start})") from None
    if not request.headers.get("content-type", "").startswith("application/json"):
        return SpecInput(text, name, None, fmt)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as problem:
        raise PortalError(422, f"the body is not JSON: {problem}") from None
    if not isinstance(data, dict) or not isinstance(data.get("spec"), str):
        raise PortalError(422, 'the JSON body needs "spec": the spec\'s text')
    fields = {key: data.get(key) for key in ("name", "file_name", "format")}
    for key, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise PortalError(422, f"{key}: a string, not {type(value).__name__}")
    return SpecInput(
        data["spec"], fields["name"] or name, fields["file_name"], fields["format"] or fmt
    )


@router.get("", summary="The project's deployments, with their latest job")
def list_deployments(who: Viewer, state: State) -> dict[str, Any]:
    return {"deployments": deployment_rows(state, who)}


@router.post(
    "/plan", summary="Plan a deployment spec: what an apply makes", openapi_extra=SPEC_BODY
)
async def plan_deployment(
    request: Request,
    who: PostingViewer,
    state: State,
    name: Name = None,
    format: Format = None,
) -> dict[str, Any]:
    return plan_body(await plan_input(state, who, await spec_input(request, name, format)))


@router.post(
    "",
    status_code=202,
    summary="Apply a deployment: planned, refused if the plan blocks, queued for the worker",
    openapi_extra=SPEC_BODY,
)
async def apply_deployment(
    request: Request,
    who: Operator,
    state: State,
    name: Name = None,
    format: Format = None,
    resume: bool = False,
) -> JSONResponse:
    given = await spec_input(request, name, format)
    job, plan = await submit_input(state, who, given, resume=resume)
    if job is None:
        message = f"nothing to do: deployment {plan.deployment} is up to date"
        return JSONResponse({"job": None, "message": message}, status_code=200)
    location = f"/api/v1/jobs/{job.id}"
    return JSONResponse({"job": job_summary(job)}, status_code=202, headers={"Location": location})


@router.get("/{name}", summary="One deployment: its jobs and the resources of its latest apply")
def show_deployment(name: str, who: Viewer, state: State) -> dict[str, Any]:
    jobs = project_deployment(state, name, who)
    latest = latest_apply(jobs)
    report = deployment_report(state, latest) if latest is not None else None
    return {
        "deployment": {
            "name": name,
            "jobs": [job_summary(job) for job in jobs],
            "report": report,
        }
    }


@router.get("/{name}/report", summary="The report of the latest apply (or ?job=N): `--report`")
def report_of_deployment(
    name: str, who: Viewer, state: State, job: Annotated[int | None, Query(ge=1)] = None
) -> JSONResponse:
    jobs = project_deployment(state, name, who)
    chosen = latest_apply(jobs) if job is None else next((j for j in jobs if j.id == job), None)
    if chosen is None or chosen.action != "apply":
        which = f"apply job {job}" if job is not None else "apply"
        raise PortalError(404, f"deployment {name} has no {which}")
    headers = {"Content-Disposition": f'attachment; filename="{name}-report-{chosen.id}.json"'}
    return JSONResponse(deployment_report(state, chosen), headers=headers)
