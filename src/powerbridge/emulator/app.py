"""ASGI apps over one `Emulator`: the proxied single-port app, or one app per service port."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from powerbridge.emulator.api import admin
from powerbridge.emulator.api.routing import RouteTable
from powerbridge.emulator.proxy import ServiceGate, send_unavailable
from powerbridge.emulator.services import SERVICES, ServiceDeclaration
from powerbridge.emulator.state import PROXY_PREFIX, Emulator

TICK_SECONDS = 0.2


def route_table(service: ServiceDeclaration) -> RouteTable:
    """The `routes` table of a declared service's API package."""
    table = importlib.import_module(service.package).routes
    if not isinstance(table, RouteTable):
        raise TypeError(f"{service.package}.routes is not a RouteTable")
    return table


def service_routes() -> dict[str, RouteTable]:
    """Every declared service's route table, by service name."""
    return {service.name: route_table(service) for service in SERVICES}


def _admin_mounts(emulator: Emulator) -> list[BaseRoute]:
    return [
        Mount("/powervc/emulator/v1", admin.routes.build(emulator)),
        Mount("/powervc", admin.version_routes.build(emulator)),
    ]


def create_app(emulator: Emulator) -> Starlette:
    """One app serving every service under PowerVC's `/powervc/openstack/<service>` URLs."""
    services = {name: table.build(emulator) for name, table in service_routes().items()}
    root = Starlette(
        routes=_admin_mounts(emulator),
        lifespan=_lifespan(emulator),
        exception_handlers={HTTPException: _not_found},
    )
    root.add_middleware(_ProxiedServices, services=services, emulator=emulator)
    return root


async def _not_found(request: Request, exc: Exception) -> Response:
    """Paths outside every service still answer in an OpenStack envelope with a request id."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    body = {"itemNotFound": {"code": status, "message": "The resource could not be found."}}
    return JSONResponse(
        body, status_code=status, headers={"x-openstack-request-id": f"req-{uuid.uuid4()}"}
    )


class _ProxiedServices:
    """Send `/powervc/openstack/<service>[/...]` to that service's app by a dict lookup (the
    bare service root included, which a Starlette `Mount` would not match); a service whose
    PowerVC service is stopped gets Apache's 503 page instead."""

    def __init__(self, app: ASGIApp, services: Mapping[str, ASGIApp], emulator: Emulator) -> None:
        self.app = app
        self.services = services
        self.emulator = emulator
        self.prefix = PROXY_PREFIX + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(self.prefix):
            name, slash, _ = path[len(self.prefix) :].partition("/")
            service = self.services.get(name)
            if service is not None:
                if self.emulator.admin_services.api_unavailable(name):
                    await send_unavailable(send)
                    return
                root = self.prefix + name
                child = dict(scope, root_path=scope.get("root_path", "") + root)
                if not slash:
                    child["path"] = root + "/"
                await service(child, receive, send)
                return
        await self.app(scope, receive, send)


def create_port_apps(emulator: Emulator) -> dict[str, Starlette]:
    """PowerVC's per-port form: one app per service, identity (and the admin API) on the main
    port."""
    apps = {}
    for service in SERVICES:
        served = ServiceGate(route_table(service).build(emulator), _unavailable(emulator, service))
        routes: list[BaseRoute] = [Mount("", served)]
        if service.on_main_port:
            routes = [*_admin_mounts(emulator), *routes]
        apps[service.name] = Starlette(
            routes=routes, lifespan=_lifespan(emulator) if service.on_main_port else None
        )
    return apps


def _unavailable(emulator: Emulator, service: ServiceDeclaration) -> Callable[[], bool]:
    return lambda: emulator.admin_services.api_unavailable(service.name)


def _lifespan(emulator: Emulator) -> Any:
    """Run due lifecycle steps in the background, so logs and queued deploys progress even
    when nobody is reading."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(_tick(emulator))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan


async def _tick(emulator: Emulator) -> None:
    while True:
        await asyncio.sleep(TICK_SECONDS)
        if emulator.clock.mode != "manual":
            emulator.engine.run_due()
