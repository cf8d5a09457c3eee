"""A declarative route table per service, and the one wrapper every endpoint runs through.

The wrapper does, in order: assign the request id, run due lifecycle steps, authenticate
(unless the route is public), apply API-fault behaviours (a `reset_connection` one cuts the
connection), parse the JSON body and the microversion, call the synchronous handler (an
`after_handling` fault replaces its answer), then render the reply or the `ApiError` in the
service's own envelope, add the request-id headers and write the API log line.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route, Router
from starlette.types import Receive, Scope, Send

from powerbridge.emulator.api.envelopes import error_body
from powerbridge.emulator.api.microversions import Microversion, MicroversionRange
from powerbridge.emulator.connection_reset import ConnectionCut
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.logs import LogContext

if TYPE_CHECKING:
    from powerbridge.emulator.backend.behaviours import ApiFault
    from powerbridge.emulator.backend.identity_records import Caller
    from powerbridge.emulator.state import Emulator

JSON = "application/json"
# built once: json.dumps with options builds an encoder per call. A reply is plain data built
# per request, never circular: not tracking every container it holds makes a 2 MB server page
# encode in two thirds of the time, the same bytes
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def json_bytes(value: Any) -> bytes:
    """A reply body as every route sends it: compact JSON, non-ASCII escaped."""
    return _ENCODER.encode(value).encode()


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON
    raw: bytes | None = None  # already-encoded body (image data, text)


@dataclass
class Call:
    """Everything a handler may read about one request."""

    emulator: Emulator
    request: Request
    request_id: str
    params: dict[str, str]
    body: Any
    raw_body: bytes
    caller: Caller | None
    microversion: Microversion | None

    @property
    def query(self) -> Any:
        return self.request.query_params

    def at_least(self, version: str) -> bool:
        """Whether the request negotiated `version` or later (never on unversioned routes)."""
        return self.microversion is not None and self.microversion.at_least(version)

    @property
    def auth(self) -> Caller:
        if self.caller is None:  # only public routes lack a caller, and they never ask
            raise ApiError("unauthorized", "The request you have made requires authentication.")
        return self.caller

    def log_context(self) -> LogContext:
        caller = self.caller
        return LogContext(
            self.request_id,
            caller.user_id if caller else "-",
            caller.project_id or "-" if caller else "-",
        )

    def base_url(self) -> str:
        """The URL clients used to reach this service root (for `links`); computed once per
        request, as list views ask for it per item."""
        if self._base_url is None:
            self._base_url = self.emulator.service_url(self.service_name, self.request)
        return self._base_url

    service_name: str = ""
    _base_url: str | None = None


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class ServiceInfo:
    name: str  # catalog service name: identity, compute, image, network, volume, emulator
    log_process: str  # e.g. nova-api
    log_module: str  # e.g. nova.api.openstack.requestlog
    extra_request_id_header: str | None = None  # x-compute-request-id for nova


@dataclass(frozen=True)
class Endpoint:
    """One row of a service's route table: `microversions=True` means the table's range."""

    method: str
    path: str
    handler: Handler
    public: bool = False
    microversions: MicroversionRange | bool | None = True
    raw_body: bool = False

    @property
    def versions(self) -> MicroversionRange | None:
        """The range this route negotiates, once its table resolved `True`."""
        return self.microversions if isinstance(self.microversions, MicroversionRange) else None


class RouteTable:
    def __init__(
        self,
        service: ServiceInfo,
        microversions: MicroversionRange | None = None,
        endpoints: Iterable[Endpoint] = (),
        *,
        trailing_slash: bool = True,
    ):
        """`trailing_slash`: also answer `<path>/` on authenticated routes. Glance and cinder
        do not (`GET /v2/images/` is a 404 there, and tempest checks it); version documents
        (public routes) always answer both, as keystoneauth's discovery asks for either.
        A (method, path) routed twice is refused here, at start-up: it used to replace the
        first handler silently."""
        self.service = service
        self.microversions = microversions
        self.trailing_slash = trailing_slash
        self._endpoints: dict[tuple[str, str], Endpoint] = {}
        for endpoint in endpoints:
            self.add(endpoint)

    @property
    def endpoints(self) -> list[Endpoint]:
        """The rows in registration order, each with its microversion range resolved."""
        return list(self._endpoints.values())

    def add(self, endpoint: Endpoint) -> None:
        key = (endpoint.method, endpoint.path)
        taken = self._endpoints.get(key)
        if taken is not None:
            raise ValueError(
                f"{endpoint.method} {endpoint.path} is routed twice: to "
                f"{handler_name(taken.handler)} and to {handler_name(endpoint.handler)}"
            )
        versions = endpoint.microversions
        resolved = self.microversions if versions is True else versions or None
        self._endpoints[key] = dataclasses.replace(endpoint, microversions=resolved)

    def build(self, emulator: Emulator) -> Starlette:
        """A Starlette app for this service, rooted at the service's own URL root."""
        by_path: dict[str, dict[str, Endpoint]] = {}
        for spec in self._endpoints.values():
            by_path.setdefault(spec.path, {})[spec.method] = spec
        routes = []
        for path, methods in by_path.items():
            endpoint = _make_endpoint(emulator, self.service, methods)
            allowed = [*methods, *(["HEAD"] if "GET" in methods and "HEAD" not in methods else [])]
            routes.append(Route(path, endpoint, methods=allowed))
            public = any(spec.public for spec in methods.values())
            if path != "/" and not path.endswith("/") and (self.trailing_slash or public):
                routes.append(Route(path + "/", endpoint, methods=allowed))

        async def unmatched(request: Request, exc: Exception) -> Response:
            started = time.perf_counter()
            request_id = _new_request_id()
            status = exc.status_code if isinstance(exc, HTTPException) else 404
            message = (
                "The method specified is not allowed for this resource."
                if status == 405
                else "The resource could not be found."
            )
            error = ApiError("itemNotFound", message, status=status)
            response = _error_response(emulator, self.service, request, request_id, error)
            if isinstance(exc, HTTPException) and exc.headers:
                response.headers.update(exc.headers)  # a 405 MUST send Allow (RFC 9110 15.5.6)
            # logged like every routed request, so a client's wrong URL shows in the API log
            _log_request(
                emulator, self.service, request, request_id, None, status, response, started
            )
            return response

        app = Starlette(exception_handlers={HTTPException: unmatched})
        app.router = IndexedRouter(routes)
        return app


class IndexedRouter(Router):
    """Starlette's router tries every route in turn: for nova's 160 that was most of a server
    show's time. This one only tries the routes that can match the path's shape: as many
    segments (a `{param}` matches exactly one), and the same last segment when it is a literal.
    Among those the order of registration holds, so the first full match wins as before, and a
    path that only matches with another method is still a 405. No slash redirects."""

    def __init__(self, routes: list[Route]) -> None:
        super().__init__(routes=list(routes), redirect_slashes=False)
        by_param: dict[int, list[tuple[int, Route]]] = {}
        by_literal: dict[tuple[int, str], list[tuple[int, Route]]] = {}
        for order, route in enumerate(routes):
            segments = route.path.split("/")
            last = segments[-1]
            if last.startswith("{"):
                by_param.setdefault(len(segments), []).append((order, route))
            else:
                by_literal.setdefault((len(segments), last), []).append((order, route))
        self._by_param = {count: [r for _, r in rows] for count, rows in by_param.items()}
        self._by_literal = {
            key: [r for _, r in sorted(rows + by_param.get(key[0], []), key=lambda e: e[0])]
            for key, rows in by_literal.items()
        }

    def candidates(self, path: str) -> list[Route]:
        segments = path.split("/")
        count = len(segments)
        found = self._by_literal.get((count, segments[-1]))
        return found if found is not None else self._by_param.get(count, [])

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        scope.setdefault("router", self)
        root = scope.get("root_path", "")
        path: str = scope["path"]
        route_path = path[len(root) :] if root and path.startswith(root) else path
        partial: tuple[Route, Scope] | None = None
        for route in self.candidates(route_path):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial = (route, child_scope)
        if partial is not None:  # the path is right, the method is not: a 405
            route, child_scope = partial
            scope["route"] = route
            scope.update(child_scope)
            await route.handle(scope, receive, send)
            return
        await self.default(scope, receive, send)


def handler_name(handler: Handler) -> str:
    """`module.function` of a handler, seen through `functools.wraps` and `partial`."""
    while isinstance(handler, functools.partial) or hasattr(handler, "__wrapped__"):
        handler = handler.func if isinstance(handler, functools.partial) else handler.__wrapped__
    return f"{handler.__module__}.{handler.__qualname__}"


def _new_request_id() -> str:
    return f"req-{uuid.uuid4()}"


def _make_endpoint(
    emulator: Emulator, service: ServiceInfo, methods: dict[str, Endpoint]
) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        request_id = _new_request_id()
        method = request.method
        spec = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
        caller: Caller | None = None
        status = 500
        try:
            if spec is None:
                raise ApiError(
                    "notAllowed", "The method specified is not allowed for this resource."
                )
            emulator.engine.run_due()
            if not spec.public:
                caller = emulator.identity.authenticate(request.headers.get("x-auth-token"))
                if caller.app_cred_id:  # keystonemiddleware's access-rule check
                    relative = request.url.path.removeprefix(request.scope.get("root_path", ""))
                    emulator.identity.check_access_rules(caller, service.name, method, relative)
            fault = emulator.behaviours.api_fault(service.name, method, request.url.path)
            if fault is not None and not fault.after_handling:
                await _apply_api_fault(fault)
            raw = await request.body() if method in ("POST", "PUT", "PATCH") else b""
            call = Call(
                emulator=emulator,
                request=request,
                request_id=request_id,
                params=dict(request.path_params),
                body=raw if spec.raw_body else _parse_json(raw, request),
                raw_body=raw,
                caller=caller,
                microversion=spec.versions.negotiate(request.headers) if spec.versions else None,
                service_name=service.name,
            )
            reply = spec.handler(call)
            response = _reply_response(reply, method, call.microversion, spec.versions)
            if fault is not None and fault.after_handling:
                if fault.reset:  # done, the answer cut halfway
                    _stamp(response, service, request_id)
                    response = emulator.connections.cut(request, response)
                else:
                    await _apply_api_fault(fault)  # done, but the answer is lost
        except ApiError as error:
            response = _error_response(emulator, service, request, request_id, error)
        except ConnectionCut:  # before the call is carried out: nothing answered
            response = emulator.connections.cut(request, None)
        status = response.status_code
        _stamp(response, service, request_id)
        _log_request(emulator, service, request, request_id, caller, status, response, started)
        return response

    return endpoint


def _parse_json(raw: bytes, request: Request) -> Any:
    if not raw:
        return None
    content_type = request.headers.get("content-type", JSON)
    if "json" not in content_type:
        raise ApiError(
            "badRequest",
            f"Unsupported Content-Type {content_type!r}: send application/json",
            status=415,
        )
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("badRequest", "Malformed request body: not valid JSON.") from None


async def _apply_api_fault(fault: ApiFault) -> None:
    if fault.latency:
        await asyncio.sleep(fault.latency)
    if fault.reset:
        raise ConnectionCut
    if fault.status:
        raise ApiError(
            "serviceUnavailable",
            fault.message or "The service is unavailable (injected fault).",
            status=fault.status,
        )


def _reply_response(
    reply: Reply,
    method: str,
    microversion: Microversion | None,
    versions: MicroversionRange | None,
) -> Response:
    if reply.raw is not None:
        content = reply.raw
    elif reply.body is None:
        content = b""
    else:
        content = json_bytes(reply.body)
    headers = dict(reply.headers)
    if microversion is not None and versions is not None:
        headers.update(versions.response_headers(microversion))
    if method == "HEAD":
        headers["content-length"] = str(len(content))
        content = b""
    media = reply.content_type if content or reply.raw is not None else None
    return Response(content, status_code=reply.status, headers=headers, media_type=media)


def _error_response(
    emulator: Emulator, service: ServiceInfo, request: Request, request_id: str, error: ApiError
) -> Response:
    body = json_bytes(error_body(service.name, error))
    headers = {}
    if error.status == 401:
        headers["www-authenticate"] = f'Keystone uri="{emulator.identity_url(request)}"'
    response = Response(body, status_code=error.status, headers=headers, media_type=JSON)
    _stamp(response, service, request_id)
    return response


def _stamp(response: Response, service: ServiceInfo, request_id: str) -> None:
    response.headers["x-openstack-request-id"] = request_id
    if service.extra_request_id_header:
        response.headers[service.extra_request_id_header] = request_id


def _log_request(
    emulator: Emulator,
    service: ServiceInfo,
    request: Request,
    request_id: str,
    caller: Caller | None,
    status: int,
    response: Response,
    started: float,
) -> None:
    context = LogContext(
        request_id,
        caller.user_id if caller else "-",
        (caller.project_id or "-") if caller else "-",
    )
    client = request.client.host if request.client else "-"
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    length = response.headers.get("content-length", "0")
    elapsed = time.perf_counter() - started
    level = "INFO" if 0 < status < 500 else "ERROR"  # 0: the connection was reset
    emulator.logs.write(
        service.log_process,
        level,
        service.log_module,
        f'{client} "{request.method} {path}" status: {status} len: {length} time: {elapsed:.7f}',
        context,
    )
