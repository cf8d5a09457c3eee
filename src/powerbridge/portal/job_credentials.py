"""A job's application credential in use: the worker's runners as the user, and its deletion.

`as_user` wraps a runner factory (the ha and deploy packages' runners take a connection
factory) so that each job it runs reaches PowerVC with the credential its spec holds
(run_as_user.py), whichever worker claimed it: the first, or one that took it over.

When the credential goes: at the job's final end (succeeded, cancelled, or failed when a
failed job cannot be resumed: a day-two action is simply run again). It is kept while the
job may still go on: failed when a resume continues it (a create, an apply, within the
day), or stopped mid-way (the portal shut down, a lease lost: the worker that takes the job
over uses it). A restricted credential cannot delete itself (Keystone refuses application
credential management to its tokens), so the deletion uses a token of the owner (the
request's, or a live session in the project), else the portal's own account (an
administrator may delete anyone's); when none may, the job's events say so and the
credential expires by itself. All on the job's cloud (the one it recorded, clouds.py): its
Keystone, its endpoints, the owner's sessions signed in there and that cloud's account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from powerbridge.client import Cloud
from powerbridge.client.app_credentials import AppCredentials
from powerbridge.client.errors import ClientError
from powerbridge.jobs import Job, JobStatus, JobStore, LeaseLost
from powerbridge.jobs.worker import Run, Runner
from powerbridge.portal.cipher import CipherError
from powerbridge.portal.clouds import Clouds
from powerbridge.portal.run_as_user import (
    CloudFactory,
    StoredCredential,
    credential_cloud,
    job_cloud,
)

if TYPE_CHECKING:
    from powerbridge.portal.state import PortalState

__all__ = ["NoCredential", "as_user", "retire", "retire_replaced"]

logger = logging.getLogger("powerbridge.portal")


class NoCredential(Exception):
    """A queued job the portal's worker may not run: no credential of its user in it."""


def as_user(
    state: PortalState,
    make: Callable[[CloudFactory], Runner],
    *,
    resumable: bool,
    without: str,
) -> Runner:
    """The runner `make` builds, run for each job with the job's own credential.
    `resumable`: a failed job may be resumed (its credential kept); `without`: how to go on
    with a job that holds none (not submitted through the portal)."""

    async def run_as_user(run: Run) -> JobStatus | None:
        credential = StoredCredential.of(run.job)
        if credential is None:
            raise NoCredential(
                f"job {run.job.id} holds no application credential of its user (it was not"
                f" submitted through the portal); {without}"
            )
        kept: str | None = None  # why the credential stays; None: the job's final end
        try:
            status = await make(credential_cloud(state, run.job.cloud, credential))(run)
            if status is JobStatus.FAILED and resumable:  # a resume continues it
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
            if resumable:
                kept = "for a resume"  # failed mid-way (PowerVC refused a call)
            raise
        finally:
            if kept is None:
                await retire(state, run.store, run.job.id, credential, cloud=run.job.cloud)
            elif kept:
                _event(
                    run.store,
                    run.job.id,
                    f"kept this job's application credential {credential.id} {kept};"
                    f" it expires at {credential.expires_at}",
                )

    return run_as_user


def _cancel_asked(run: Run) -> bool:
    with contextlib.suppress(Exception):
        return run.store.job(run.job.id).cancel_requested
    return False


async def retire(
    state: PortalState,
    store: JobStore | None,
    job_id: int | None,
    credential: StoredCredential,
    *,
    cloud: str | None,
    token: str | None = None,
) -> None:
    """Delete the job's credential at the Keystone of `cloud` (the job's); the job's events
    say how, or why not (the log only, without a job held by `store`). `token`: the owner's,
    tried first."""
    refusals: list[str] = []
    async for who, using in _deleting_tokens(state, credential, cloud, token, refusals):
        try:
            async with AppCredentials(job_cloud(state, cloud)) as keystone:
                await keystone.delete(using, credential.user_id, credential.id)
        except ClientError as problem:
            refusals.append(f"{who}: {problem}")
            continue
        _event(store, job_id, f"deleted this job's application credential {credential.id} ({who})")
        return
    _event(
        store,
        job_id,
        f"could not delete this job's application credential {credential.id} "
        f"({'; '.join(refusals) or 'no token may'}); it expires at {credential.expires_at}",
    )


async def retire_replaced(state: PortalState, before: Job | None, after: Job, token: str) -> None:
    """A resume requeued `before` under a new credential: the one it kept goes."""
    if before is None or before.id != after.id:
        return
    old = StoredCredential.of(before)
    new = StoredCredential.of(after)
    if old is not None and (new is None or new.id != old.id):
        await retire(state, None, after.id, old, cloud=after.cloud, token=token)


async def _deleting_tokens(
    state: PortalState,
    credential: StoredCredential,
    cloud: str | None,
    token: str | None,
    refusals: list[str],
) -> AsyncIterator[tuple[str, str]]:
    """Tokens that may delete it: the owner's given one (of the job's cloud: the request
    that made the job) and live sessions on the job's cloud, then the portal's account
    there."""
    clouds = Clouds.of(state.settings)
    home = clouds.home(cloud)
    if token is not None:
        yield "with the request's token", token
    for session in state.sessions.of_user(credential.user_id, credential.project_id):
        if clouds.home(session.cloud) == home:  # another cloud's Keystone knows not this one
            yield "with the owner's session", session.token
    try:
        async with Cloud.connect(config=clouds.config(home)) as connected:
            portal = (await connected.session.authenticate()).value
    except ClientError as problem:
        refusals.append(f"the portal's account: {problem}")
        return
    yield "with the portal's account", portal


def _event(store: JobStore | None, job_id: int | None, message: str) -> None:
    if store is not None and job_id is not None:
        with contextlib.suppress(LeaseLost):
            store.event(job_id, message)
    logger.info("%s: %s", f"job {job_id}" if job_id is not None else "a refused job", message)
