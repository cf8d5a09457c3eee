"""The REST API under /api/v1 (OpenAPI at /api/docs): jobs, clusters, deployments, inventory."""

from __future__ import annotations

from fastapi import APIRouter

from powerbridge.portal.api import (
    cluster_actions,
    clusters,
    deployments,
    inventory,
    job_cancel,
    jobs,
)

__all__ = ["api_router"]


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    router.include_router(jobs.router)
    router.include_router(clusters.router)
    router.include_router(cluster_actions.router)
    router.include_router(deployments.router)
    router.include_router(job_cancel.router)
    router.include_router(inventory.router)
    return router
