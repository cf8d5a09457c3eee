"""The cluster page (state read fresh, the topology picture, the actions) and the inventory.

The actions are plain forms carrying the CSRF token; each starts the job as the API does
(actions.py) and opens the job's page, which follows it live. Delete asks for the cluster's
name typed again: the confirmation is checked on the server, so it holds without scripts.
A create that stopped or failed gets a Resume button (operators only): its own spec sent
again with `resume`, as `POST /api/v1/clusters?resume=true` does (clusters.py).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from powerbridge.deploy import SpecErrors
from powerbridge.ha.journal import CLUSTER, CREATE
from powerbridge.ha.operations import ADD_DISK, DELETE, FAILOVER, START, STOP, OperationOptions
from powerbridge.ha.spec import parse_cluster_spec
from powerbridge.portal.api.cluster_actions import start_action
from powerbridge.portal.api.inventory import read_inventory
from powerbridge.portal.auth import Principal, check_csrf, optional_principal, refuse_viewer
from powerbridge.portal.cluster_live import live_context
from powerbridge.portal.cluster_reads import check_visible
from powerbridge.portal.clusters import resumable_create, resume_create
from powerbridge.portal.errors import PortalError, portal_error
from powerbridge.portal.rendering import page, to
from powerbridge.portal.state import PortalState, portal_state
from powerbridge.portal.views import job_summary, visible

__all__ = ["cluster_page_routes"]

State = Annotated[PortalState, Depends(portal_state)]
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]
PAGE_ACTIONS = {"failover": FAILOVER, "stop": STOP, "start": START, "disks": ADD_DISK}
INVENTORY = ("hosts", "images", "templates", "storage-templates")


def cluster_jobs(state: PortalState, name: str, who: Principal) -> list[dict[str, Any]]:
    jobs = state.store.jobs(name, kind=CLUSTER, limit=10)
    return [job_summary(job) for job in jobs if visible(job, who)]


def network_of(state: PortalState, name: str) -> str | None:
    create = state.store.latest(name, kind=CLUSTER, action=CREATE)
    if create is None:
        return None
    text = create.spec.get("text")
    return _network(text, create.source) if isinstance(text, str) else None


@functools.lru_cache(maxsize=256)
def _network(text: str, source: str | None) -> str | None:
    """The network of a spec a create job kept: parsed once, not on every page (4 ms)."""
    try:
        return parse_cluster_spec(text, source=source).network
    except SpecErrors:
        return None  # a spec this version no longer reads: no network named in the picture


def _options(action: str, form: dict[str, str], name: str) -> OperationOptions:
    """The action's options from the form's fields; a bad field a one-line 422."""
    if action == FAILOVER:
        return OperationOptions(to_node=form.get("to") or None)
    if action == ADD_DISK:
        size = form.get("size_gb", "").strip()
        if not size.isdigit() or int(size) < 1:
            raise PortalError(422, f"size_gb: a whole number of GB, 1 or more, not {size!r}")
        template = form.get("storage_template", "").strip() or None
        return OperationOptions(size_gb=int(size), storage_template=template)
    if action == DELETE:
        if form.get("confirm", "").strip() != name:
            raise PortalError(
                422,
                f"delete: type the cluster's name ({name}) to confirm; nothing was deleted",
                hint="the name goes in the confirmation field",
            )
        return OperationOptions(delete_data=form.get("delete_data") == "yes")
    return OperationOptions()


def cluster_page_routes(router: APIRouter) -> None:
    @router.get("/clusters/{name}")
    async def cluster_page(name: str, request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        live = await live_context(state, user, name)  # cluster_live.py: refreshed in place
        return page(
            request,
            "cluster.html",
            jobs=cluster_jobs(state, name, user),
            resumable=resumable_create(state, name),
            **live,
        )

    @router.post("/clusters/{name}/resume")
    async def resume(name: str, request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        await check_csrf(request, user)
        refuse_viewer(user)
        check_visible(state.store, name, user)
        job = await resume_create(state, user, name)
        return to(f"/jobs/{job.id}")

    @router.post("/clusters/{name}/actions/{action}")
    async def cluster_action(
        name: str, action: str, request: Request, state: State, user: MaybeUser
    ) -> Response:
        if user is None:
            return to("/signin")
        chosen = PAGE_ACTIONS.get(action) or (DELETE if action == "delete" else None)
        if chosen is None:
            raise PortalError(404, f"no action {action} on a cluster")
        await check_csrf(request, user)
        refuse_viewer(user)
        fields = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        options = _options(chosen, fields, name)
        answer = await start_action(state, user, name, chosen, options)
        return to(answer.headers["location"].removeprefix("/api/v1"))

    @router.get("/inventory")
    async def inventory_page(request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        found = await asyncio.gather(
            *(read_inventory(state, user, what) for what in INVENTORY), return_exceptions=True
        )
        lists: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for what, result in zip(INVENTORY, found, strict=True):
            if isinstance(result, BaseException):  # e.g. a reader may not list hosts
                problems[what] = portal_error(_exception(result)).message
            else:
                lists[what] = result
        return page(request, "inventory.html", user=user, lists=lists, problems=problems)


def _exception(problem: BaseException) -> Exception:
    if isinstance(problem, Exception):
        return problem
    raise problem
