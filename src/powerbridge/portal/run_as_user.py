"""Jobs run as their user: a Keystone application credential per submitted job.

At submit the portal makes, with the user's own token (the session's, or an API client's
`X-Auth-Token`), a restricted application credential of the user's project, expiring after
a day and narrowed to the user's roles that let them change things (those the role table
maps to operator or administrator). Its id and its secret, sealed with the portal's key
(cipher.py), go into the queued job's spec in the same write that queues it, so whichever
worker claims the job, now or after a takeover, authenticates as the user: a job outlives
the session that made it (sign-out, a 6-hour token) and never uses the portal's own account
on PowerVC.

The credential is deleted at the job's final end (succeeded, cancelled); it is kept while
the job may still go on: failed (a resume continues a failed step, within the day) or
stopped mid-way (the portal shut down, a lease lost: the worker that takes the job over
uses it). A restricted credential cannot delete itself (Keystone refuses application
credential management to its tokens), so the deletion uses a live session of the owner in
the project when there is one, else the portal's own account (an administrator may delete
anyone's); when neither may, the job's events say so and the credential expires by itself.
All of it on the job's cloud (the one it recorded, clouds.py): its Keystone, its endpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from powerbridge.client import Cloud, CloudConfig
from powerbridge.client.app_credentials import AppCredentials
from powerbridge.client.errors import AuthenticationFailed, ClientError, HttpError
from powerbridge.ha.create import CreateOptions
from powerbridge.ha.errors import HAError
from powerbridge.ha.journal import CLUSTER, CREATE, stopped_create
from powerbridge.ha.spec import parse_cluster_spec
from powerbridge.ha.submit import RESUME_HINT, cluster_runner
from powerbridge.jobs import Job, JobStatus, LeaseLost
from powerbridge.jobs.worker import Run, Runner
from powerbridge.portal.auth import Principal
from powerbridge.portal.cipher import CipherError
from powerbridge.portal.clouds import Clouds
from powerbridge.portal.errors import PortalError
from powerbridge.portal.roles import Role
from powerbridge.portal.state import PortalState

__all__ = ["CREDENTIAL", "LIFETIME", "StoredCredential", "submit_as_user", "user_runner"]

logger = logging.getLogger("powerbridge.portal")

CREDENTIAL = "credential"  # the job spec's entry
LIFETIME = timedelta(days=1)


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
        entry = job.spec.get(CREDENTIAL)
        if not isinstance(entry, dict):
            return None
        try:
            return cls(**{f.name: str(entry[f.name]) for f in dataclasses.fields(cls)})
        except KeyError:
            return None


def job_roles(state: PortalState, who: Principal) -> list[str]:
    """The user's Keystone roles that make them an operator or administrator here."""
    table = state.settings.role_map
    return [r for r in who.roles if table.get(r.lower(), Role.VIEWER).allows(Role.OPERATOR)]


async def issue_credential(state: PortalState, who: Principal, target: str) -> dict[str, str]:
    """A new credential of `who` for a job on `target`; its spec entry."""
    expires = datetime.now(UTC) + LIFETIME
    name = f"powerbridge-portal-{target}-{secrets.token_hex(4)}"
    try:
        async with AppCredentials(Clouds.of(state.settings).config(who.cloud)) as keystone:
            made = await keystone.create(
                who.token,
                who.user_id,
                name=name,
                expires_at=expires,
                roles=job_roles(state, who),
                description=f"powerbridge portal: the job building cluster {target}",
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
    continued with `resume`, under this new credential, else refused)."""
    spec = parse_cluster_spec(text, source=source)
    stopped = stopped_create(state.store, spec.name, resume=resume, resume_hint=RESUME_HINT)
    if stopped is not None:  # the credential it kept (if any) is left to expire
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


def job_cloud(state: PortalState, job: Job) -> CloudConfig:
    """The cloud the job recorded (its URL, CA, region and that cloud's own credentials)."""
    clouds = Clouds.of(state.settings)
    return clouds.config(clouds.home(job.cloud))


def credential_config(state: PortalState, job: Job, credential: StoredCredential) -> CloudConfig:
    """The job's cloud (URL, CA, region) authenticated with the job's credential only."""
    return dataclasses.replace(
        job_cloud(state, job),
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


def user_runner(state: PortalState, options: CreateOptions) -> Runner:
    """The worker's runner of cluster creates: each as its submitting user."""

    async def run_as_user(run: Run) -> JobStatus | None:
        credential = StoredCredential.of(run.job)
        if credential is None:
            raise HAError(
                f"job {run.job.id} holds no application credential of its user (it was not"
                " submitted through the portal); continue it with `powerbridge ha create"
                " --resume`"
            )
        kept: str | None = None  # why the credential stays; None: the job's final end
        try:
            config = credential_config(state, run.job, credential)  # CipherError: another key's
            build = cluster_runner(lambda: Cloud.connect(config=config), state.identity, options)
            status = await build(run)
            if status is JobStatus.FAILED:  # a failed step is resumed, not redone
                kept = "for a resume"
            return status
        except asyncio.CancelledError:
            if not _cancel_asked(run):  # this worker stops: the next one continues the job
                kept = "for the worker that continues the job"
            raise
        except LeaseLost:
            kept = ""  # another worker holds the job now (and nothing more is written)
            raise
        except CipherError:
            raise  # no portal of this key can use it: it goes
        except Exception:
            kept = "for a resume"  # failed mid-way (PowerVC refused a call)
            raise
        finally:
            if kept is None:
                await retire(state, run, credential)
            elif kept:
                _event(
                    run,
                    f"kept this job's application credential {credential.id} {kept};"
                    f" it expires at {credential.expires_at}",
                )

    return run_as_user


def _cancel_asked(run: Run) -> bool:
    with contextlib.suppress(Exception):
        return run.store.job(run.job.id).cancel_requested
    return False


async def retire(state: PortalState, run: Run, credential: StoredCredential) -> None:
    """Delete the job's credential at Keystone; the job's events say how, or why not."""
    refusals: list[str] = []
    async for who, token in _deleting_tokens(state, run.job, credential, refusals):
        try:
            async with AppCredentials(job_cloud(state, run.job)) as keystone:
                await keystone.delete(token, credential.user_id, credential.id)
        except ClientError as problem:
            refusals.append(f"{who}: {problem}")
            continue
        _event(run, f"deleted this job's application credential {credential.id} ({who})")
        return
    _event(
        run,
        f"could not delete this job's application credential {credential.id} "
        f"({'; '.join(refusals) or 'no token may'}); it expires at {credential.expires_at}",
    )


async def _deleting_tokens(
    state: PortalState, job: Job, credential: StoredCredential, refusals: list[str]
) -> AsyncIterator[tuple[str, str]]:
    """Tokens that may delete it: the owner's live sessions on the job's cloud, then the
    portal's account there."""
    clouds = Clouds.of(state.settings)
    home = clouds.home(job.cloud)
    for session in state.sessions.of_user(credential.user_id, credential.project_id):
        if (session.cloud or clouds.default) == home:
            yield "with the owner's session", session.token
    try:
        async with Cloud.connect(config=clouds.config(home)) as cloud:
            token = (await cloud.session.authenticate()).value
    except ClientError as problem:
        refusals.append(f"the portal's account: {problem}")
        return
    yield "with the portal's account", token


def _event(run: Run, message: str) -> None:
    with contextlib.suppress(LeaseLost):
        run.store.event(run.job.id, message)
    logger.info("job %s: %s", run.job.id, message)
