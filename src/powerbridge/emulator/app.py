"""ASGI apps over one `Emulator`: the proxied single-port app, or one app per service port."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from powerbridge.emulator.api import admin, compute, identity, image, network, volume
from powerbridge.emulator.api.routing import RouteTable
from powerbridge.emulator.state import PROXY_PREFIX, Emulator

SERVICE_ROUTES: dict[str, RouteTable] = {
    "identity": identity.routes,
    "compute": compute.routes,
    "image": image.routes,
    "network": network.routes,
    "volume": volume.routes,
}
TICK_SECONDS = 0.2


def _admin_mounts(emulator: Emulator) -> list[BaseRoute]:
    return [
        Mount("/powervc/emulator/v1", admin.routes.build(emulator)),
        Mount("/powervc", admin.version_routes.build(emulator)),
    ]


def create_app(emulator: Emulator) -> Starlette:
    """One app serving every service under PowerVC's `/powervc/openstack/<service>` URLs."""
    services = {name: table.build(emulator) for name, table in SERVICE_ROUTES.items()}
    root = Starlette(
        routes=_admin_mounts(emulator),
        lifespan=_lifespan(emulator),
        exception_handlers={HTTPException: _not_found},
    )
    root.add_middleware(_ProxiedServices, services=services)
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
    bare service root included, which a Starlette `Mount` would not match)."""

    def __init__(self, app: ASGIApp, services: Mapping[str, ASGIApp]) -> None:
        self.app = app
        self.services = services
        self.prefix = PROXY_PREFIX + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(self.prefix):
            name, slash, _ = path[len(self.prefix) :].partition("/")
            service = self.services.get(name)
            if service is not None:
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
    for name, table in SERVICE_ROUTES.items():
        routes: list[BaseRoute] = [Mount("", table.build(emulator))]
        if name == "identity":
            routes = [*_admin_mounts(emulator), *routes]
        apps[name] = Starlette(
            routes=routes, lifespan=_lifespan(emulator) if name == "identity" else None
        )
    return apps


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
