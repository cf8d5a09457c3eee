"""`/api/v1/clusters/{name}`: one cluster read fresh, its topology, its day-two actions.

The actions answer 202 with the job (`Location: /api/v1/jobs/{id}`) as soon as it exists;
they run on in the portal (actions.py) and their events stream like a create's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from powerbridge.ha.operations import ADD_DISK, DELETE, FAILOVER, START, STOP, OperationOptions
from powerbridge.portal.auth import Operator, Principal, Viewer
from powerbridge.portal.cluster_reads import check_visible
from powerbridge.portal.state import PortalState, portal_state
from powerbridge.portal.topology_svg import topology_svg
from powerbridge.portal.views import job_summary

__all__ = ["router", "start_action"]

router = APIRouter(prefix="/clusters", tags=["clusters"])
State = Annotated[PortalState, Depends(portal_state)]


class FailoverBody(BaseModel):
    to: str | None = Field(None, description="the node to move the group to (default: next up)")


class DiskBody(BaseModel):
    size_gb: int = Field(ge=1, le=65536, description="the new shared disk's size in GB")
    storage_template: str | None = Field(None, description="default: the spec's shared one")


class DeleteBody(BaseModel):
    delete_data: bool = Field(False, description="delete the shared data volumes too")


async def start_action(
    state: PortalState, who: Principal, name: str, action: str, options: OperationOptions
) -> JSONResponse:
    check_visible(state.store, name, who)
    job = await state.actions.start(state, who, name, action, options)
    location = f"/api/v1/jobs/{job.id}"
    return JSONResponse({"job": job_summary(job)}, status_code=202, headers={"Location": location})


@router.get("/{name}", summary="One cluster now: state, status, nodes, group, disks, events")
async def show_cluster(name: str, who: Viewer, state: State) -> dict[str, Any]:
    view = await state.cluster_reads.view(state, who, name)
    return {"cluster": view.to_dict()}


@router.get(
    "/{name}/topology.svg",
    summary="The cluster's topology as an SVG picture",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
async def cluster_topology(name: str, who: Viewer, state: State) -> Response:
    view = await state.cluster_reads.view(state, who, name)
    return Response(topology_svg(view), media_type="image/svg+xml")


@router.post("/{name}/failover", status_code=202, summary="Move the resource group (a job)")
async def failover_cluster(
    name: str, who: Operator, state: State, body: Annotated[FailoverBody | None, Body()] = None
) -> JSONResponse:
    options = OperationOptions(to_node=body.to if body else None)
    return await start_action(state, who, name, FAILOVER, options)


@router.post("/{name}/stop", status_code=202, summary="Stop cluster services (a job)")
async def stop_services(name: str, who: Operator, state: State) -> JSONResponse:
    return await start_action(state, who, name, STOP, OperationOptions())


@router.post("/{name}/start", status_code=202, summary="Start cluster services (a job)")
async def start_services(name: str, who: Operator, state: State) -> JSONResponse:
    return await start_action(state, who, name, START, OperationOptions())


@router.post("/{name}/disks", status_code=202, summary="Add a shared disk (a job)")
async def add_shared_disk(name: str, who: Operator, state: State, body: DiskBody) -> JSONResponse:
    options = OperationOptions(size_gb=body.size_gb, storage_template=body.storage_template)
    return await start_action(state, who, name, ADD_DISK, options)


@router.delete("/{name}", status_code=202, summary="Delete the cluster (a job)")
async def delete(
    name: str, who: Operator, state: State, body: Annotated[DeleteBody | None, Body()] = None
) -> JSONResponse:
    options = OperationOptions(delete_data=body.delete_data if body else False)
    return await start_action(state, who, name, DELETE, options)
