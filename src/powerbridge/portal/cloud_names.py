"""Cluster and deployment names across the portal's clouds.

Users look names up in their session's cloud (views.visible): another cloud's cluster of
that name is "no cluster" to them. The job store, shared with the CLI, knows clusters and
deployments by name alone, though (`ha`'s and `deploy`'s lookups, a create's "is one
running" check), so a name is one namespace across the clouds: a create or an apply is
refused a name whose latest job is another cloud's, until that one is deleted there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.deploy.service import DEPLOYMENT, DESTROY
from powerbridge.ha.journal import CLUSTER
from powerbridge.ha.operations import DELETE
from powerbridge.jobs import JobStatus, JobStore
from powerbridge.portal.errors import PortalError

if TYPE_CHECKING:
    from powerbridge.portal.auth import Principal

__all__ = ["refuse_another_clouds"]

FREEING = {CLUSTER: DELETE, DEPLOYMENT: DESTROY}  # the action after which a name is free


def refuse_another_clouds(store: JobStore, who: Principal, kind: str, name: str) -> None:
    """409 when a `kind` (cluster, deployment) of another cloud holds `name`."""
    latest = store.latest(name, kind=kind)
    if latest is None or who.sees(latest.cloud):
        return
    if latest.action == FREEING[kind] and latest.status is JobStatus.SUCCEEDED:
        return  # deleted there: the name is free again
    raise PortalError(
        409,
        f"the name {name} is taken by a {kind} of another cloud of this portal; {kind}"
        " names are one namespace across its clouds",
        hint="choose another name",
    )
