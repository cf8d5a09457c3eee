"""An authenticated, retrying HTTP session to one PowerVC (OpenStack) cloud.

`Session(config)` gets a Keystone v3 token (password or application credential) on first use,
renews it shortly before it expires and once when a service answers 401, and finds each
service's URL in the token's catalog, so both PowerVC URL forms (`https://h:8774/v2.1/<tenant>`
and `https://h/powervc/openstack/compute/v2.1/<tenant>`) work alike. `request(service_type,
method, path)` joins `path` to that URL, retries idempotent calls on connection errors and
429/502/503/504 with exponential backoff and full jitter, and turns an error status into the
`HttpError` subclass of `powerbridge.client.errors`.

A create (POST) is sent once here: it is not idempotent. The SDK's creates go through
`powerbridge.client._guarded`, which looks a failed create up by name and client token before
sending it again, with this session's backoff (`retry_delay`, `pause`) and budget
(`retry_attempts`).

TLS verification is on by default against the system trust store (`SSL_CERT_FILE` honoured);
`cacert` names a CA bundle instead (PowerVC's self-signed certificate); `verify=False` works and
logs a warning every time a session is created.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from powerbridge import __version__
from powerbridge.client import trace
from powerbridge.client.config import CloudConfig, normalize_interface
from powerbridge.client.errors import (
    ClientError,
    ConfigError,
    EndpointNotFound,
    TransportError,
    UnsupportedVersion,
    http_error,
)

logger = logging.getLogger("powerbridge.client")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# every catalog type cinder goes by, in order of preference (v3 first)
VOLUME_TYPES = ("volumev3", "block-storage", "volume", "volumev2")
RENEW_BEFORE = 300.0  # renew a token when 5 minutes...
RENEW_FRACTION = 0.1  # ...or 10% of its life is left, whichever is shorter
DEFAULT_DOMAIN_ID = "default"
_TENANT = re.compile(r"[%$]\((?:tenant_id|project_id)\)s")

Sleep = Callable[[float], Awaitable[None]]
Version = tuple[int, int]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base*2**n))."""

    attempts: int = 4
    base: float = 0.2
    cap: float = 5.0

    def delay(self, attempt: int, uniform: float) -> float:
        return uniform * min(self.cap, self.base * 2.0**attempt)


@dataclass(frozen=True)
class Endpoint:
    """One catalog entry: a service's URL for one interface in one region."""

    service_type: str
    service_name: str
    interface: str
    region: str | None
    url: str


@dataclass(frozen=True)
class Token:
    """A Keystone v3 token and what its body says. `repr` hides the token itself."""

    value: str = field(repr=False)
    expires_at: datetime
    issued_at: datetime | None
    user_id: str
    user_name: str | None
    project_id: str | None
    project_name: str | None
    roles: tuple[str, ...]
    catalog: tuple[Endpoint, ...] = field(repr=False)
    renew_at: float = field(repr=False)  # on the session's clock: renew from then on

    def endpoint(
        self, service_type: str, interface: str = "public", region: str | None = None
    ) -> str:
        """The URL of `service_type` (any of cinder's aliases for volume), tenant substituted."""
        for candidate in service_types(service_type):
            for entry in self.catalog:
                if (
                    entry.service_type == candidate
                    and entry.interface == interface
                    and (region is None or entry.region == region)
                ):
                    return _TENANT.sub(self.project_id or "", entry.url)
        raise self._no_endpoint(service_type, interface, region)

    def _no_endpoint(self, service_type: str, interface: str, region: str | None) -> ClientError:
        types = ", ".join(sorted({e.service_type for e in self.catalog})) or "nothing"
        regions = ", ".join(sorted({e.region or "none" for e in self.catalog})) or "none"
        where = f"interface {interface}" + (f", region {region}" if region else "")
        return EndpointNotFound(
            f"no {service_type} endpoint ({where}) in the service catalog, which has: {types} "
            f"(regions: {regions})",
            hint="check the region (OS_REGION_NAME, region_name) and interface (OS_INTERFACE)",
        )


def service_types(service_type: str) -> tuple[str, ...]:
    """The catalog types to look for, in order: cinder's aliases, an explicit v2 first."""
    if service_type == "volumev2":
        return ("volumev2", *(t for t in VOLUME_TYPES if t != "volumev2"))
    return VOLUME_TYPES if service_type in VOLUME_TYPES else (service_type,)


def service_name(service_type: str) -> str:
    """The name in errors and in `OpenStack-API-Version` (cinder is `volume`)."""
    return "volume" if service_type in VOLUME_TYPES else service_type


@dataclass(frozen=True)
class _Call:
    service_type: str
    method: str
    path: str
    json: Any
    params: Mapping[str, Any] | None
    headers: dict[str, str]
    retrying: bool

    @property
    def service(self) -> str:
        return service_name(self.service_type)


class Session:
    """One authenticated HTTP client for one cloud. Use it as an async context manager."""

    def __init__(
        self,
        config: CloudConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        uniform: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
        token: Token | None = None,
    ) -> None:
        """`token`: one already issued for this config (a portal's signed-in user), used
        until its renewal time instead of asking Keystone for a first one."""
        _check(config)
        self.config = config
        self._interface = normalize_interface(config.interface)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._uniform = uniform
        self._clock = clock
        self._token: Token | None = token
        self._auth_lock = asyncio.Lock()
        self._versions: dict[str, tuple[Version, Version | None]] = {}
        verify: ssl.SSLContext | bool = False  # unused with TrustOnDemand
        if transport is None and config.verify and config.cacert is None and not _proxied():
            transport = TrustOnDemand(lambda: _tls(config))  # no trust store for http://
        else:
            verify = _tls(config)
        self._client = httpx.AsyncClient(
            transport=transport,
            verify=verify,
            timeout=config.timeout,
            headers={"User-Agent": f"powerbridge/{__version__}", "Accept": "application/json"},
        )
        if not config.verify:
            logger.warning(
                "TLS verification is disabled: the certificate of %s is not checked "
                "(--insecure); pass --os-cacert with PowerVC's CA certificate instead",
                urlsplit(config.auth_url).netloc,
            )

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- public API -----------------------------------------------------------------------
    async def authenticate(self) -> Token:
        """The current token: a new one on first use and when the old one is about to expire."""
        token = self._token
        if token is None or self._clock() >= token.renew_at:
            token = await self._replace(token)
        return token

    async def endpoint(self, service_type: str) -> str:
        """The catalog URL of `service_type` for the configured interface and region."""
        token = await self.authenticate()
        return token.endpoint(service_type, self._interface, self.config.region_name)

    async def request(
        self,
        service_type: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        microversion: str | None = None,
        idempotent: bool | None = None,
        expected: Collection[int] | None = None,
    ) -> httpx.Response:
        """Send `method` to `path` under the service's endpoint (or to a full URL).

        Idempotent calls (GET, HEAD, PUT, DELETE unless `idempotent` says otherwise) are
        retried on connection errors, 429, 502, 503 and 504; a 401 renews the token once.
        Others (POST) are sent once: a create is retried only by `_guarded.guarded_create`,
        after a lookup shows it made nothing.
        A status in `expected` is returned; any other status from 400 up raises an
        `HttpError`, as does a success outside `expected` when it is given."""
        method = method.upper()
        call = _Call(
            service_type,
            method,
            path,
            json,
            params,
            {**(headers or {}), **_microversion_headers(service_name(service_type), microversion)},
            method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
        )
        token = await self.authenticate()
        response = await self._call(token, call)
        if response.status_code == 401:
            await response.aclose()
            response = await self._call(await self._replace(token), call)
        _raise_unexpected(response, call.service, expected)
        return response

    @property
    def retry_attempts(self) -> int:
        """How many times a retried call is sent at most (the first attempt included)."""
        return self._retry.attempts

    def retry_delay(self, attempt: int) -> float:
        """The backoff after failed attempt `attempt` (0 for the first), full jitter applied."""
        return self._retry.delay(attempt, self._uniform())

    async def pause(self, seconds: float) -> None:
        """Wait with the session's sleep (a test injects one that does not wait)."""
        await self._sleep(seconds)

    async def negotiate(self, service_type: str, wanted: str) -> str:
        """The microversion to use: `wanted` ("2.60" or "latest"), lowered to the server's
        maximum. The service's version document is read once per session."""
        service = service_name(service_type)
        if service not in self._versions:
            self._versions[service] = await self._version_range(service_type)
        low, high = self._versions[service]
        if high is None:
            raise UnsupportedVersion(f"{service} does not support microversions")
        if wanted.strip().lower() == "latest":
            return _format_version(high)
        version = _parse_version(wanted)
        if version < low:
            raise UnsupportedVersion(
                f"{service} microversion {wanted} is below the minimum the server offers "
                f"({_format_version(low)} to {_format_version(high)})"
            )
        return _format_version(min(version, high))

    # -- tokens ---------------------------------------------------------------------------
    async def _replace(self, stale: Token | None) -> Token:
        """A new token unless another task already replaced `stale` while we waited."""
        async with self._auth_lock:
            token = self._token
            if token is None or token is stale:
                token = self._token = await self._issue_token()
                if stale is not None:  # counted by the reliability runs: keep the wording
                    logger.info("renewed the token (the old one expires at %s)", stale.expires_at)
            return token

    async def _issue_token(self) -> Token:
        request = self._client.build_request(
            "POST", tokens_url(self.config.auth_url), json=auth_body(self.config)
        )
        sent_at = self._clock()
        response = await self._send(request, "identity", retrying=True)
        if response.status_code >= 400:
            hint = _auth_hint(self.config) if response.status_code == 401 else None
            raise http_error(response, "identity", hint=hint)
        try:
            body = response.json()
        except ValueError:
            body = None
        return parse_token(response.headers.get("x-subject-token"), body, sent_at)

    # -- sending --------------------------------------------------------------------------
    async def _call(self, token: Token, call: _Call) -> httpx.Response:
        url = call.path
        if not url.startswith(("http://", "https://")):
            endpoint = token.endpoint(call.service_type, self._interface, self.config.region_name)
            url = join_url(endpoint, call.path)
        request = self._client.build_request(
            call.method,
            url,
            json=call.json,
            params=call.params,
            headers={**call.headers, "X-Auth-Token": token.value},
        )
        return await self._send(request, call.service, call.retrying)

    async def _send(self, request: httpx.Request, service: str, retrying: bool) -> httpx.Response:
        attempts = self._retry.attempts if retrying else 1
        attempt = 0
        reached = False  # an earlier attempt may have been carried out by the service
        why = ""
        while True:
            started = time.perf_counter()
            try:
                response = await self._client.send(request)
            except httpx.TransportError as error:
                trace.failure(service, request, error, time.perf_counter() - started)
                if attempt + 1 >= attempts:
                    raise _transport_error(error, service, request) from error
                why = type(error).__name__
                reached = reached or not isinstance(error, _NOT_SENT)
            else:
                trace.exchange(service, response, time.perf_counter() - started)
                if reached and request.method == "DELETE" and response.status_code == 404:
                    return await _deleted_earlier(request, response, why)
                if attempt + 1 >= attempts or response.status_code not in RETRY_STATUSES:
                    return response
                await response.aclose()
                why = f"{response.status_code} {response.reason_phrase}"
                reached = reached or response.status_code >= 500
            delay = self.retry_delay(attempt)
            attempt += 1
            trace.retry(request, why, attempt, attempts, delay)
            await self.pause(delay)

    # -- microversions --------------------------------------------------------------------
    async def _version_range(self, service_type: str) -> tuple[Version, Version | None]:
        token = await self.authenticate()
        root = _without_project(await self.endpoint(service_type), token.project_id)
        for url in _version_urls(root):
            response = await self.request(service_type, "GET", url, expected=(200, 300, 404))
            entry = _version_entry(response, root) if response.status_code != 404 else None
            if entry is not None:
                return _version_bounds(entry)
        raise UnsupportedVersion(f"{service_name(service_type)} at {root} lists no versions")


async def _deleted_earlier(
    request: httpx.Request, response: httpx.Response, why: str
) -> httpx.Response:
    """A retried DELETE answered 404 after an attempt that may have reached the service
    (5xx, a lost answer): that attempt deleted it. A 204 in place of the 404, same headers."""
    logger.info(
        "%s %s: 404 on a retry after %s: an earlier attempt deleted it",
        request.method,
        request.url,
        why,
    )
    await response.aread()
    await response.aclose()
    body_headers = {"content-length", "content-type", "content-encoding", "transfer-encoding"}
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in body_headers]
    return httpx.Response(204, headers=headers, request=request)


# -- configuration ----------------------------------------------------------------------------
def _check(config: CloudConfig) -> None:
    missing = config.missing()
    if missing:
        names = ", ".join(" or ".join(group) for group in missing)
        raise ConfigError(f"the cloud configuration lacks {names}")
    if not config.auth_url.startswith(("https://", "http://")):
        raise ConfigError(
            f"auth URL {config.auth_url!r} must start with https:// (or http://), "
            "e.g. https://powervc.example.com:5000/v3"
        )


class TrustOnDemand(httpx.AsyncBaseTransport):
    """The default transport, reading the system trust store only for the first https://
    request. Loading it (`SSL_CERT_FILE`, or the OS bundle) takes 40-80 ms, the larger part
    of a short command against a plain-http cloud (the emulator, a lab PowerVC); an https
    cloud pays it once, as before. Used only without proxies in the environment: httpx sets
    up those itself when it builds the transport."""

    def __init__(self, secure_context: Callable[[], ssl.SSLContext | bool]) -> None:
        self._secure_context = secure_context
        self._plain: httpx.AsyncBaseTransport | None = None
        self._secure: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport(request.url.scheme).handle_async_request(request)

    def _transport(self, scheme: str) -> httpx.AsyncBaseTransport:
        if scheme == "https":
            if self._secure is None:
                self._secure = httpx.AsyncHTTPTransport(verify=self._secure_context())
            return self._secure
        if self._plain is None:  # no TLS on http://, nor httpcore's imports (plain_http)
            from powerbridge.client.plain_http import PlainHTTPTransport

            self._plain = PlainHTTPTransport()
        return self._plain

    async def aclose(self) -> None:
        for transport in (self._plain, self._secure):
            if transport is not None:
                await transport.aclose()


def _proxied() -> bool:
    """Whether the environment names a proxy (HTTPS_PROXY, ALL_PROXY...): httpx honours
    those only for the transport it builds itself."""
    import urllib.request

    return bool(urllib.request.getproxies())


def _tls(config: CloudConfig) -> ssl.SSLContext | bool:
    if not config.verify:
        return False
    try:
        return ssl.create_default_context(cafile=config.cacert)
    except (OSError, ssl.SSLError) as problem:
        reason = getattr(problem, "strerror", None) or str(problem)
        raise ConfigError(
            f"cannot use the CA bundle {config.cacert} (--os-cacert): {reason}"
        ) from None


def _auth_hint(config: CloudConfig) -> str:
    if config.auth_type == "v3token":
        return "the token expired or was revoked: sign in again"
    if config.auth_type == "v3applicationcredential":
        return (
            "check the application credential (OS_APPLICATION_CREDENTIAL_ID or _NAME, "
            "OS_APPLICATION_CREDENTIAL_SECRET): it may be wrong, expired or deleted"
        )
    return (
        "check the user name, password, domain and project (OS_USERNAME, OS_PASSWORD, "
        "OS_USER_DOMAIN_NAME, OS_PROJECT_NAME, or the cloud's auth: in clouds.yaml)"
    )


# -- keystone ---------------------------------------------------------------------------------
def tokens_url(auth_url: str) -> str:
    """`{auth_url}/auth/tokens` for a v3 URL; an unversioned URL gets `/v3` first."""
    base = auth_url.rstrip("/")
    last = base.rsplit("/", 1)[-1]
    if re.fullmatch(r"v3(\.\d+)?", last):
        return f"{base}/auth/tokens"
    if re.fullmatch(r"v2(\.\d+)?", last):
        raise ConfigError(
            f"auth URL {auth_url} is Keystone v2, which PowerVC does not offer: use its /v3 URL"
        )
    return f"{base}/v3/auth/tokens"


def auth_body(config: CloudConfig) -> dict[str, Any]:
    """The `POST /v3/auth/tokens` body for the configured auth type."""
    if config.auth_type == "v3applicationcredential":
        credential: dict[str, Any] = {"secret": config.application_credential_secret}
        if config.application_credential_id:
            credential["id"] = config.application_credential_id
        else:
            credential["name"] = config.application_credential_name
            credential["user"] = _user(config)
        identity = {"methods": ["application_credential"], "application_credential": credential}
        return {"auth": {"identity": identity}}  # scoped by the credential itself
    if config.auth_type == "v3token":  # keystone keeps the token's expiry: no extension
        identity = {"methods": ["token"], "token": {"id": config.token}}
        return {"auth": {"identity": identity, "scope": {"project": _project(config)}}}
    user = {**_user(config), "password": config.password}
    return {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": user}},
            "scope": {"project": _project(config)},
        }
    }


def _user(config: CloudConfig) -> dict[str, Any]:
    if config.user_id:
        return {"id": config.user_id}
    return {
        "name": config.username,
        "domain": _domain(config.user_domain_id, config.user_domain_name),
    }


def _project(config: CloudConfig) -> dict[str, Any]:
    if config.project_id:
        return {"id": config.project_id}
    return {
        "name": config.project_name,
        "domain": _domain(config.project_domain_id, config.project_domain_name),
    }


def _domain(domain_id: str | None, name: str | None) -> dict[str, str]:
    if domain_id:
        return {"id": domain_id}
    return {"name": name} if name else {"id": DEFAULT_DOMAIN_ID}


def parse_token(value: str | None, body: Any, sent_at: float) -> Token:
    """A `Token` from keystone's answer; `sent_at` (the session's clock when the request
    left) anchors the renewal time, so a skewed client clock does not matter."""
    if not value:
        raise ClientError("identity answered without an X-Subject-Token header")
    try:
        data = body["token"]
        expires = _timestamp(data["expires_at"])
        issued = _timestamp(data["issued_at"]) if data.get("issued_at") else None
        user = data["user"]
        project = data.get("project") or {}
        roles = tuple(str(role["name"]) for role in data.get("roles") or ())
        catalog = _catalog(data.get("catalog") or ())
    except (KeyError, TypeError, ValueError, AttributeError) as problem:
        raise ClientError(
            f"identity returned a token body that cannot be read ({problem!r})"
        ) from None
    lifetime = (expires - (issued or datetime.now(UTC))).total_seconds()
    margin = min(RENEW_BEFORE, RENEW_FRACTION * lifetime)
    return Token(
        value=value,
        expires_at=expires,
        issued_at=issued,
        user_id=str(user["id"]),
        user_name=user.get("name"),
        project_id=project.get("id"),
        project_name=project.get("name"),
        roles=roles,
        catalog=catalog,
        renew_at=sent_at + lifetime - margin,
    )


def _timestamp(text: str) -> datetime:
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _catalog(services: Any) -> tuple[Endpoint, ...]:
    return tuple(
        Endpoint(
            service_type=str(service["type"]),
            service_name=str(service.get("name") or ""),
            interface=str(endpoint.get("interface") or "public"),
            region=endpoint.get("region_id") or endpoint.get("region"),
            url=str(endpoint["url"]),
        )
        for service in services
        for endpoint in service.get("endpoints") or ()
        if endpoint.get("url")
    )


# -- URLs, headers, versions ------------------------------------------------------------------
def join_url(endpoint: str, path: str) -> str:
    """`path` under `endpoint`, with exactly one slash between them."""
    if not path:
        return endpoint
    return endpoint.rstrip("/") + "/" + path.lstrip("/")


def _microversion_headers(service: str, microversion: str | None) -> dict[str, str]:
    if not microversion:
        return {}
    headers = {"OpenStack-API-Version": f"{service} {microversion}"}
    if service == "compute":
        headers["X-OpenStack-Nova-API-Version"] = microversion
    return headers


def _raise_unexpected(
    response: httpx.Response, service: str, expected: Collection[int] | None
) -> None:
    status = response.status_code
    if expected is not None and status in expected:
        return
    if status >= 400 or expected is not None:
        raise http_error(response, service)


def _without_project(endpoint: str, project_id: str | None) -> str:
    base = endpoint.rstrip("/")
    if project_id and base.rsplit("/", 1)[-1] == project_id:
        return base.rsplit("/", 1)[0]
    return base


def _version_urls(root: str) -> list[str]:
    """The versioned root (`.../v2.1`), then the service root above it if there is one."""
    if not urlsplit(root).path.strip("/"):
        return [root]
    return [root, root.rsplit("/", 1)[0]]


def _version_entry(response: httpx.Response, root: str) -> dict[str, Any] | None:
    """nova's `{"version": {...}}`, or from a `{"versions": [...]}` list the entry for
    `root`'s version (`v3` matches `v3.0`), else the CURRENT one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("version"), dict):
        return dict(body["version"])
    versions = body.get("versions")
    if isinstance(versions, dict):  # keystone's {"versions": {"values": [...]}}
        versions = versions.get("values")
    entries = [v for v in versions or () if isinstance(v, dict)]
    segment = root.rsplit("/", 1)[-1]
    for entry in entries:
        if str(entry.get("id")) in (segment, f"{segment}.0"):
            return entry
    return next((e for e in entries if str(e.get("status")).upper() == "CURRENT"), None)


def _version_bounds(entry: Mapping[str, Any]) -> tuple[Version, Version | None]:
    high = entry.get("version") or entry.get("max_version")
    low = entry.get("min_version") or high
    if not high:
        return (0, 0), None
    return _parse_version(str(low)), _parse_version(str(high))


def _parse_version(text: str) -> Version:
    major, _, minor = text.strip().partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise ValueError(f"microversion {text!r} is not of the form MAJOR.MINOR")
    return int(major), int(minor)


def _format_version(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


# -- transport errors -------------------------------------------------------------------------
# no connection was made: the request never reached the service
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _transport_error(
    error: httpx.TransportError, service: str, request: httpx.Request
) -> TransportError:
    where: dict[str, Any] = {
        "service": service,
        "method": request.method,
        "url": str(request.url),
        "sent": not isinstance(error, _NOT_SENT),
    }
    reason = _reason(error)
    if _tls_failure(error):
        return TransportError(
            f"TLS verification failed: {reason}",
            hint="pass --os-cacert with PowerVC's CA certificate (cacert: in clouds.yaml, "
            "OS_CACERT); --insecure skips the check",
            tls_failure=True,
            **where,
        )
    if isinstance(error, httpx.TimeoutException):
        return TransportError(
            f"timed out ({type(error).__name__})",
            hint="the service is slow or unreachable; a longer timeout is api_timeout "
            "in clouds.yaml or OS_API_TIMEOUT",
            **where,
        )
    if isinstance(error, httpx.ConnectError):
        return TransportError(
            f"cannot connect: {reason}",
            hint="check the URL and that PowerVC is running and reachable from here",
            **where,
        )
    return TransportError(f"{type(error).__name__}: {reason}", **where)


def _tls_failure(error: BaseException) -> bool:
    seen: BaseException | None = error
    # a chain can loop: a connection reset mid-answer (httpcore re-raises the error it is
    # handling) made A's context B and B's A, and this walk spun for ever
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return re.sub(r"\s*\(_ssl\.c:\d+\)", "", text)
