"""The cluster page's live part: state, topology, nodes, group, disks, events, every few
seconds.

The page's `#cluster-live` block asks `GET /clusters/{name}/live` every
`cluster_cache_seconds` (htmx polling, `hx-swap="outerHTML"`: the answer carries the same
trigger, so the polling goes on) and the answer is read as the API reads the cluster
(`ClusterReads`: fresh from PowerVC and the nodes, shared by the browsers asking within
those seconds). A failover done elsewhere (the CLI, the API, another browser) shows
without a reload. The action forms stay outside the block: what a user types is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from powerbridge.ha.journal import CLUSTER, CREATE
from powerbridge.ha.status import job_spec
from powerbridge.portal.auth import Principal, optional_principal
from powerbridge.portal.rendering import page, to
from powerbridge.portal.state import PortalState, portal_state
from powerbridge.portal.topology_svg import topology_svg

if TYPE_CHECKING:
    from powerbridge.ha.cluster_view import ClusterView

__all__ = ["cluster_live_routes", "live_context"]

State = Annotated[PortalState, Depends(portal_state)]
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]
SHORTEST_REFRESH_SECONDS = 2  # polling faster than the reads are kept gains nothing


def _network(state: PortalState, name: str) -> str | None:
    spec = job_spec(state.store.latest(name, kind=CLUSTER, action=CREATE))
    return spec.network if spec is not None else None


def refresh_seconds(state: PortalState) -> int:
    return max(SHORTEST_REFRESH_SECONDS, round(state.settings.cluster_cache_seconds))


async def live_context(state: PortalState, user: Principal, name: str) -> dict[str, Any]:
    """What the live block shows: the cluster read (at most a few seconds old), its picture."""
    view: ClusterView = await state.cluster_reads.view(state, user, name)
    return {
        "user": user,
        "cluster": view,
        "picture": topology_svg(view, _network(state, name)),
        "read_at": datetime.now(UTC).strftime("%H:%M:%S"),
        "refresh_seconds": refresh_seconds(state),
    }


def cluster_live_routes(router: APIRouter) -> None:
    @router.get("/clusters/{name}/live")
    async def cluster_live(name: str, request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        return page(request, "cluster_live.html", **await live_context(state, user, name))
