"""A cluster's state for the cluster page and `GET /api/v1/clusters/{name}`: read fresh.

`ha.status.read_cluster` reads PowerVC with the user's token and every node over SSH with
the portal's key, so a read takes a round of SSH commands. Several browsers (and htmx
refreshes) asking at once share one read: each cluster keeps its view for
`settings.cluster_cache_seconds` (a few seconds) for the users of one project with the same
roles, and concurrent askers wait for the read in flight instead of starting their own.
An action started on the cluster drops its view. A cluster the CLI made, whose nodes refuse
the portal's key, is shown with what PowerVC tells and a hint saying why the rest is missing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from powerbridge.ha.cluster_view import ClusterView
from powerbridge.ha.errors import NotACluster
from powerbridge.ha.journal import CLUSTER, CREATE
from powerbridge.ha.node_errors import LOGIN_REFUSED
from powerbridge.ha.status import ReadOptions, read_cluster
from powerbridge.jobs import Job, JobStore
from powerbridge.portal.clouds import user_cloud
from powerbridge.portal.errors import PortalError
from powerbridge.portal.views import visible

if TYPE_CHECKING:
    from powerbridge.portal.auth import Principal
    from powerbridge.portal.state import PortalState

__all__ = ["ClusterReads", "check_visible", "explain_refused_key"]

# (cloud, project id, the user's Keystone roles, cluster name): PowerVC shows an
# administrator more (host names) than a member, so views are shared only between equal rights
Key = tuple[str, str, str, str]


def check_visible(store: JobStore, name: str, who: Principal) -> None:
    """404 unless the cluster's create job is the project's (or the CLI's, without one)."""
    create = store.latest(name, kind=CLUSTER, action=CREATE)
    if create is None or not visible(create, who):
        raise PortalError(
            404, f"no cluster {name}", hint="GET /api/v1/clusters lists your project's"
        )


@dataclass
class ClusterReads:
    """The views read lately, by (project, cluster), with the time each was read."""

    max_age_seconds: float
    _views: dict[Key, tuple[float, ClusterView]] = field(default_factory=dict)
    _locks: dict[Key, asyncio.Lock] = field(default_factory=dict)

    def forget(self, name: str) -> None:
        for key in [key for key in self._views if key[3] == name]:
            del self._views[key]

    async def view(self, state: PortalState, who: Principal, name: str) -> ClusterView:
        check_visible(state.store, name, who)
        key = (who.cloud, who.project_id, ",".join(sorted(who.roles)), name)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # one read in flight per cluster; the others take its result
            kept = self._views.get(key)
            if kept is not None and time.monotonic() - kept[0] <= self.max_age_seconds:
                return kept[1]
            view = await self._read(state, who, name)
            self._views[key] = (time.monotonic(), view)
            return view

    async def _read(self, state: PortalState, who: Principal, name: str) -> ClusterView:
        options = ReadOptions(ssh_configs=state.settings.ssh_configs)
        try:
            async with user_cloud(state.settings, who) as cloud:
                view = await read_cluster(cloud, state.store, name, state.identity, options)
        except NotACluster as problem:
            raise PortalError(404, str(problem), hint=problem.hint) from None
        create = state.store.latest(name, kind=CLUSTER, action=CREATE)
        return explain_refused_key(view, create, state.identity.public_key)


def explain_refused_key(view: ClusterView, create: Job | None, public_key: str) -> ClusterView:
    """`view` with a hint when nodes of a cluster the CLI made refuse the portal's key: they
    hold their key pair's key only (the portal gives its own to the clusters it makes)."""
    refused = [node.name for node in view.nodes if LOGIN_REFUSED in (node.reason or "")]
    made_by_cli = create is not None and create.project is None  # views.visible's rule
    if not refused or not made_by_cli or view.hint:
        return view
    hint = (
        f"cluster {view.name} was created with `powerbridge ha create`, not through the"
        " portal: its nodes let in the key of their key pair only, so what only they can"
        " tell is missing here (PowerVC's servers, addresses and volumes are shown); to let"
        " the portal read them, add its public key to the login user's"
        f" ~/.ssh/authorized_keys on {', '.join(refused)}: {public_key}"
    )
    return replace(view, hint=hint)
