"""The indexed router: it tries only the routes a path's shape can match, and picks the same
route Starlette's linear scan would (first full match in registration order, else the 405)."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Match, Route
from starlette.testclient import TestClient

from powerbridge.emulator.api import admin
from powerbridge.emulator.api.routing import Call, Endpoint, IndexedRouter, Reply, RouteTable
from powerbridge.emulator.app import service_routes
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import PROBE

TABLES = {**service_routes(), "emulator": admin.routes}


def _router(table: RouteTable, emulator: Emulator) -> IndexedRouter:
    router = table.build(emulator).router
    assert isinstance(router, IndexedRouter)
    return router


def _linear(routes: list[Route], path: str, method: str) -> Route | None:
    scope = {"type": "http", "path": path, "root_path": "", "method": method}
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


@pytest.mark.parametrize("service", sorted(TABLES))
def test_same_route_as_a_linear_scan_for_every_registered_path(
    emulator: Emulator, service: str
) -> None:
    router = _router(TABLES[service], emulator)
    routes = [r for r in router.routes if isinstance(r, Route)]
    probes = {re.sub(r"{\w+}", "x1", r.path) for r in routes}
    probes |= {re.sub(r"{\w+}", "detail", r.path) for r in routes}  # literals vs params
    probes |= {"/nowhere", "/servers/x1/nowhere", "/"}
    for path in sorted(probes):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            expected = _linear(routes, path, method)
            found = _linear(router.candidates(path), path, method)
            assert found is expected, f"{service} {method} {path}"


def test_a_server_show_tries_a_handful_of_routes(emulator: Emulator) -> None:
    router = _router(service_routes()["compute"], emulator)
    path = "/v2.1/servers/0b5c1f1e-2a1d-4e55-9c1a-3f6b7f0d6e11"
    candidates = router.candidates(path)
    assert len(candidates) < len(router.routes) / 5
    show = _linear(candidates, path, "GET")
    assert show is not None
    assert show.path == "/v2.1/servers/{server_id}"


def test_registration_order_decides_between_a_literal_and_a_parameter(
    emulator: Emulator,
) -> None:
    def thing(call: Call) -> Reply:
        return Reply({"param": call.params["thing_id"]})

    def special(call: Call) -> Reply:  # shadowed, as under Starlette's own router
        return Reply({"literal": True})

    def special_post(call: Call) -> Reply:
        return Reply({"literal": True}, status=201)

    table = RouteTable(
        PROBE,
        None,
        [
            Endpoint("GET", "/things/{thing_id}", thing, public=True),
            Endpoint("GET", "/things/special", special, public=True),
            Endpoint("POST", "/things/special", special_post, public=True),
        ],
    )

    with TestClient(table.build(emulator)) as client:
        assert client.get("/things/special").json() == {"param": "special"}
        assert client.post("/things/special").status_code == 201
        assert client.get("/things/special/").json() == {"param": "special"}
        wrong = client.delete("/things/special")
        assert wrong.status_code == 405
        assert "x-openstack-request-id" in wrong.headers
        assert client.get("/things/a/b").status_code == 404


def test_a_route_registered_twice_is_refused_naming_both_handlers() -> None:
    def first(call: Call) -> Reply:
        return Reply()

    def second(call: Call) -> Reply:
        return Reply()

    rows = [Endpoint("GET", "/things", first), Endpoint("GET", "/things", second)]
    with pytest.raises(ValueError, match="GET /things is routed twice") as refused:
        RouteTable(PROBE, None, rows)
    assert f"{__name__}.test_a_route_registered_twice_is_refused_naming_both_handlers" in str(
        refused.value
    )
    assert "<locals>.first and to " in str(refused.value)
    assert str(refused.value).endswith("<locals>.second")


def test_the_same_path_under_another_method_is_not_a_duplicate() -> None:
    def show(call: Call) -> Reply:
        return Reply()

    table = RouteTable(PROBE, None, [Endpoint("GET", "/x", show), Endpoint("PUT", "/x", show)])
    assert [(e.method, e.path) for e in table.endpoints] == [("GET", "/x"), ("PUT", "/x")]
