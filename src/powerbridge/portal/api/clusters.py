"""`/api/v1/clusters`: the project's clusters, a spec's plan, a create submitted."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from powerbridge.ha.plan import ClusterPlan
from powerbridge.portal.auth import Operator, PostingViewer, Viewer
from powerbridge.portal.clusters import plan_text, submit_text
from powerbridge.portal.errors import PortalError
from powerbridge.portal.state import PortalState, portal_state
from powerbridge.portal.views import cluster_rows, job_summary

__all__ = ["plan_body", "router"]

router = APIRouter(prefix="/clusters", tags=["clusters"])
State = Annotated[PortalState, Depends(portal_state)]
MAX_SPEC_BYTES = 1_000_000
SPEC_BODY = {
    "requestBody": {
        "required": True,
        "description": "A cluster spec (docs/ha.md), YAML or JSON",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


async def spec_text(request: Request) -> str:
    body = await request.body()
    if len(body) > MAX_SPEC_BYTES:
        raise PortalError(413, f"the spec is over {MAX_SPEC_BYTES} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise PortalError(422, f"the spec is not UTF-8 text (byte {problem.start})") from None
    if not text.strip():
        raise PortalError(422, "the request has no cluster spec", hint="send the spec as the body")
    return text


def plan_body(plan: ClusterPlan) -> dict[str, Any]:
    rows = [
        {"action": r.action, "kind": r.kind, "name": r.name, "details": r.details}
        for r in plan.rows()
    ]
    return {"plan": {**plan.to_dict(), "rows": rows}}


@router.get("", summary="The project's clusters, with their latest job")
def list_clusters(who: Viewer, state: State) -> dict[str, Any]:
    return {"clusters": cluster_rows(state.store, who)}


@router.post("/plan", summary="Plan a cluster spec: what a create makes", openapi_extra=SPEC_BODY)
async def plan_cluster_spec(request: Request, who: PostingViewer, state: State) -> dict[str, Any]:
    return plan_body(await plan_text(state, who, await spec_text(request)))


@router.post(
    "",
    status_code=202,
    summary="Create a cluster: planned, refused if the plan blocks, queued for the worker",
    openapi_extra=SPEC_BODY,
)
async def create_cluster(
    request: Request, who: Operator, state: State, resume: bool = False
) -> JSONResponse:
    job = await submit_text(state, who, await spec_text(request), resume=resume)
    location = f"/api/v1/jobs/{job.id}"
    return JSONResponse({"job": job_summary(job)}, status_code=202, headers={"Location": location})
