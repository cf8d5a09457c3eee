"""Creates that are never blindly retried: sent again only once a lookup shows nothing was made.

A `POST` that creates something is not idempotent. When its answer is lost (the connection
drops or times out, a proxy answers 502, 503 or 504) the service may or may not have acted, and
sending it again blindly can make two. `guarded_create` makes the retry safe:

1. The body's resource carries a client token in its metadata, `powerbridge:request=<uuid4
   hex>` (`TOKEN_KEY`); a token the caller put there already is kept, so a caller can choose
   its own (to recognise its creates after a crash, say). Other metadata is kept as it is.
2. The `POST` is sent once: `Session.request` does not retry it.
3. If it fails in a way where the service may have acted (no answer, 502, 503, 504; and 429,
   which made nothing, but looking is cheap), it waits the session's backoff
   (`Session.retry_delay`: a slow service may still be making it), then `lookup(name, token)`
   lists the resources of that name and the one whose metadata carries the token is the
   created one. It is returned as if the create had answered (logged at WARNING on
   `powerbridge.client`), with the failed `POST`'s request id, or the lookup's when the
   failure had none.
4. Nothing found: the `POST` is sent again, same body and token (logged at INFO),
   `Session.retry_attempts` times in all. A connection that could not be made (refused,
   connect timeout) never reached the service: it is sent again after the backoff, without a
   lookup. When the attempts are spent, the last error is raised (its status and request id),
   its message saying that the create was looked up and not found, so it is safe to try
   again.
5. A create that succeeds or is adopted after a failure that may have reached the service is
   looked up once more: any other resource carrying the same token was made by an earlier
   attempt after its lookup came back empty. Each is deleted with `discard(id)` (by default
   `DELETE <collection>/<id>`) and logged at WARNING; if that delete fails (a volume that is
   not available yet, say) a WARNING names the id and the create still succeeds.

Any other failure (a 4xx other than 429, a 500, a rejected TLS certificate) is raised at once,
with no lookup, as `Session.request` raises it. If the lookup itself fails, the create's error
is raised saying that whether the resource was created is unknown.

```python
created = await guarded_create(
    session, "compute", "/servers", "server", {"server": {...}},
    lookup=lambda name, token: listing(session, "compute", "/servers/detail", "servers",
                                       {"name": f"^{re.escape(name or '')}$"}),
)
created.id, created.request_id, created.response  # response: None when found by the lookup
```
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NamedTuple

import httpx

from powerbridge.client._resource import item_path, json_object
from powerbridge.client.errors import ClientError, HttpError, TransportError, request_id
from powerbridge.client.session import RETRY_STATUSES, Session

logger = logging.getLogger("powerbridge.client")

TOKEN_KEY = "powerbridge:request"  # the metadata key of a create's client token


class Listing(NamedTuple):
    """What a lookup found: the resources' wire bodies, and the list call's request id."""

    rows: list[dict[str, Any]]
    request_id: str | None


Lookup = Callable[[str | None, str], Awaitable[Listing]]
"""`lookup(name, token)`: the resources that may be the create's, listed by the body's name
(None when the body has none: then the token may narrow the list, as cinder's metadata filter
does). `guarded_create` itself checks each row's name and token."""


Discard = Callable[[str], Awaitable[object]]
"""`discard(id)`: delete a duplicate the create made; by default `DELETE <collection>/<id>`."""


class Created(NamedTuple):
    """The created resource's wire body, the request id to trace it, and the `POST`'s response
    (None when the create's answer was lost and the lookup found the resource)."""

    resource: dict[str, Any]
    request_id: str | None
    response: httpx.Response | None

    @property
    def id(self) -> str:
        return str(self.resource.get("id", ""))


async def guarded_create(
    session: Session,
    service_type: str,
    collection: str,
    resource_key: str,
    body: Mapping[str, Any],
    *,
    lookup: Lookup,
    microversion: str | None = None,
    discard: Discard | None = None,
) -> Created:
    """`POST collection` with `body` (`{resource_key: {...}}`), looked up before any retry.

    The answer's `body[resource_key]` is the created resource; see the module docstring for
    when the `POST` is sent again and what is raised."""
    sent = with_token(body, resource_key)
    resource = sent[resource_key]
    name = str(resource["name"]) if resource.get("name") else None
    token = str(resource["metadata"][TOKEN_KEY])
    attempts = max(1, session.retry_attempts)
    attempt = 0
    looked_up = False
    while True:
        try:
            response = await session.request(
                service_type,
                "POST",
                collection,
                json=sent,
                microversion=microversion,
                idempotent=False,
            )
        except (TransportError, HttpError) as error:
            if not _retryable(error):
                raise
            failure: TransportError | HttpError = error
        else:
            created = Created(_resource_in(response, resource_key), request_id(response), response)
            break
        delay = session.retry_delay(attempt)
        if _reached_service(failure):
            looked_up = True
            await session.pause(delay)  # a slow service may still be making it: give it time
            found = await _look_up(lookup, resource_key, name, token, failure)
            if found is not None:
                created = found
                break
        if attempt + 1 >= attempts:
            failure.amend(_nothing_created(resource_key, attempts, looked_up))
            raise failure
        attempt += 1
        _log_resend(failure, resource_key, name, delay, attempt + 1, attempts)
        if not _reached_service(failure):
            await session.pause(delay)
    if looked_up:  # an earlier attempt may have made one too, after the lookup came back empty
        remove = discard or _deleter(session, service_type, collection)
        await _discard_duplicates(lookup, remove, resource_key, name, token, created.id)
    return created


def with_token(body: Mapping[str, Any], resource_key: str) -> dict[str, Any]:
    """A copy of `body` whose resource carries a client token in its metadata (a token already
    there is kept)."""
    resource = body.get(resource_key)
    if not isinstance(resource, Mapping):
        raise ValueError(f"a create body needs a {resource_key!r} object")
    metadata = dict(resource.get("metadata") or {})
    metadata.setdefault(TOKEN_KEY, uuid.uuid4().hex)
    return {**body, resource_key: {**resource, "metadata": metadata}}


async def listing(
    session: Session,
    service_type: str,
    path: str,
    key: str,
    params: Mapping[str, str],
    *,
    microversion: str | None = None,
) -> Listing:
    """One `GET path` with `params` (a filter by name or token: what it returns fits in one
    page) and the rows of its `key` list; the building block of a `Lookup`."""
    response = await session.request(
        service_type, "GET", path, params=params, microversion=microversion
    )
    body = json_object(response.json() if response.content else {}, service_type, path)
    page = body.get(key)
    if not isinstance(page, list):
        raise ClientError(f"{service_type} GET {path}: the answer has no {key!r} list")
    return Listing([row for row in page if isinstance(row, dict)], request_id(response))


def _retryable(error: TransportError | HttpError) -> bool:
    """Whether sending the create again may succeed: no answer (but not a rejected TLS
    certificate), or 429, 502, 503, 504."""
    if isinstance(error, TransportError):
        return not error.tls_failure
    return error.status in RETRY_STATUSES


def _reached_service(error: TransportError | HttpError) -> bool:
    """Whether the service may have seen the create (a refused connection: it did not)."""
    return not isinstance(error, TransportError) or error.sent


def _log_resend(
    failure: TransportError | HttpError,
    kind: str,
    name: str | None,
    delay: float,
    attempt: int,
    attempts: int,
) -> None:
    if _reached_service(failure):
        logger.info(
            "%s; after %.2f s no %s %s carries its token, so none was created: sending it "
            "again (attempt %d of %d)",
            _described(failure),
            delay,
            kind,
            _named(name),
            attempt,
            attempts,
        )
        return
    logger.info(
        "%s; it never reached the service: sending it again in %.2f s (attempt %d of %d)",
        _described(failure),
        delay,
        attempt,
        attempts,
    )


def _nothing_created(kind: str, attempts: int, looked_up: bool) -> str:
    tries = "sent once" if attempts == 1 else f"sent {attempts} times"
    how = "looked up by name and token, not found" if looked_up else "never reached the service"
    return f"{tries}, {how}: no {kind} was created, it is safe to try again"


async def _look_up(
    lookup: Lookup,
    kind: str,
    name: str | None,
    token: str,
    failure: TransportError | HttpError,
) -> Created | None:
    """The resource the failed create made (found by its token), or None if there is none."""
    try:
        found = await lookup(name, token)
    except ClientError as problem:
        failure.amend(f"whether a {kind} was created is unknown: looking it up failed ({problem})")
        failure.hint = failure.hint or f"list the {kind}s {_named(name)} before trying again"
        raise failure from problem
    ours = [row for row in found.rows if _carries(row, name, token)]
    if not ours:
        return None
    adopted = ours[0]
    failed_id = failure.request_id if isinstance(failure, HttpError) else None
    created = Created(adopted, failed_id or found.request_id, None)
    logger.warning(
        "%s, yet the %s was created: %s %s (id %s) carries its token (%s=%s; lookup request %s)%s",
        _described(failure),
        kind,
        kind,
        _named(name),
        created.id,
        TOKEN_KEY,
        token,
        found.request_id or "without a request id",
        f"; {len(ours) - 1} more carry it: {', '.join(str(r.get('id')) for r in ours[1:])}"
        if len(ours) > 1
        else "",
    )
    return created


def _deleter(session: Session, service_type: str, collection: str) -> Discard:
    async def delete(resource_id: str) -> object:
        return await session.request(
            service_type,
            "DELETE",
            item_path(collection, resource_id),
            expected=(200, 202, 204, 404),
        )

    return delete


async def _discard_duplicates(
    lookup: Lookup,
    discard: Discard,
    kind: str,
    name: str | None,
    token: str,
    kept: str,
) -> None:
    """Delete every other resource carrying the create's token: an earlier attempt whose
    answer was lost made it after the lookup had come back empty."""
    try:
        found = await lookup(name, token)
    except ClientError as problem:
        logger.warning(
            "could not check for duplicates of %s %s (%s=%s): looking them up failed (%s)",
            kind,
            kept,
            TOKEN_KEY,
            token,
            problem,
        )
        return
    for row in found.rows:
        duplicate = str(row.get("id", ""))
        if not duplicate or duplicate == kept or not _carries(row, name, token):
            continue
        what = (
            f"{kind} {_named(name)} (id {duplicate}), a duplicate of {kept} (same"
            f" {TOKEN_KEY}={token}) made by an attempt whose answer was lost"
        )
        try:
            await discard(duplicate)
        except ClientError as problem:
            logger.warning("could not delete %s: %s; delete it by hand", what, problem)
        else:
            logger.warning("deleted %s", what)


def _carries(row: Mapping[str, Any], name: str | None, token: str) -> bool:
    metadata = row.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get(TOKEN_KEY) != token:
        return False
    return name is None or row.get("name") == name


def _resource_in(response: httpx.Response, resource_key: str) -> dict[str, Any]:
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = {}
    resource = body.get(resource_key) if isinstance(body, dict) else None
    return dict(resource) if isinstance(resource, dict) else {}


def _described(failure: TransportError | HttpError) -> str:
    """`compute POST <url> -> 503 Service Unavailable (request req-1)`, or the transport's
    reason when there was no answer."""
    where = f"{failure.service} {failure.method} {failure.url}"
    if isinstance(failure, HttpError):
        return (
            f"{where} -> {failure.status} {failure.reason} "
            f"(request {failure.request_id or 'id missing'})"
        )
    return f"{where} -> no answer: {failure.reason} (no request id)"


def _named(name: str | None) -> str:
    return f"named {name!r}" if name is not None else "without a name"
