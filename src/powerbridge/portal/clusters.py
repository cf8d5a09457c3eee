"""Planning and submitting a cluster spec for a user: what the API and the pages share.

The spec is read as `ha plan` reads it (every problem located), planned on PowerVC with the
user's token, and, for a submit, refused while the plan blocks, then queued for the worker
with an application credential of the user (run_as_user.py). The nodes are reached with
the portal's own key (keys.py), given to them as cloud-config user data besides the spec's
key pair, so a spec leaves `ssh.private_key` out: the portal reads no key file of its host.

Cluster names are looked up per cloud (views.visible); a create is refused a name another
cloud's cluster holds (cloud_names.py).
"""

from __future__ import annotations

from powerbridge.deploy.errors import SpecErrors
from powerbridge.ha.errors import HAError
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
from powerbridge.portal.job_credentials import retire_replaced
from powerbridge.portal.run_as_user import issue_credential, submit_as_user
from powerbridge.portal.state import PortalState

__all__ = ["SOURCE", "plan_text", "read_spec", "resumable_create", "resume_create", "submit_text"]

SOURCE = "portal"  # the jobs' source: the spec came through the portal, not a file


def read_spec(state: PortalState, text: str) -> ClusterSpec:
    try:
        spec = parse_cluster_spec(text, source=None)
    except SpecErrors as problem:
        raise spec_error(problem) from None
    key = spec.ssh.private_key
    if key is not None:
        raise PortalError(
            422,
            "ssh.private_key: the portal logs in to the nodes with its own key (kept in the"
            f" job store, given to the nodes as user data), not {key}",
            hint="leave ssh.private_key out",
        )
    return spec


async def plan_spec(state: PortalState, who: Principal, spec: ClusterSpec) -> ClusterPlan:
    """The plan the worker's create makes: the portal's key as the nodes' user data, so
    the spec's key pair may be any of the user's (worker.py)."""
    identity = state.identity
    async with user_cloud(state.settings, who) as cloud:
        return await plan_cluster(
            cloud,
            spec,
            public_key_fingerprint=identity.fingerprint,
            authorized_keys=(identity.public_key,),
        )


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
    stopped = stopped_create(state.store, plan.spec.name, resume=resume, resume_hint=RESUME_HINT)
    credential = await issue_credential(state, who, plan.spec.name)
    job = submit_as_user(state, who, text, credential, source=SOURCE, resume=resume)
    await retire_replaced(state, stopped, job, who.token)  # the stopped one's goes
    return job


def resumable_create(state: PortalState, name: str) -> Job | None:
    """The cluster's stopped or failed create a resume would continue (None: none, or one
    that runs, or another job of the cluster runs)."""
    try:
        return stopped_create(state.store, name, resume=True, resume_hint=RESUME_HINT)
    except HAError:
        return None


async def resume_create(state: PortalState, who: Principal, name: str) -> Job:
    """The resume button: the stopped create's own spec sent again with `resume`, as
    `POST /api/v1/clusters?resume=true` sends it (planned again, under a new credential)."""
    stopped = resumable_create(state, name)
    text = stopped.spec.get("text") if stopped is not None else None
    if stopped is None or not isinstance(text, str):
        raise PortalError(
            409,
            f"cluster {name} has no stopped create to resume",
            hint="the cluster page shows its jobs; a running one is followed there",
        )
    return await submit_text(state, who, text, resume=True)
