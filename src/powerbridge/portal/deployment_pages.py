"""The deployment pages: the list with the upload form (a text area or a file), the plan
(htmx, in place), apply (opens the job's page, which follows each VM live), a deployment's
page with its resources and the report to download, and a Resume button (operators only)
for an apply that stopped midway (its own spec sent again with `resume`, as
`POST /api/v1/deployments?resume=true` does); and the job page's Cancel button.

Every form carries the CSRF token; a spec's problems are shown beside the text area, each
with its line, column and key, as `deploy plan` prints them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from powerbridge.portal.api.job_cancel import cancel_job
from powerbridge.portal.auth import Principal, check_csrf, optional_principal, refuse_viewer
from powerbridge.portal.deployments import (
    SpecInput,
    deployment_report,
    deployment_rows,
    latest_apply,
    plan_input,
    project_deployment,
    resume_input,
    stopped_apply,
    submit_input,
)
from powerbridge.portal.errors import PortalError, portal_error
from powerbridge.portal.rendering import page, to
from powerbridge.portal.state import PortalState, portal_state
from powerbridge.portal.views import job_summary

__all__ = ["deployment_page_routes"]

State = Annotated[PortalState, Depends(portal_state)]
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]
MAX_UPLOAD_BYTES = 1_000_000


async def form_input(request: Request) -> SpecInput:
    """The spec from the form: the uploaded file when one was chosen, else the text area."""
    form = await request.form()
    text = form.get("spec")
    file_name = None
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise PortalError(413, f"the file is over {MAX_UPLOAD_BYTES} bytes")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as problem:
            raise PortalError(
                422, f"{upload.filename}: byte {problem.start} is not UTF-8 text"
            ) from None
        file_name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
    name, fmt = form.get("name"), form.get("format")
    return SpecInput(
        text if isinstance(text, str) else "",
        name if isinstance(name, str) and name.strip() else None,
        file_name,
        fmt if isinstance(fmt, str) and fmt in ("pipe", "yaml") else None,
    )


def _fragment(request: Request, user: Principal, problem: Exception) -> Response:
    """The error beside the spec; htmx swaps only a 2xx answer, so it gets one."""
    answer = portal_error(problem)
    status = 200 if request.headers.get("hx-request") else answer.status
    return page(request, "deploy_plan.html", status, user=user, error=answer)


def deployment_page_routes(router: APIRouter) -> None:
    @router.get("/deployments")
    def deployments_page(request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        rows = deployment_rows(state, user)
        return page(request, "deployments.html", user=user, deployments=rows)

    @router.post("/deployments/plan")
    async def plan(request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        try:
            await check_csrf(request, user)
            planned = await plan_input(state, user, await form_input(request))
        except Exception as problem:  # shown beside the spec, never as a trace
            return _fragment(request, user, problem)
        return page(request, "deploy_plan.html", user=user, plan=planned, rows=planned.rows())

    @router.post("/deployments/apply")
    async def apply(request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        try:
            await check_csrf(request, user)
            refuse_viewer(user)
            form = await request.form()
            resume = form.get("resume") == "yes"
            job, planned = await submit_input(state, user, await form_input(request), resume=resume)
        except Exception as problem:
            return _fragment(request, user, problem)
        if job is None:
            return page(request, "deploy_plan.html", user=user, plan=planned, rows=[], done=True)
        target = f"/jobs/{job.id}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return to(target)

    _show_routes(router)


def _show_routes(router: APIRouter) -> None:
    @router.get("/deployments/{name}")
    def deployment_page(name: str, request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        jobs = project_deployment(state, name, user)
        latest = latest_apply(jobs)
        report: dict[str, Any] | None = None
        if latest is not None:
            report = deployment_report(state, latest)
        return page(
            request,
            "deployment.html",
            user=user,
            deployment=name,
            jobs=[job_summary(job) for job in jobs],
            report=report,
            resumable=stopped_apply(state.store, name),
        )

    @router.post("/deployments/{name}/resume")
    async def resume(name: str, request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        await check_csrf(request, user)
        refuse_viewer(user)
        project_deployment(state, name, user)  # 404 unless the project's (on its cloud)
        job, _ = await submit_input(state, user, resume_input(state, name), resume=True)
        if job is None:  # a resume always queues the stopped apply; kept for the types
            raise PortalError(409, f"deployment {name} has nothing to resume")
        return to(f"/jobs/{job.id}")

    @router.post("/jobs/{job_id}/cancel")
    async def cancel(job_id: int, request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        await check_csrf(request, user)
        refuse_viewer(user)
        cancel_job(state, user, job_id)
        return to(f"/jobs/{job_id}")
