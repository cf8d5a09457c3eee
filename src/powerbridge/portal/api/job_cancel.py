"""`POST /api/v1/jobs/{id}/cancel`: stop a job (operators, with the CSRF token).

A queued job is cancelled at once (no worker will start it). A running one is asked to stop
(`JobStore.cancel`): its runner sees the request at its next heartbeat and stops at its next
step boundary (a cluster create or a day-two action before its next step; a deployment
before its next create), then the job ends `cancelled` with what it made in its summary
(`created`). A cancelled job is resumed as an interrupted one is. A running job whose
runner is gone (killed, its lease expired) is ended cancelled by the portal at once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from powerbridge.jobs import Job, JobStatus, LeaseLost, holder_alive
from powerbridge.portal.api.jobs import project_job
from powerbridge.portal.auth import Operator, Principal
from powerbridge.portal.errors import PortalError
from powerbridge.portal.state import PortalState, portal_state
from powerbridge.portal.views import job_summary

__all__ = ["cancel_job", "router"]

router = APIRouter(tags=["jobs"])
State = Annotated[PortalState, Depends(portal_state)]


def cancel_job(state: PortalState, who: Principal, job_id: int) -> Job:
    """Cancel the project's job `job_id` (queued: now; running: at its next step)."""
    job = project_job(state, job_id, who)
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise PortalError(
            409,
            f"job {job_id} has ended ({job.status.value}): nothing to cancel",
            hint="a stopped job is resumed by submitting it again with resume",
        )
    if job.status is JobStatus.RUNNING and not holder_alive(job):
        return _end_abandoned(state, job)
    # the request is the job row's flag: an event would need the runner's lease
    return state.store.cancel(job_id)


def _end_abandoned(state: PortalState, job: Job) -> Job:
    """A running job whose runner is gone (its process killed, its lease expired): no one
    would see the request, so the portal takes the job over and ends it cancelled, saying
    what it had created. It stays resumable."""
    store = state.store
    try:
        store.attach(job.id)
    except LeaseLost:  # a worker took it over meanwhile: ask that one
        return store.cancel(job.id)
    created: dict[str, list[str]] = {}
    for item in store.items(job.id):
        if item.created_here and item.kind not in ("step", "command", "node"):
            created.setdefault(item.kind, []).append(item.name)
    with store.batch():
        store.event(job.id, "cancelled: its runner had stopped (what it made is listed)")
        store.finish(job.id, JobStatus.CANCELLED, {**job.summary, "created": created})
    return store.job(job.id)


@router.post(
    "/jobs/{job_id}/cancel",
    status_code=202,
    summary="Cancel a job: a queued one at once, a running one at its next step boundary",
)
def cancel(job_id: int, who: Operator, state: State) -> JSONResponse:
    job = cancel_job(state, who, job_id)
    done = job.status is JobStatus.CANCELLED
    body: dict[str, Any] = {"job": job_summary(job), "cancel_requested": not done}
    return JSONResponse(body, status_code=200 if done else 202)
