"""Planning and submitting a cluster spec for a user: what the API and the pages share.

The spec is read as `ha plan` reads it (every problem located), planned on PowerVC with the
user's token, and, for a submit, refused while the plan blocks, then queued for the worker
with an application credential of the user (run_as_user.py). The nodes are reached with
the portal's own key, so a spec may leave `ssh.private_key` out or name that key's file,
nothing else on the portal's host.

Cluster names are looked up per cloud (views.visible); a create is refused a name another
cloud's cluster holds (cloud_names.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from powerbridge.deploy.errors import SpecErrors
from powerbridge.ha.journal import CLUSTER, stopped_create
from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.plan import ClusterPlan, plan_cluster
from powerbridge.ha.spec import parse_cluster_spec
from powerbridge.ha.submit import RESUME_HINT
from powerbridge.jobs import Job
from powerbridge.portal.auth import Principal
from powerbridge.portal.cloud_names import refuse_another_clouds
from powerbridge.portal.clouds import user_cloud
from powerbridge.portal.errors import PortalError, spec_error
from powerbridge.portal.keys import KEY_FILE
from powerbridge.portal.run_as_user import issue_credential, submit_as_user
from powerbridge.portal.state import PortalState

__all__ = ["SOURCE", "plan_text", "read_spec", "submit_text"]

SOURCE = "portal"  # the jobs' source: the spec came through the portal, not a file


def read_spec(state: PortalState, text: str) -> ClusterSpec:
    try:
        spec = parse_cluster_spec(text, source=None)
    except SpecErrors as problem:
        raise spec_error(problem) from None
    key = spec.ssh.private_key
    portal_key = state.settings.data_dir / KEY_FILE
    if key is not None and Path(os.path.expanduser(key)).resolve() != portal_key.resolve():
        raise PortalError(
            422,
            f"ssh.private_key: the portal logs in to the nodes with its own key {portal_key},"
            f" not {key}",
            hint="leave ssh.private_key out, or name the portal's key",
        )
    return spec


async def plan_spec(state: PortalState, who: Principal, spec: ClusterSpec) -> ClusterPlan:
    async with user_cloud(state.settings, who) as cloud:
        return await plan_cluster(cloud, spec, public_key_fingerprint=state.identity.fingerprint)


async def plan_text(state: PortalState, who: Principal, text: str) -> ClusterPlan:
    return await plan_spec(state, who, read_spec(state, text))


def blocked(plan: ClusterPlan) -> PortalError:
    """The CLI's message for a blocked plan (`ha create`)."""
    count = len(plan.blocks)
    more = f" (and {count - 1} more)" if count > 1 else ""
    return PortalError(
        422,
        f"the plan for cluster {plan.spec.name} is blocked: {plan.blocks[0]}{more};"
        " nothing was created",
        hint="fix the spec or the cloud, then plan again",
        blocks=[str(block) for block in plan.blocks],
    )


async def submit_text(
    state: PortalState, who: Principal, text: str, *, resume: bool = False
) -> Job:
    """Plan the spec; refuse a blocked plan; queue the create for the worker, with an
    application credential of the user to run it with (run_as_user.py); `resume`: its
    stopped, failed or cancelled create again, under a new credential."""
    plan = await plan_text(state, who, text)
    if not plan.ok:
        raise blocked(plan)
    refuse_another_clouds(state.store, who, CLUSTER, plan.spec.name)
    # refused before a credential is made
    stopped_create(state.store, plan.spec.name, resume=resume, resume_hint=RESUME_HINT)
    credential = await issue_credential(state, who, plan.spec.name)
    return submit_as_user(state, who, text, credential, source=SOURCE, resume=resume)
