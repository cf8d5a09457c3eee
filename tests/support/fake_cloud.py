"""A fake PowerVC for the SDK's unit tests: a cloud config, catalogs in both URL styles, a
scripted Keystone and services behind httpx's mock transport, a fake clock and sleeps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx

from powerbridge.client import (
    CloudConfig,
    Session,
)

T = TypeVar("T")

PROJECT = "7f3c2a9e0b1d4c5e8f6a7b8c9d0e1f2a"
HOST = "https://pvc.example.com"
PROXIED = f"{HOST}/powervc/openstack"
AUTH_URL = f"{PROXIED}/identity/v3"
FLAVORS = f"{PROXIED}/compute/v2.1/{PROJECT}/flavors"
TTL = 6 * 3600.0
START = 1_000_000.0

CONFIG = CloudConfig(
    auth_url=AUTH_URL,
    username="root",
    password="passw0rd",
    user_domain_name="Default",
    project_name="ibm-default",
    project_domain_name="Default",
    region_name="RegionOne",
)


def run(coroutine: Awaitable[T]) -> T:
    async def main() -> T:
        return await coroutine

    return asyncio.run(main())


# -- a fake cloud behind httpx.MockTransport --------------------------------------------------
def service(
    service_type: str, url: str, *, region: str = "RegionOne", interfaces: bool = True
) -> dict[str, Any]:
    """A catalog entry; the internal and admin URLs are on their own hosts."""
    names = ("public", "internal", "admin") if interfaces else ("public",)
    return {
        "type": service_type,
        "name": f"{service_type}-service",
        "endpoints": [
            {
                "interface": interface,
                "region_id": region,
                "region": region,
                "url": url.replace("pvc.example.com", f"{interface}.pvc.example.com")
                if interface != "public"
                else url,
            }
            for interface in names
        ],
    }


def proxied_catalog() -> list[dict[str, Any]]:
    """PowerVC's single-host URL form (and cinder under all its types)."""
    return [
        service("identity", AUTH_URL),
        service("compute", f"{PROXIED}/compute/v2.1/{PROJECT}"),
        service("image", f"{PROXIED}/image"),
        service("network", f"{PROXIED}/network"),
        service("volume", f"{PROXIED}/volume/v1/{PROJECT}"),
        service("volumev2", f"{PROXIED}/volume/v2/{PROJECT}"),
        service("volumev3", f"{PROXIED}/volume/v3/{PROJECT}"),
    ]


def ports_catalog() -> list[dict[str, Any]]:
    """PowerVC's per-port URL form."""
    return [
        service("identity", f"{HOST}:5000/v3"),
        service("compute", f"{HOST}:8774/v2.1/{PROJECT}"),
        service("image", f"{HOST}:9292/"),
        service("volumev3", f"{HOST}:9000/v3/{PROJECT}"),
    ]


Item = httpx.Response | Exception


class FakeCloud:
    """A keystone that issues tokens, and services answering scripted responses.

    A route's responses are served in order, the last one forever after."""

    def __init__(self, catalog: list[dict[str, Any]] | None = None, *, ttl: float = TTL) -> None:
        self.catalog = proxied_catalog() if catalog is None else catalog
        self.ttl = ttl
        self.auth_requests: list[httpx.Request] = []
        self.calls: list[httpx.Request] = []
        self.valid: set[str] = set()
        self.routes: dict[tuple[str, str], list[Item]] = {}
        self.auth_error: Exception | None = None

    def route(self, method: str, url: str, *items: Item) -> None:
        self.routes[(method, url)] = list(items)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def auth_bodies(self) -> list[Any]:
        return [json.loads(request.content) for request in self.auth_requests]

    def urls(self) -> list[str]:
        return [str(request.url) for request in self.calls]

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/auth/tokens"):
            return self.issue(request)
        self.calls.append(request)
        if request.headers.get("x-auth-token") not in self.valid:
            return httpx.Response(401, json=unauthorized(), headers={"x-openstack-request-id": "r"})
        queue = self.routes.get((request.method, str(request.url)))
        if not queue:
            body = {"itemNotFound": {"code": 404, "message": "no such route"}}
            return httpx.Response(404, json=body, headers={"x-openstack-request-id": "req-404"})
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    def issue(self, request: httpx.Request) -> httpx.Response:
        self.auth_requests.append(request)
        if self.auth_error is not None:
            raise self.auth_error
        token = f"tok-{len(self.auth_requests)}"
        self.valid.add(token)
        now = datetime.now(UTC)
        body = {
            "token": {
                "methods": ["password"],
                "user": {"id": "u1", "name": "root", "domain": {"id": "default"}},
                "project": {"id": PROJECT, "name": "ibm-default", "domain": {"id": "default"}},
                "roles": [{"id": "r1", "name": "admin"}, {"id": "r2", "name": "member"}],
                "issued_at": now.isoformat().replace("+00:00", "Z"),
                "expires_at": (now + timedelta(seconds=self.ttl)).isoformat(),
                "catalog": self.catalog,
            }
        }
        headers = {"x-subject-token": token, "x-openstack-request-id": "req-auth"}
        return httpx.Response(201, json=body, headers=headers)


def unauthorized() -> dict[str, Any]:
    return {
        "error": {
            "code": 401,
            "message": "The request you have made requires authentication.",
            "title": "Unauthorized",
        }
    }


def ok(body: Any = None, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {}, headers=headers)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class Harness:
    """A fake cloud, a clock, a sleep recorder, and sessions wired to them."""

    def __init__(self, catalog: list[dict[str, Any]] | None = None, *, ttl: float = TTL) -> None:
        self.cloud = FakeCloud(catalog, ttl=ttl)
        self.clock = Clock()
        self.sleeps = Sleeps()

    def session(self, config: CloudConfig = CONFIG, uniform: float = 1.0) -> Session:
        return Session(
            config,
            transport=self.cloud.transport(),
            sleep=self.sleeps,
            uniform=lambda: uniform,
            clock=self.clock,
        )

    def run(self, use: Callable[[Session], Awaitable[T]], config: CloudConfig = CONFIG) -> T:
        async def main() -> T:
            async with self.session(config) as session:
                return await use(session)

        return asyncio.run(main())


def get(service_type: str, path: str, **kwargs: Any) -> Callable[[Session], Awaitable[Any]]:
    async def use(session: Session) -> httpx.Response:
        return await session.request(service_type, "GET", path, **kwargs)

    return use


# -- auth bodies and URLs -----------------------------------------------------------------------
