"""`/api/v1/jobs`: the project's jobs, one job with its steps and items, its events (SSE)."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from powerbridge.jobs import Job
from powerbridge.portal.auth import Principal, Viewer
from powerbridge.portal.errors import PortalError
from powerbridge.portal.events import job_events
from powerbridge.portal.state import PortalState, portal_state
from powerbridge.portal.views import job_detail, job_summary, visible

__all__ = ["project_job", "router"]

router = APIRouter(tags=["jobs"])
State = Annotated[PortalState, Depends(portal_state)]


MAX_JOB_ID = 2**63  # a signed 64-bit integer: PostgreSQL's BIGINT, SQLite's INTEGER


def project_job(state: PortalState, job_id: int, who: Principal) -> Job:
    """The job, when the user's project may see it; else 404 (its existence is not told)."""
    job = None
    if 0 < job_id < MAX_JOB_ID:  # beyond, no database's integer: no such job, not a 500
        with contextlib.suppress(KeyError):
            job = state.store.job(job_id)
    if job is None or not visible(job, who):
        raise PortalError(404, f"no job {job_id}", hint="GET /api/v1/jobs lists your project's")
    return job


@router.get("/jobs", summary="The project's jobs, newest first")
def list_jobs(
    who: Viewer,
    state: State,
    kind: str | None = None,
    target: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    # the store selects by kind and target, not project: read more, keep the project's
    found = state.store.jobs(target, kind=kind, limit=limit * 4)
    shown = [job_summary(job) for job in found if visible(job, who)][:limit]
    return {"jobs": shown}


@router.get("/jobs/{job_id}", summary="One job with its steps, their commands and items")
def show_job(job_id: int, who: Viewer, state: State) -> dict[str, Any]:
    return {"job": job_detail(state.store, project_job(state, job_id, who))}


@router.get(
    "/jobs/{job_id}/events",
    summary="The job's events as server-sent events: every one so far, then each new one",
    response_class=StreamingResponse,
)
def job_event_stream(
    job_id: int,
    request: Request,
    who: Viewer,
    state: State,
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    project_job(state, job_id, who)
    if last_event_id and last_event_id.isdigit():  # a reconnecting EventSource
        after = max(after, int(last_event_id))
    wait = state.settings.sse_wait_seconds
    stream = job_events(request, state.store, job_id, after, wait, state.event_hub)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
