"""Signing in and out: PowerVC credentials -> the user's projects -> a session of one.

The password is sent to Keystone once and never kept. Step one (user, password, domain)
gives an unscoped token and a session that can only pick a project; step two rescopes the
token to the chosen project (skipped when the user has just one) and replaces the session
with a new one. With several clouds the form names one (the default when it does not): the
password goes to that cloud's Keystone and the session remembers its cloud, so the project
step, the sign-out and every read and job of the session go there. Sign-out revokes the
token at Keystone and deletes the session.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Response

from powerbridge.client.errors import AuthenticationFailed, ClientError
from powerbridge.client.signin import Project
from powerbridge.portal.auth import COOKIE
from powerbridge.portal.clouds import Clouds, keystone
from powerbridge.portal.errors import PortalError
from powerbridge.portal.sessions import PortalSession
from powerbridge.portal.signin_limits import Throttle, TooManyAttempts, address_key, user_key
from powerbridge.portal.state import PortalState

__all__ = [
    "WRONG_CREDENTIALS",
    "choose_project",
    "password_step",
    "session_cloud",
    "set_cookie",
    "sign_out",
]

WRONG_CREDENTIALS = "PowerVC did not accept that user name, password and domain"


async def password_step(
    state: PortalState,
    user: str,
    password: str,
    domain: str,
    old_cookie: str | None,
    address: str | None = None,
    cloud: str | None = None,
) -> tuple[str, list[Project]]:
    """The unscoped session's cookie, and the projects the user may pick on `cloud` (None:
    the default); refused (429) while the user or the client `address` has failed too
    often (signin_limits.py), and (400) when no cloud of that name is served."""
    chosen = Clouds.of(state.settings).chosen(cloud)
    throttle = Throttle(state.store, state.settings.signin_limits)
    counted = [cloud_user_key(state, chosen, domain, user), address_key(address)]
    try:
        throttle.check(counted)
    except TooManyAttempts as problem:
        raise too_many(problem) from None
    try:
        async with keystone(state.settings, chosen) as identity:
            token = await identity.password(user, password, domain=domain)
            projects = await identity.projects(token.value)
    except AuthenticationFailed:
        throttle.failed(counted)
        raise PortalError(401, WRONG_CREDENTIALS, hint="check them and try again") from None
    except ClientError as problem:
        raise PortalError(502, f"cannot reach PowerVC's Keystone: {problem}") from None
    throttle.succeeded(counted[0])
    if not projects:
        raise PortalError(403, f"{user} has a role in no project", hint="ask an administrator")
    cookie = state.sessions.start(token, domain=domain, cloud=chosen, replacing=old_cookie)
    return cookie, projects


def cloud_user_key(state: PortalState, cloud: str, domain: str, user: str) -> str:
    """The failed sign-ins' counter of a user: one per cloud, a user name being one
    Keystone's (the default cloud's keeps the key it had before several clouds)."""
    key = user_key(domain, user)
    return key if cloud == Clouds.of(state.settings).default else f"{key}@{cloud}"[:300]


async def choose_project(
    state: PortalState, session: PortalSession, project_id: str, old_cookie: str
) -> str:
    """The signed-in session's cookie, scoped to `project_id`."""
    try:
        async with keystone(state.settings, session_cloud(state, session)) as identity:
            token = await identity.rescope(session.token, project_id)
    except AuthenticationFailed:
        raise PortalError(403, "you have no role in that project", hint="pick another") from None
    except ClientError as problem:
        raise PortalError(502, f"cannot reach PowerVC's Keystone: {problem}") from None
    return state.sessions.start(
        token, domain=session.domain, cloud=session.cloud, replacing=old_cookie
    )


def session_cloud(state: PortalState, session: PortalSession) -> str:
    """The cloud a session signed in to (one from before several clouds: the default)."""
    return session.cloud or Clouds.of(state.settings).default


async def sign_out(state: PortalState, cookie: str) -> None:
    session = state.sessions.find(cookie)
    state.sessions.end(cookie)
    if session is None:
        return
    try:
        async with keystone(state.settings, session_cloud(state, session)) as identity:
            await identity.revoke(session.token)
    except (ClientError, PortalError):  # PortalError: its cloud is no longer served here
        pass  # the session is gone either way; the token expires by itself


def too_many(problem: TooManyAttempts) -> PortalError:
    hint = "wait, or ask a PowerVC administrator to check the account"
    return PortalError(429, str(problem), hint=hint, retry_after=problem.retry_after)


def set_cookie(state: PortalState, response: Response, cookie: str) -> None:
    """The session cookie, living as long as the session's token."""
    session = state.sessions.find(cookie)
    expires = session.expires_at if session is not None else None
    seconds = int((expires - datetime.now(UTC)).total_seconds()) if expires else None
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=seconds,
        httponly=True,
        samesite="lax",
        secure=state.settings.secure_cookies,
        path="/",
    )
