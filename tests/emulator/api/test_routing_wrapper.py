"""The one wrapper every endpoint runs through, exercised through a probe route table built
here: request ids, authentication, faults, bodies, microversions, logging."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.api.microversions import (
    COMPUTE,
)
from powerbridge.emulator.api.routing import Call, Endpoint, Reply, RouteTable
from powerbridge.emulator.errors import not_found
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import PROBE

REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _echo(call: Call) -> Reply:
    return Reply({"microversion": str(call.microversion), "q": call.query.get("q")})


def _echo_body(call: Call) -> Reply:
    return Reply({"body": call.body}, status=201, headers={"location": "/echo/1"})


def _private(call: Call) -> Reply:
    return Reply({"user": call.auth.user_id, "request_id": call.request_id})


def _thing(call: Call) -> Reply:
    raise not_found(f"Thing {call.params['thing_id']} could not be found.")


def _raw(call: Call) -> Reply:
    return Reply(raw=bytes(call.body)[::-1], content_type="application/octet-stream")


def _plain(call: Call) -> Reply:
    return Reply({"microversion": call.microversion})


def _delete_thing(call: Call) -> Reply:
    return Reply(status=204)


def _probe_table() -> RouteTable:
    return RouteTable(
        PROBE,
        COMPUTE,
        [
            Endpoint("GET", "/echo", _echo, public=True),
            Endpoint("POST", "/echo", _echo_body, public=True),
            Endpoint("GET", "/private", _private),
            Endpoint("GET", "/things/{thing_id}", _thing, public=True),
            Endpoint("POST", "/raw", _raw, public=True, raw_body=True),
            Endpoint("GET", "/plain", _plain, public=True, microversions=None),
            Endpoint("DELETE", "/things/{thing_id}", _delete_thing, public=True),
        ],
    )


@pytest.fixture
def probe(emulator: Emulator) -> Iterator[TestClient]:
    with TestClient(_probe_table().build(emulator), base_url="http://testserver") as client:
        yield client


def _nova_log(emulator: Emulator) -> str:
    return (emulator.log_dir / "nova" / "nova-api.log").read_text()


class TestRoutingWrapper:
    def test_success_has_request_ids_and_microversion_headers(self, probe: TestClient) -> None:
        response = probe.get("/echo", headers={"OpenStack-API-Version": "compute 2.30"})
        assert response.status_code == 200
        assert response.json() == {"microversion": "2.30", "q": None}
        request_id = response.headers["x-openstack-request-id"]
        assert REQUEST_ID.match(request_id)
        assert response.headers["x-compute-request-id"] == request_id
        assert response.headers["openstack-api-version"] == "compute 2.30"
        assert response.headers["x-openstack-nova-api-version"] == "2.30"
        assert "openstack-api-version" in response.headers["vary"].lower()
        assert response.headers["content-type"].startswith("application/json")

    def test_every_request_gets_a_new_request_id(self, probe: TestClient) -> None:
        ids = {probe.get("/echo").headers["x-openstack-request-id"] for _ in range(5)}
        assert len(ids) == 5

    def test_no_header_negotiates_the_minimum(self, probe: TestClient) -> None:
        response = probe.get("/echo")
        assert response.json()["microversion"] == "2.1"
        assert response.headers["openstack-api-version"] == "compute 2.1"

    def test_latest_negotiates_the_maximum(self, probe: TestClient) -> None:
        response = probe.get("/echo", headers={"X-OpenStack-Nova-API-Version": "latest"})
        assert response.json()["microversion"] == "2.60"

    def test_out_of_range_version_is_406_in_the_service_envelope(self, probe: TestClient) -> None:
        response = probe.get("/echo", headers={"OpenStack-API-Version": "compute 2.99"})
        assert response.status_code == 406
        fault = response.json()["computeFault"]
        assert fault["code"] == 406
        assert "2.99" in fault["message"]
        assert REQUEST_ID.match(response.headers["x-openstack-request-id"])

    def test_malformed_version_is_400(self, probe: TestClient) -> None:
        response = probe.get("/echo", headers={"OpenStack-API-Version": "compute two"})
        assert response.status_code == 400
        assert response.json()["badRequest"]["code"] == 400

    def test_route_without_microversions_sends_no_version_headers(self, probe: TestClient) -> None:
        response = probe.get("/plain", headers={"OpenStack-API-Version": "compute 2.99"})
        assert response.status_code == 200
        assert response.json() == {"microversion": None}
        assert "openstack-api-version" not in response.headers

    def test_query_parameters_reach_the_handler(self, probe: TestClient) -> None:
        assert probe.get("/echo", params={"q": "x y"}).json()["q"] == "x y"

    def test_json_body_is_parsed(self, probe: TestClient) -> None:
        response = probe.post("/echo", json={"server": {"name": "vm1"}})
        assert response.status_code == 201
        assert response.json() == {"body": {"server": {"name": "vm1"}}}
        assert response.headers["location"] == "/echo/1"

    def test_empty_body_is_none(self, probe: TestClient) -> None:
        assert probe.post("/echo").json() == {"body": None}

    def test_malformed_json_is_400_in_the_service_envelope(self, probe: TestClient) -> None:
        response = probe.post(
            "/echo", content=b'{"server": ', headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert set(response.json()) == {"badRequest"}
        assert "JSON" in response.json()["badRequest"]["message"]
        assert REQUEST_ID.match(response.headers["x-openstack-request-id"])

    def test_non_json_content_type_is_415(self, probe: TestClient) -> None:
        response = probe.post("/echo", content=b"name=vm1", headers={"content-type": "text/plain"})
        assert response.status_code == 415
        assert response.json()["badMediaType"]["code"] == 415

    def test_raw_body_route_gets_bytes(self, probe: TestClient) -> None:
        response = probe.post(
            "/raw", content=b"\x00\x01abc", headers={"content-type": "application/octet-stream"}
        )
        assert response.status_code == 200
        assert response.content == b"cba\x01\x00"
        assert response.headers["content-type"] == "application/octet-stream"

    def test_api_error_is_rendered_in_the_service_envelope(self, probe: TestClient) -> None:
        response = probe.get("/things/t1")
        assert response.status_code == 404
        assert response.json() == {
            "itemNotFound": {"code": 404, "message": "Thing t1 could not be found."}
        }
        assert (
            response.headers["x-compute-request-id"] == response.headers["x-openstack-request-id"]
        )

    def test_204_has_no_body(self, probe: TestClient) -> None:
        response = probe.delete("/things/t1")
        assert response.status_code == 204
        assert response.content == b""

    def test_unknown_route_is_404_in_the_envelope(self, probe: TestClient) -> None:
        response = probe.get("/nothing/here")
        assert response.status_code == 404
        assert response.json()["itemNotFound"]["code"] == 404
        assert REQUEST_ID.match(response.headers["x-openstack-request-id"])

    def test_wrong_method_is_405_in_the_envelope(self, probe: TestClient) -> None:
        response = probe.put("/echo", json={})
        assert response.status_code == 405
        assert response.json()["badMethod"]["code"] == 405
        assert REQUEST_ID.match(response.headers["x-openstack-request-id"])

    def test_wrong_method_lists_the_allowed_methods(self, probe: TestClient) -> None:
        response = probe.put("/echo", json={})
        allowed = {m.strip() for m in response.headers.get("allow", "").split(",")}
        assert {"GET", "POST"} <= allowed

    def test_unmatched_requests_are_logged_too(self, probe: TestClient, emulator: Emulator) -> None:
        missing = probe.get("/nothing/here")
        wrong = probe.put("/echo", json={})
        log = _nova_log(emulator).splitlines()
        for response, request, status in (
            (missing, "GET /nothing/here", 404),
            (wrong, "PUT /echo", 405),
        ):
            request_id = response.headers["x-openstack-request-id"]
            line = next(line for line in log if request_id in line)
            assert f'"{request}" status: {status}' in line

    def test_trailing_slash_is_the_same_route(self, probe: TestClient) -> None:
        assert probe.get("/echo/").status_code == 200

    def test_head_is_get_without_a_body(self, probe: TestClient) -> None:
        get = probe.get("/echo")
        head = probe.head("/echo")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == get.headers["content-length"]
        assert REQUEST_ID.match(head.headers["x-openstack-request-id"])

    def test_private_route_without_token_is_401_keystone_envelope(self, probe: TestClient) -> None:
        response = probe.get("/private")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == 401
        assert response.json()["error"]["title"] == "Unauthorized"
        assert response.headers["www-authenticate"].startswith("Keystone uri=")
        assert REQUEST_ID.match(response.headers["x-openstack-request-id"])

    def test_private_route_with_a_bad_token_is_401(self, probe: TestClient) -> None:
        response = probe.get("/private", headers={"X-Auth-Token": "gAAAAAnot-a-token"})
        assert response.status_code == 401

    def test_private_route_sees_the_caller(
        self, probe: TestClient, client: TestClient, admin_token: str, emulator: Emulator
    ) -> None:
        response = probe.get("/private", headers={"X-Auth-Token": admin_token})
        assert response.status_code == 200
        root = emulator.identity.user_by_name("root")
        assert response.json()["user"] == root.id
        assert response.json()["request_id"] == response.headers["x-openstack-request-id"]

    def test_due_lifecycle_steps_run_before_the_handler(
        self, probe: TestClient, emulator: Emulator
    ) -> None:
        ran: list[str] = []
        emulator.engine.on("probe", lambda resource_id, due: ran.append(resource_id))
        emulator.engine.after(5, "probe", "r1")  # instant clock: due now
        probe.get("/echo")
        assert ran == ["r1"]

    def test_requests_are_logged_with_the_request_id(
        self, probe: TestClient, emulator: Emulator
    ) -> None:
        response = probe.get("/things/t9", params={"a": "1"})
        request_id = response.headers["x-openstack-request-id"]
        line = next(line for line in _nova_log(emulator).splitlines() if request_id in line)
        assert " INFO nova.api.openstack.requestlog " in line
        assert f"[{request_id} - - - - -]" in line
        assert '"GET /things/t9?a=1" status: 404' in line

    def test_logged_line_names_the_caller(
        self, probe: TestClient, admin_token: str, emulator: Emulator
    ) -> None:
        response = probe.get("/private", headers={"X-Auth-Token": admin_token})
        request_id = response.headers["x-openstack-request-id"]
        root = emulator.identity.user_by_name("root")
        project = emulator.identity.project_by_name("ibm-default")
        assert f"[{request_id} {root.id} {project.id} - - -]" in _nova_log(emulator)

    def test_injected_api_fault_uses_the_service_envelope(
        self, probe: TestClient, emulator: Emulator
    ) -> None:
        emulator.behaviours.add(
            {"kind": "api", "service": "compute", "path_regex": "^/echo$", "status": 503}
        )
        response = probe.get("/echo")
        assert response.status_code == 503
        assert response.json()["serviceUnavailable"]["code"] == 503
        assert probe.get("/plain").status_code == 200  # the path regex does not match

    def test_injected_fault_honours_the_method(self, probe: TestClient, emulator: Emulator) -> None:
        emulator.behaviours.add(
            {"kind": "api", "service": "compute", "method": "post", "status": 500, "message": "X"}
        )
        assert probe.get("/echo").status_code == 200
        response = probe.post("/echo", json={})
        assert response.status_code == 500
        assert response.json()["computeFault"]["message"] == "X"
