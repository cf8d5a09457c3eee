"""Which registered routes a recording exercised: the proof that the scenario covers them all.

The routes are read from the apps themselves (PowerVC's per-port form: one app per service,
the emulator's admin API on identity's), so a route a refactor adds is seen without being
declared here. A route is one path template (its trailing-slash twin folded in) and one
method; the HEAD starlette adds beside every GET is not counted apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.routing import BaseRoute, Mount, Route, compile_path

from powerbridge.emulator.app import create_port_apps
from powerbridge.emulator.state import PROXY_PREFIX, Emulator


@dataclass(frozen=True, order=True)
class RouteKey:
    service: str
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path}"


@dataclass(frozen=True)
class RoutePattern:
    regex: re.Pattern[str]
    methods: frozenset[str]
    path: str


RoutesByService = dict[str, list[RoutePattern]]


def registered_routes(emulator: Emulator) -> RoutesByService:
    """Per service, its routes in registration order (the order starlette matches in)."""
    return {
        service: list(_walk(app.routes, "")) for service, app in create_port_apps(emulator).items()
    }


def _walk(routes: Iterable[BaseRoute], prefix: str) -> Iterator[RoutePattern]:
    for route in routes:
        if isinstance(route, Mount):
            yield from _walk(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            full = prefix + route.path
            regex, _, _ = compile_path(full)
            folded = full.rstrip("/") or "/"
            yield RoutePattern(regex, frozenset(route.methods or ()), folded)


def required(patterns: RoutesByService) -> set[RouteKey]:
    keys: set[RouteKey] = set()
    for service, rows in patterns.items():
        for row in rows:
            methods = row.methods - {"HEAD"} if "GET" in row.methods else row.methods
            keys.update(RouteKey(service, method, row.path) for method in methods)
    return keys


def exercised(patterns: RoutesByService, exchanges: list[dict[str, Any]]) -> set[RouteKey]:
    """The routes the recorded requests reached (a 405 reaches none)."""
    keys: set[RouteKey] = set()
    for exchange in exchanges:
        service, path = _service_path(exchange["app"], exchange["path"].partition("?")[0])
        method = exchange["method"]
        for row in patterns.get(service, []):
            if method in row.methods and row.regex.match(path):
                keys.add(RouteKey(service, "GET" if method == "HEAD" else method, row.path))
                break
    return keys


def _service_path(app: str, path: str) -> tuple[str, str]:
    """Which per-port app and path a request reached; the proxied form names the service
    in the path, and everything outside `/powervc/openstack/` is identity's port."""
    if app != "proxied":
        return app, path
    if path.startswith(PROXY_PREFIX + "/"):
        service, _, rest = path[len(PROXY_PREFIX) + 1 :].partition("/")
        return service, "/" + rest
    return "identity", path
