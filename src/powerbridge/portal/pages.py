"""The pages: sign-in, dashboard, a job (live), a new cluster from a spec. Rendered on the
server (Jinja2); htmx swaps the plan and the step list in place, `job.js` follows a job's
events. Every form carries the session's CSRF token (the sign-in form a token of its own,
double-submitted in a cookie)."""

from __future__ import annotations

import hmac
import secrets
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from powerbridge.portal.auth import (
    COOKIE,
    Principal,
    check_csrf,
    optional_principal,
    refuse_viewer,
)
from powerbridge.portal.clouds import Clouds, keystone
from powerbridge.portal.cluster_form import cluster_form_routes
from powerbridge.portal.cluster_live import cluster_live_routes
from powerbridge.portal.cluster_pages import cluster_page_routes
from powerbridge.portal.clusters import plan_text, submit_text
from powerbridge.portal.deployment_pages import deployment_page_routes
from powerbridge.portal.errors import PortalError, error_headers, portal_error
from powerbridge.portal.rendering import page as _page
from powerbridge.portal.rendering import to as _to
from powerbridge.portal.signin import (
    choose_project,
    password_step,
    session_cloud,
    set_cookie,
    sign_out,
)
from powerbridge.portal.state import PortalState, portal_state
from powerbridge.portal.views import cluster_rows, job_detail, job_summary, visible

__all__ = ["page_router"]

SIGNIN_COOKIE = "powerbridge_signin"  # the sign-in form's CSRF token, double-submitted
State = Annotated[PortalState, Depends(portal_state)]
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]


def example_spec() -> str:
    return resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()


def page_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    _signin_routes(router)
    _project_routes(router)
    _main_routes(router)
    _cluster_routes(router)
    cluster_form_routes(router)  # /clusters/new/form, before /clusters/{name}/live
    cluster_live_routes(router)
    cluster_page_routes(router)  # after /clusters/new: {name} would match "new"
    deployment_page_routes(router)
    return router


# -- signing in ---------------------------------------------------------------------------------
def _signin_form(
    request: Request, state: PortalState, status: int = 200, **context: Any
) -> Response:
    token = secrets.token_urlsafe(24)
    context.setdefault("domain", state.settings.default_domain)
    clouds = Clouds.of(state.settings)
    if clouds.several:  # one PowerVC per site: the user picks theirs
        context["clouds"] = clouds.names
        context.setdefault("cloud", clouds.default)
    response = _page(request, "signin.html", status, signin_csrf=token, **context)
    response.set_cookie(
        SIGNIN_COOKIE, token, httponly=True, samesite="strict", secure=state.settings.secure_cookies
    )
    return response


def _signin_routes(router: APIRouter) -> None:
    @router.get("/signin")
    def signin_page(request: Request, state: State) -> Response:
        return _signin_form(request, state)

    @router.post("/signin")
    async def signin(
        request: Request,
        state: State,
        user: Annotated[str, Form()],
        password: Annotated[str, Form()],
        domain: Annotated[str, Form()] = "Default",
        csrf_token: Annotated[str, Form()] = "",
        cloud: Annotated[str, Form()] = "",
    ) -> Response:
        expected = request.cookies.get(SIGNIN_COOKIE, "")
        typed = {"user": user, "domain": domain, **({"cloud": cloud} if cloud else {})}
        if not expected or not hmac.compare_digest(expected, csrf_token):
            message = "the sign-in form expired; please try again"
            return _signin_form(request, state, 403, error=message, **typed)
        try:
            cookie, projects = await password_step(
                state,
                user.strip(),
                password,
                domain.strip() or "Default",
                request.cookies.get(COOKIE),
                request.client.host if request.client else None,
                cloud.strip() or None,
            )
        except PortalError as problem:
            form = _signin_form(request, state, problem.status, error=problem.message, **typed)
            form.headers.update(error_headers(problem))
            return form
        if len(projects) == 1:  # nothing to pick
            session = state.sessions.find(cookie)
            assert session is not None
            cookie = await choose_project(state, session, projects[0].id, cookie)
            response: Response = _to("/")
        else:
            response = _to("/signin/project")
        set_cookie(state, response, cookie)
        response.delete_cookie(SIGNIN_COOKIE)
        return response


def _project_routes(router: APIRouter) -> None:
    @router.get("/signin/project")
    async def project_page(request: Request, state: State) -> Response:
        session = state.sessions.find(request.cookies.get(COOKIE))
        if session is None:
            return _to("/signin")
        async with keystone(state.settings, session_cloud(state, session)) as identity:
            projects = await identity.projects(session.token)
        return _page(request, "project.html", projects=projects, csrf=session.csrf, user=None)

    @router.post("/signin/project")
    async def pick_project(
        request: Request,
        state: State,
        project_id: Annotated[str, Form()],
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        old = request.cookies.get(COOKIE, "")
        session = state.sessions.find(old)
        if session is None:
            return _to("/signin")
        if not hmac.compare_digest(session.csrf, csrf_token):
            raise PortalError(403, "the request lacks this session's CSRF token")
        cookie = await choose_project(state, session, project_id, old)
        response = _to("/")
        set_cookie(state, response, cookie)
        return response

    @router.post("/signout")
    async def signout(request: Request, state: State, user: MaybeUser) -> Response:
        cookie = request.cookies.get(COOKIE)
        if user is not None and cookie:
            await check_csrf(request, user)
            await sign_out(state, cookie)
        response = _to("/signin")
        response.delete_cookie(COOKIE, path="/")
        return response


# -- dashboard and jobs -------------------------------------------------------------------------
def _main_routes(router: APIRouter) -> None:
    @router.get("/")
    def dashboard(request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return _to("/signin")
        jobs = [j for j in state.store.jobs(limit=80) if visible(j, user)][:20]
        return _page(
            request,
            "dashboard.html",
            user=user,
            clusters=cluster_rows(state.store, user),
            jobs=[job_summary(job) for job in jobs],
            several_clouds=user.clouds is not None and user.clouds.several,
        )

    @router.get("/jobs/{job_id}")
    def job_page(job_id: int, request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return _to("/signin")
        job = _job(state, job_id, user)
        events = state.store.events(job_id)
        return _page(request, "job.html", user=user, job=job, events=events)

    @router.get("/jobs/{job_id}/steps")
    def job_steps(job_id: int, request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return _to("/signin")
        return _page(request, "steps.html", job=_job(state, job_id, user))


def _job(state: PortalState, job_id: int, user: Principal) -> dict[str, Any]:
    from powerbridge.portal.api.jobs import project_job

    return job_detail(state.store, project_job(state, job_id, user))


def _error_fragment(request: Request, user: Principal, problem: Exception) -> Response:
    """The error beside the spec; htmx swaps only a 2xx answer, so it gets one."""
    answer = portal_error(problem)
    status = 200 if request.headers.get("hx-request") else answer.status
    return _page(request, "plan.html", status, user=user, error=answer)


# -- new cluster --------------------------------------------------------------------------------
def _cluster_routes(router: APIRouter) -> None:
    @router.get("/clusters/new")
    def new_cluster(request: Request, user: MaybeUser) -> Response:
        if user is None:
            return _to("/signin")
        return _page(request, "new_cluster.html", user=user, spec=example_spec())

    @router.post("/clusters/new/plan")
    async def plan(
        request: Request, state: State, user: MaybeUser, spec: Annotated[str, Form()]
    ) -> Response:
        if user is None:
            return _to("/signin")
        try:
            await check_csrf(request, user)
            planned = await plan_text(state, user, spec)
        except Exception as problem:  # shown beside the spec, never as a trace
            return _error_fragment(request, user, problem)
        return _page(request, "plan.html", user=user, plan=planned, rows=planned.rows())

    @router.post("/clusters/new")
    async def deploy(
        request: Request, state: State, user: MaybeUser, spec: Annotated[str, Form()]
    ) -> Response:
        if user is None:
            return _to("/signin")
        try:
            refuse_viewer(user)
            await check_csrf(request, user)
            job = await submit_text(state, user, spec)
        except Exception as problem:
            return _error_fragment(request, user, problem)
        target = f"/jobs/{job.id}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return _to(target)
