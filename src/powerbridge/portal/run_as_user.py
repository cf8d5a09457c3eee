"""Jobs run as their user: a Keystone application credential per job the portal submits.

Every job the portal queues or starts (a cluster create, a day-two action, a deployment's
apply) gets, at submit, with the user's own token (the session's, or an API client's
`X-Auth-Token`), a restricted application credential of the user's project, expiring after
a day and narrowed to the user's roles that let them change things (those the role table
maps to operator or administrator). Its id and its secret, sealed with the portal's key
(cipher.py), go into the job's spec in the same write that makes the job, so whichever
worker runs it, now or after a takeover, authenticates as the user (job_credentials.py): a
job outlives the session that made it (sign-out, a 6-hour token) and never uses the
portal's own account on PowerVC.

The credential is deleted at the job's final end; it is kept while the job may still go on
(job_credentials.py says when). A request refused before its job exists deletes the
credential it made at once. A resume gets a new credential; the one the stopped job kept is
deleted then. All of it on the job's cloud (the user's, which the job records; clouds.py):
the credential is made at that cloud's Keystone, and used and deleted there.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from powerbridge.client import Cloud, CloudConfig
from powerbridge.client.app_credentials import AppCredentials
from powerbridge.client.errors import AuthenticationFailed, ClientError, HttpError
from powerbridge.ha.journal import CLUSTER, CREATE, stopped_create
from powerbridge.ha.spec import parse_cluster_spec
from powerbridge.ha.submit import RESUME_HINT
from powerbridge.jobs import Job
from powerbridge.portal.clouds import Clouds
from powerbridge.portal.errors import PortalError
from powerbridge.portal.roles import Role

if TYPE_CHECKING:
    from powerbridge.portal.auth import Principal
    from powerbridge.portal.state import PortalState

__all__ = [
    "CREDENTIAL",
    "LIFETIME",
    "CloudFactory",
    "StoredCredential",
    "credential_cloud",
    "issue_credential",
    "job_cloud",
    "submit_as_user",
]

CREDENTIAL = "credential"  # the job spec's entry
LIFETIME = timedelta(days=1)
CloudFactory = Callable[[], AbstractAsyncContextManager[Cloud]]


@dataclasses.dataclass(frozen=True)
class StoredCredential:
    """A job's credential as its spec holds it (the secret sealed)."""

    id: str
    user_id: str
    project_id: str
    sealed_secret: str
    expires_at: str

    @classmethod
    def of(cls, job: Job) -> StoredCredential | None:
        return cls.read(job.spec.get(CREDENTIAL))

    @classmethod
    def read(cls, entry: Any) -> StoredCredential | None:
        """The credential a job spec's entry holds (None: not one)."""
        if not isinstance(entry, Mapping):
            return None
        try:
            return cls(**{f.name: str(entry[f.name]) for f in dataclasses.fields(cls)})
        except KeyError:
            return None


def job_roles(state: PortalState, who: Principal) -> list[str]:
    """The user's Keystone roles that make them an operator or administrator here."""
    table = state.settings.role_map
    return [r for r in who.roles if table.get(r.lower(), Role.VIEWER).allows(Role.OPERATOR)]


async def issue_credential(
    state: PortalState, who: Principal, target: str, purpose: str | None = None
) -> dict[str, str]:
    """A new credential of `who` for a job on `target` (`purpose`: what the job does, for
    Keystone's description; default a cluster's build); its spec entry."""
    expires = datetime.now(UTC) + LIFETIME
    name = f"powerbridge-portal-{target}-{secrets.token_hex(4)}"
    described = purpose or f"the job building cluster {target}"
    try:
        async with AppCredentials(Clouds.of(state.settings).config(who.cloud)) as keystone:
            made = await keystone.create(
                who.token,
                who.user_id,
                name=name,
                expires_at=expires,
                roles=job_roles(state, who),
                description=f"powerbridge portal: {described}",
            )
    except AuthenticationFailed:
        raise PortalError(401, "Keystone refused your token", hint="sign in again") from None
    except ClientError as problem:
        refused = isinstance(problem, HttpError) and problem.status in (403, 404)
        raise PortalError(
            problem.status if isinstance(problem, HttpError) and refused else 502,
            f"cannot make the job's application credential: {problem}",
            hint="a token got with an application credential cannot make another: sign in",
        ) from None
    return {
        "id": made.id,
        "user_id": who.user_id,
        "project_id": who.project_id,
        "sealed_secret": state.cipher.seal(made.secret),
        "expires_at": expires.isoformat(),
    }


def submit_as_user(
    state: PortalState,
    who: Principal,
    text: str,
    credential: dict[str, str],
    *,
    source: str,
    resume: bool = False,
) -> Job:
    """Queue the create with its credential in one write (`ha.submit.submit_create`'s
    checks: a create of this cluster that runs or waits refuses a new one; a stopped one is
    continued with `resume`, under this new credential, else refused; the caller deletes
    the credential the stopped one kept: `job_credentials.retire_replaced`)."""
    spec = parse_cluster_spec(text, source=source)
    stopped = stopped_create(state.store, spec.name, resume=resume, resume_hint=RESUME_HINT)
    if stopped is not None:
        return state.store.requeue(stopped.id, spec={"text": text, CREDENTIAL: credential})
    return state.store.enqueue(
        CLUSTER,
        spec.name,
        action=CREATE,
        spec={"text": text, CREDENTIAL: credential},
        source=source,
        owner=who.user_name,
        project=who.project_id,
        cloud=who.cloud,
    )


def job_cloud(state: PortalState, recorded: str | None) -> CloudConfig:
    """The cloud a job recorded (its URL, CA, region and that cloud's own credentials); a
    job of no cloud served here is the default's."""
    clouds = Clouds.of(state.settings)
    return clouds.config(clouds.home(recorded))


def credential_config(
    state: PortalState, cloud: str | None, credential: StoredCredential
) -> CloudConfig:
    """The job's cloud `cloud` (URL, CA, region) authenticated with the job's credential
    only."""
    return dataclasses.replace(
        job_cloud(state, cloud),
        auth_type="v3applicationcredential",
        application_credential_id=credential.id,
        application_credential_name=None,
        application_credential_secret=state.cipher.open(credential.sealed_secret),
        username=None,
        password=None,
        user_id=None,
        token=None,
        project_id=None,
        project_name=None,
    )


def credential_cloud(
    state: PortalState, cloud: str | None, credential: StoredCredential
) -> CloudFactory:
    """The connection factory of a job of `cloud` (the one it recorded) run as its user
    (CipherError: another key's)."""
    config = credential_config(state, cloud, credential)
    return lambda: Cloud.connect(config=config)
