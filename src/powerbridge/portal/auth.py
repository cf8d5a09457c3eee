"""Who is asking, and may they: FastAPI dependencies for the session, the user and the role.

A browser carries the session cookie (HttpOnly, SameSite=Lax, Secure under TLS); an API
client may send `X-Auth-Token` (a Keystone token of its project) instead, validated with
Keystone on each request. A state-changing call with the cookie must also carry the
session's CSRF token (the `X-CSRF-Token` header, or a form's `csrf_token` field): another
site can make a browser send the cookie, never the token. A header token needs no CSRF
token: browsers do not add it by themselves.

With several clouds, a session is of the cloud it signed in to; an API client's
`X-Auth-Token` is validated by the Keystone of the cloud its `X-PowerBridge-Cloud` header
names (the default without it). A header naming no cloud served here, or another cloud
than the session's, is refused (400) naming the clouds.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from powerbridge.client import Token
from powerbridge.client.errors import AuthenticationFailed, ClientError
from powerbridge.portal.clouds import CLOUD_HEADER, DEFAULT_NAME, Clouds, keystone
from powerbridge.portal.errors import PortalError
from powerbridge.portal.roles import Role, portal_role
from powerbridge.portal.sessions import PortalSession
from powerbridge.portal.signin_limits import Throttle, TooManyAttempts, address_key
from powerbridge.portal.state import PortalState, portal_state

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "Operator",
    "PostingViewer",
    "Principal",
    "Viewer",
    "principal",
]

COOKIE = "powerbridge_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SIGN_IN_HINT = "sign in at /signin, or send X-Auth-Token"


@dataclass(frozen=True)
class Principal:
    """A signed-in user, scoped to one project."""

    user_name: str
    user_id: str
    project_id: str
    project_name: str
    roles: tuple[str, ...]
    role: Role
    token: str
    csrf: str | None  # None: a header token (no CSRF token needed)
    token_record: Token | None = None  # with its catalog: calls start without Keystone
    cloud: str = DEFAULT_NAME  # the cloud signed in to (clouds.py)
    # the portal's clouds: which one a job recorded as its own is (`sees`)
    clouds: Clouds | None = None

    @property
    def may_change(self) -> bool:
        return self.role.allows(Role.OPERATOR)

    def sees(self, job_cloud: str | None) -> bool:
        """A job (or cluster) of the cloud `job_cloud` recorded is of this user's cloud."""
        return self.clouds is None or self.clouds.home(job_cloud) == self.cloud


def from_session(session: PortalSession, state: PortalState) -> Principal:
    assert session.project_id is not None  # only scoped sessions sign in
    clouds = Clouds.of(state.settings)
    return Principal(
        user_name=session.user_name,
        user_id=session.user_id,
        project_id=session.project_id,
        project_name=session.project_name or session.project_id,
        roles=session.roles,
        role=portal_role(session.roles, state.settings.role_map),
        token=session.token,
        csrf=session.csrf,
        token_record=session.token_record(),
        cloud=session.cloud or clouds.default,
        clouds=clouds,
    )


async def _from_header(
    token: str, state: PortalState, address: str | None, named: str | None
) -> Principal:
    clouds = Clouds.of(state.settings)
    cloud = clouds.chosen(named)
    throttle = Throttle(state.store, state.settings.signin_limits)
    try:
        throttle.check([address_key(address)])
    except TooManyAttempts as problem:
        hint = "wait, then send a valid token"
        raise PortalError(429, str(problem), hint=hint, retry_after=problem.retry_after) from None
    try:
        async with keystone(state.settings, cloud) as identity:
            found = await identity.validate(token)
    except AuthenticationFailed:
        throttle.failed([address_key(address)])  # guessing tokens counts as guessing passwords
        raise PortalError(401, "the X-Auth-Token is not valid", hint="get a new token") from None
    except ClientError as problem:
        raise PortalError(502, f"cannot validate the token: {problem}") from None
    if found.project_id is None:
        raise PortalError(401, "the X-Auth-Token is not scoped to a project", hint=SIGN_IN_HINT)
    return Principal(
        user_name=found.user_name or found.user_id,
        user_id=found.user_id,
        project_id=found.project_id,
        project_name=found.project_name or found.project_id,
        roles=found.roles,
        role=portal_role(found.roles, state.settings.role_map),
        token=token,
        csrf=None,
        token_record=found,
        cloud=cloud,
        clouds=clouds,
    )


async def optional_principal(request: Request) -> Principal | None:
    """The signed-in user, or None (the pages redirect to the sign-in then)."""
    state = portal_state(request)
    header = request.headers.get("x-auth-token")
    named = request.headers.get(CLOUD_HEADER.lower())
    if header:
        address = request.client.host if request.client else None
        return await _from_header(header, state, address, named)
    session = state.sessions.find(request.cookies.get(COOKIE))
    if session is None or not session.scoped:
        return None
    found = from_session(session, state)
    if found.cloud not in Clouds.of(state.settings).names:
        return None  # signed in to a cloud this portal no longer serves: sign in again
    if named and named != found.cloud:
        raise _other_cloud(named, found.cloud, state)
    return found


def _other_cloud(named: str, signed_in: str, state: PortalState) -> PortalError:
    clouds = Clouds.of(state.settings)
    if named not in clouds.names:
        return clouds.unknown(named)
    return PortalError(
        400,
        f"{CLOUD_HEADER} names cloud {named!r}, but this session is signed in to {signed_in!r}",
        hint=f"sign in to {named} (the sign-in form's cloud), or leave {CLOUD_HEADER} out",
    )


async def principal(request: Request) -> Principal:
    found = await optional_principal(request)
    if found is None:
        raise PortalError(401, "not signed in (or the session ended)", hint=SIGN_IN_HINT)
    return found


async def check_csrf(request: Request, who: Principal) -> None:
    if who.csrf is None:
        return
    given = request.headers.get(CSRF_HEADER.lower())
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given, who.csrf):
        raise PortalError(
            403,
            "the request lacks this session's CSRF token",
            hint=f"send the {CSRF_HEADER} header (the page's csrf-token meta) or reload the page",
        )


def refuse_viewer(user: Principal) -> None:
    """A page's form post: a viewer gets 403 (the API's wording is `operator`'s)."""
    if not user.may_change:
        raise PortalError(403, f"{user.user_name} is a viewer: viewers change nothing")


async def operator(request: Request, who: Annotated[Principal, Depends(principal)]) -> Principal:
    """A user who may change things (operator or administrator), with the CSRF token."""
    await check_csrf(request, who)
    if not who.may_change:
        raise PortalError(
            403,
            f"{who.user_name} is a {who.role} in project {who.project_name}:"
            " viewers change nothing",
            hint="ask a PowerVC administrator for the deployer or vm_manager role",
        )
    return who


async def csrf_viewer(request: Request, who: Annotated[Principal, Depends(principal)]) -> Principal:
    """Any signed-in user, on a POST that changes nothing (a plan): the CSRF token still,
    as on every unsafe method, so no other site makes a browser post as its user."""
    await check_csrf(request, who)
    return who


Viewer = Annotated[Principal, Depends(principal)]
PostingViewer = Annotated[Principal, Depends(csrf_viewer)]
Operator = Annotated[Principal, Depends(operator)]
