"""The emulator's frame, tested by someone who did not write it: errors and envelopes,
microversions, the routing wrapper, store, clock, lifecycle engine, estate, behaviours, the
`Emulator` state object and the admin API under `/powervc/emulator/v1` and `/powervc/version`.

The routing wrapper is exercised through a probe route table built here, so these tests do not
depend on the compute/image/network/volume services being written concurrently.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import Headers
from starlette.testclient import TestClient

from powerbridge.emulator.api.envelopes import error_body
from powerbridge.emulator.api.microversions import (
    COMPUTE,
    VOLUME_V3,
    Microversion,
    MicroversionRange,
    parse_version,
)
from powerbridge.emulator.api.routing import Call, Reply, RouteTable, ServiceInfo
from powerbridge.emulator.app import create_app
from powerbridge.emulator.backend.behaviours import Behaviours, parse_behaviour
from powerbridge.emulator.clock import Clock
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.errors import ApiError, bad_request, conflict, forbidden, not_found
from powerbridge.emulator.estate import DEFAULT_TIMINGS, EstateError, load_estate
from powerbridge.emulator.lifecycle import Engine
from powerbridge.emulator.logs import LogContext, ServiceLogs
from powerbridge.emulator.state import Emulator
from powerbridge.emulator.store import SCHEMA_VERSION, Store, StoreError

from .conftest import IDENTITY, password_auth

ADMIN_API = "/powervc/emulator/v1"
REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# -- errors ---------------------------------------------------------------------------------
class TestApiError:
    def test_kind_gives_the_status(self) -> None:
        assert ApiError("itemNotFound", "gone").status == 404
        assert ApiError("conflict", "busy").status == 409
        assert ApiError("notAcceptable", "no").status == 406

    def test_explicit_status_overrides_the_kind(self) -> None:
        error = ApiError("badRequest", "too big", status=413)
        assert (error.kind, error.status, error.message) == ("badRequest", 413, "too big")

    def test_unknown_kind_without_status_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="unknown fault kind"):
            ApiError("noSuchKind", "x")

    def test_helpers(self) -> None:
        assert (bad_request("b").status, not_found("n").status) == (400, 404)
        assert (forbidden("f").status, conflict("c").status) == (403, 409)
        assert str(not_found("Server x could not be found.")) == "Server x could not be found."


# -- envelopes ------------------------------------------------------------------------------
class TestEnvelopes:
    def test_identity_uses_keystone_error_envelope(self) -> None:
        body = error_body("identity", conflict("Duplicate entry."))
        assert body == {"error": {"code": 409, "message": "Duplicate entry.", "title": "Conflict"}}

    @pytest.mark.parametrize("service", ["compute", "volume", "image", "network", "emulator"])
    def test_401_is_keystonemiddleware_envelope_on_every_service(self, service: str) -> None:
        body = error_body(service, ApiError("unauthorized", "Authentication required"))
        assert body == {
            "error": {"code": 401, "message": "Authentication required", "title": "Unauthorized"}
        }

    @pytest.mark.parametrize(
        ("status", "name"),
        [
            (400, "badRequest"),
            (403, "forbidden"),
            (404, "itemNotFound"),
            (405, "badMethod"),
            (409, "conflictingRequest"),
            (413, "overLimit"),
            (415, "badMediaType"),
            (503, "serviceUnavailable"),
            # nova's wsgi.Fault has no name for these: computeFault, as nova does
            (406, "computeFault"),
            (500, "computeFault"),
        ],
    )
    @pytest.mark.parametrize("service", ["compute", "volume"])
    def test_nova_and_cinder_name_the_fault_by_status(
        self, service: str, status: int, name: str
    ) -> None:
        body = error_body(service, ApiError("badRequest", "msg", status=status))
        assert body == {name: {"code": status, "message": "msg"}}

    def test_neutron_envelope_uses_the_given_exception_type(self) -> None:
        error = ApiError("conflict", "IP in use", neutron_type="IpAddressAlreadyAllocated")
        body = error_body("network", error)
        assert body == {
            "NeutronError": {
                "type": "IpAddressAlreadyAllocated",
                "message": "IP in use",
                "detail": "",
            }
        }

    @pytest.mark.parametrize(
        ("status", "kind"), [(400, "BadRequest"), (404, "NotFound"), (409, "Conflict")]
    )
    def test_neutron_envelope_defaults_the_type_by_status(self, status: int, kind: str) -> None:
        body = error_body("network", ApiError("badRequest", "m", status=status))
        assert body["NeutronError"]["type"] == kind
        assert set(body["NeutronError"]) == {"type", "message", "detail"}

    def test_glance_envelope(self) -> None:
        body = error_body("image", not_found("No image found with ID x"))
        assert body == {
            "code": "404 Not Found",
            "title": "Not Found",
            "message": "No image found with ID x",
        }


# -- microversions --------------------------------------------------------------------------
def _headers(**values: str) -> Headers:
    return Headers({k.replace("_", "-"): v for k, v in values.items()})


class TestMicroversions:
    def test_parse_version(self) -> None:
        assert parse_version("2.60") == Microversion(2, 60)
        assert parse_version(" 3.0 ") == Microversion(3, 0)
        assert str(Microversion(2, 1)) == "2.1"
        assert Microversion(2, 10) > Microversion(2, 9)  # numeric, not lexical
        assert Microversion(2, 53).at_least("2.47")
        assert not Microversion(2, 1).at_least("2.2")

    @pytest.mark.parametrize("text", ["2", "2.", ".1", "two.one", "2.1.3", "", "v2.1"])
    def test_parse_version_rejects_malformed(self, text: str) -> None:
        with pytest.raises(ValueError, match=re.escape(text) if text else None):
            parse_version(text)

    def test_no_header_means_the_minimum(self) -> None:
        assert COMPUTE.negotiate(Headers({})) == Microversion(2, 1)
        assert VOLUME_V3.negotiate(Headers({})) == Microversion(3, 0)

    @pytest.mark.parametrize("latest", ["latest", "LATEST", " Latest"])
    def test_latest_means_the_maximum(self, latest: str) -> None:
        headers = _headers(openstack_api_version=f"compute {latest}")
        assert COMPUTE.negotiate(headers) == COMPUTE.maximum == Microversion(2, 60)

    def test_combined_header_picks_this_service(self) -> None:
        headers = _headers(openstack_api_version="volume 3.44, compute 2.37")
        assert COMPUTE.negotiate(headers) == Microversion(2, 37)
        assert VOLUME_V3.negotiate(headers) == Microversion(3, 44)

    def test_header_for_another_service_means_the_minimum(self) -> None:
        assert VOLUME_V3.negotiate(_headers(openstack_api_version="compute 2.60")) == (3, 0)

    def test_legacy_nova_header(self) -> None:
        headers = _headers(x_openstack_nova_api_version="2.25")
        assert COMPUTE.negotiate(headers) == Microversion(2, 25)

    def test_new_header_wins_over_legacy(self) -> None:
        headers = _headers(
            openstack_api_version="compute 2.40", x_openstack_nova_api_version="2.10"
        )
        assert COMPUTE.negotiate(headers) == Microversion(2, 40)

    def test_header_names_are_case_insensitive(self) -> None:
        headers = Headers({"OpenStack-API-Version": "compute 2.11"})
        assert COMPUTE.negotiate(headers) == Microversion(2, 11)

    @pytest.mark.parametrize("version", ["2.0", "2.61", "3.1", "1.99"])
    def test_out_of_range_is_406(self, version: str) -> None:
        with pytest.raises(ApiError) as caught:
            COMPUTE.negotiate(_headers(openstack_api_version=f"compute {version}"))
        assert caught.value.status == 406
        assert "2.1" in caught.value.message
        assert "2.60" in caught.value.message

    @pytest.mark.parametrize("version", ["2", "abc", "2.x", "2.1.1"])
    def test_malformed_is_400(self, version: str) -> None:
        with pytest.raises(ApiError) as caught:
            COMPUTE.negotiate(_headers(openstack_api_version=f"compute {version}"))
        assert caught.value.status == 400
        assert version in caught.value.message

    def test_response_headers_echo_the_version_with_vary(self) -> None:
        headers = COMPUTE.response_headers(Microversion(2, 53))
        assert headers["openstack-api-version"] == "compute 2.53"
        assert headers["x-openstack-nova-api-version"] == "2.53"
        vary = {v.strip().lower() for v in headers["vary"].split(",")}
        assert vary == {"openstack-api-version", "x-openstack-nova-api-version"}

    def test_volume_response_headers(self) -> None:
        headers = VOLUME_V3.response_headers(Microversion(3, 59))
        assert headers == {"openstack-api-version": "volume 3.59", "vary": "OpenStack-API-Version"}

    def test_a_custom_range(self) -> None:
        versions = MicroversionRange("placement", Microversion(1, 0), Microversion(1, 39))
        assert versions.negotiate(_headers(openstack_api_version="placement 1.10")) == (1, 10)
        with pytest.raises(ApiError):
            versions.negotiate(_headers(openstack_api_version="placement 1.40"))


# -- the routing wrapper, through a probe service ------------------------------------------
PROBE = ServiceInfo("compute", "nova-api", "nova.api.openstack.requestlog", "x-compute-request-id")


def _probe_table() -> RouteTable:
    table = RouteTable(PROBE, COMPUTE)

    @table.get("/echo", public=True)
    def echo(call: Call) -> Reply:
        return Reply({"microversion": str(call.microversion), "q": call.query.get("q")})

    @table.post("/echo", public=True)
    def echo_body(call: Call) -> Reply:
        return Reply({"body": call.body}, status=201, headers={"location": "/echo/1"})

    @table.get("/private")
    def private(call: Call) -> Reply:
        return Reply({"user": call.auth.user_id, "request_id": call.request_id})

    @table.get("/things/{thing_id}", public=True)
    def thing(call: Call) -> Reply:
        raise not_found(f"Thing {call.params['thing_id']} could not be found.")

    @table.post("/raw", public=True, raw_body=True)
    def raw(call: Call) -> Reply:
        return Reply(raw=bytes(call.body)[::-1], content_type="application/octet-stream")

    @table.get("/plain", public=True, microversions=None)
    def plain(call: Call) -> Reply:
        return Reply({"microversion": call.microversion})

    @table.delete("/things/{thing_id}", public=True)
    def delete_thing(call: Call) -> Reply:
        return Reply(status=204)

    return table


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


# -- logs -----------------------------------------------------------------------------------
class TestLogs:
    def test_line_format_and_file_layout(self, tmp_path: Path) -> None:
        logs = ServiceLogs(tmp_path)
        context = LogContext("req-1", "u1", "p1")
        logs.write("keystone", "INFO", "keystone.common.wsgi", "hello", context, when=0.5)
        logs.write("nova-compute-8286-42A_215A0BV", "ERROR", "nova.compute.manager", "boom")
        logs.write("cinder-volume-xiv90", "INFO", "cinder.volume.manager", "made")
        logs.close()
        line = (tmp_path / "keystone" / "keystone.log").read_text()
        assert re.match(
            r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.500 \d+ INFO keystone\.common\.wsgi "
            r"\[req-1 u1 p1 - - -\] hello\n$",
            line,
        )
        compute = (tmp_path / "nova" / "nova-compute-8286-42A_215A0BV.log").read_text()
        assert " ERROR nova.compute.manager [-] boom" in compute
        assert (tmp_path / "cinder" / "volume-xiv90.log").exists()

    def test_global_request_id_is_logged_first(self) -> None:
        context = LogContext("req-local", global_request_id="req-global")
        assert context.bracket() == "[req-global req-local - - - - -]"

    def test_unknown_process_is_rejected(self, tmp_path: Path) -> None:
        with pytest.raises(KeyError):
            ServiceLogs(tmp_path).path("httpd")


# -- store ----------------------------------------------------------------------------------
class TestStore:
    def test_put_load_delete(self) -> None:
        store = Store(":memory:")
        store.put("server", "s1", {"id": "s1", "name": "a"})
        store.put("server", "s2", {"id": "s2", "name": "b"})
        store.put("volume", "s1", {"id": "s1", "size": 1})  # same id, another kind
        assert sorted(r["name"] for r in store.load("server")) == ["a", "b"]
        store.put("server", "s1", {"id": "s1", "name": "renamed"})
        assert sorted(r["name"] for r in store.load("server")) == ["b", "renamed"]
        store.delete("server", "s1")
        assert [r["id"] for r in store.load("server")] == ["s2"]
        assert list(store.load("volume")) == [{"id": "s1", "size": 1}]
        store.delete("server", "missing")  # deleting nothing is fine
        assert list(store.load("nothing")) == []
        store.close()

    def test_meta(self) -> None:
        store = Store(":memory:")
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert store.get_meta("absent") is None
        fresh = store.is_new
        store.set_meta("seeded", "1")
        store.set_meta("seeded", "2")
        assert store.get_meta("seeded") == "2"
        assert (fresh, store.is_new) == (True, False)
        store.close()

    def test_records_survive_reopening_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "e.sqlite"
        store = Store(path)
        store.put("user", "u1", {"id": "u1", "nested": {"list": [1, 2]}})
        store.set_meta("seeded", "yes")
        store.close()
        again = Store(path)
        assert list(again.load("user")) == [{"id": "u1", "nested": {"list": [1, 2]}}]
        assert not again.is_new
        again.close()

    def test_other_schema_version_is_a_store_error(self, tmp_path: Path) -> None:
        path = tmp_path / "e.sqlite"
        Store(path).close()
        db = sqlite3.connect(path)
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
        db.commit()
        db.close()
        with pytest.raises(StoreError, match="schema version"):
            Store(path)

    def test_emulator_refuses_a_data_dir_of_another_schema(self, tmp_path: Path) -> None:
        emulator = Emulator(EmulatorConfig(data_dir=tmp_path))
        emulator.close()
        db = sqlite3.connect(tmp_path / "emulator.sqlite")
        db.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
        db.commit()
        db.close()
        with pytest.raises(StoreError):
            Emulator(EmulatorConfig(data_dir=tmp_path))


# -- clock ----------------------------------------------------------------------------------
class TestClock:
    def test_instant_clock(self) -> None:
        clock = Clock("instant")
        assert clock.duration(300) == 0.0
        with pytest.raises(ValueError, match="cannot be advanced"):
            clock.advance(1)

    def test_real_clock_scales_durations(self) -> None:
        clock = Clock("real", speed=4.0)
        assert clock.duration(10) == 2.5
        assert abs(clock.now() - Clock("instant").now()) < 5
        with pytest.raises(ValueError, match="cannot be advanced"):
            clock.advance(1)

    def test_manual_clock_moves_only_when_advanced(self) -> None:
        clock = Clock("manual", base=1000.0)
        assert clock.now() == 1000.0
        assert clock.duration(7) == 7
        assert clock.advance(2.5) == 1002.5
        assert clock.now() == 1002.5
        assert clock.offset == 2.5

    def test_manual_clock_cannot_go_backwards(self) -> None:
        clock = Clock("manual", base=0.0)
        with pytest.raises(ValueError, match="backwards"):
            clock.advance(-1)
        assert clock.now() == 0.0

    @pytest.mark.parametrize("speed", [0.0, -1.0])
    def test_speed_must_be_positive(self, speed: float) -> None:
        with pytest.raises(ValueError, match="positive"):
            Clock("real", speed=speed)

    @pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf])
    def test_manual_clock_rejects_non_finite_steps(self, seconds: float) -> None:
        clock = Clock("manual", base=0.0)
        with pytest.raises(ValueError, match=r"(?i)finite|nan|inf"):
            clock.advance(seconds)
        assert clock.now() == 0.0


# -- lifecycle engine -----------------------------------------------------------------------
class TestEngine:
    def test_runs_due_steps_in_time_order_then_fifo(self) -> None:
        clock = Clock("manual", base=100.0)
        engine = Engine(clock)
        ran: list[tuple[str, float]] = []
        engine.on("t", lambda rid, due: ran.append((rid, due)))
        engine.schedule(105, "t", "late")
        engine.schedule(101, "t", "first")
        engine.schedule(103, "t", "second-a")
        engine.schedule(103, "t", "second-b")
        clock.advance(10)
        assert engine.run_due() == 4
        assert ran == [("first", 101), ("second-a", 103), ("second-b", 103), ("late", 105)]
        assert engine.pending == 0

    def test_only_due_steps_run(self) -> None:
        clock = Clock("manual", base=0.0)
        engine = Engine(clock)
        ran: list[str] = []
        engine.on("t", lambda rid, due: ran.append(rid))
        assert engine.after(5, "t", "a") == 5.0
        engine.after(10, "t", "b")
        assert engine.run_due() == 0
        clock.advance(5)
        assert engine.run_due() == 1
        assert ran == ["a"]
        assert (engine.pending, engine.next_due()) == (1, 10.0)
        clock.advance(5)
        engine.run_due()
        assert ran == ["a", "b"]
        assert engine.next_due() is None

    def test_unknown_topic_is_rejected(self) -> None:
        with pytest.raises(KeyError, match="nope"):
            Engine(Clock()).schedule(0, "nope", "r")

    def test_handlers_may_schedule_the_next_step(self) -> None:
        """An instant clock runs a whole chain of steps in one pass."""
        engine = Engine(Clock("instant"))
        steps: list[str] = []

        def step(resource_id: str, due: float) -> None:
            steps.append(resource_id)
            if len(steps) < 4:
                engine.after(30, "build", resource_id)

        engine.on("build", step)
        engine.after(30, "build", "vm")
        assert engine.run_due() == 4
        assert steps == ["vm"] * 4

    def test_a_chain_covered_by_one_advance_runs_at_its_own_times(self) -> None:
        """Inside a step, `after` counts from the step's due time, not from the clock."""
        clock = Clock("manual", base=0.0)
        engine = Engine(clock)
        steps: list[float] = []

        def step(resource_id: str, due: float) -> None:
            steps.append(due)
            engine.after(10, "t", resource_id)

        engine.on("t", step)
        engine.after(10, "t", "vm")
        clock.advance(25)
        assert engine.run_due() == 2  # due at 10, then at 20; the one at 30 waits
        assert steps == [10.0, 20.0]
        assert engine.next_due() == 30.0
        assert engine.after(1, "t", "other") == 26.0  # outside a step: from the clock

    def test_reentrant_run_is_a_no_op(self) -> None:
        engine = Engine(Clock("instant"))
        inner: list[int] = []
        engine.on("t", lambda rid, due: inner.append(engine.run_due()))
        engine.after(0, "t", "a")
        engine.after(0, "t", "b")
        assert engine.run_due() == 2
        assert inner == [0, 0]

    def test_a_failing_handler_does_not_wedge_the_engine(self) -> None:
        engine = Engine(Clock("instant"))
        ran: list[str] = []

        def handler(resource_id: str, due: float) -> None:
            if resource_id == "bad":
                raise RuntimeError("boom")
            ran.append(resource_id)

        engine.on("t", handler)
        engine.after(0, "t", "bad")
        with pytest.raises(RuntimeError):
            engine.run_due()
        engine.after(0, "t", "good")
        assert engine.run_due() == 1
        assert ran == ["good"]


# -- estate ---------------------------------------------------------------------------------
def _estate_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "estate.yaml"
    path.write_text(text, encoding="utf-8")
    return path


HOST = "hosts:\n  - {name: h1, memory_mb: 1024, processors: 2}\n"


class TestEstate:
    def test_default_estate(self) -> None:
        estate = load_estate()
        assert estate.region == "RegionOne"
        assert estate.powervc_version
        assert len(estate.hosts) == 3
        assert all(h.memory_mb > 0 and h.processors > 0 for h in estate.hosts)
        assert "PowerHA713" in {i.name for i in estate.images}
        flavors = [t.name for t in estate.compute_templates]
        for size in ("tiny", "small", "medium", "large", "xlarge"):
            assert f"powervm.{size}" in flavors
        assert "cmbnet1" in {n.name for n in estate.networks}
        templates = {t.name for t in estate.storage_templates}
        assert {"xiv90 base template", "svc82 base template"} <= templates
        providers = {p.name for p in estate.storage_providers}
        assert {t.provider for t in estate.storage_templates} <= providers
        assert [p.name for p in estate.projects] == ["ibm-default"]
        assert estate.users[0].name == "root"
        assert estate.users[0].roles == {"ibm-default": ["admin"]}
        assert set(DEFAULT_TIMINGS) <= set(estate.timings)

    def test_compute_template_extra_specs_are_strings(self) -> None:
        tiny = next(t for t in load_estate().compute_templates if t.name == "powervm.tiny")
        assert tiny.extra_specs["powervm:max_mem"] == "4096"
        assert all(isinstance(v, str) for v in tiny.extra_specs.values())

    def test_minimal_file_and_timing_defaults(self, tmp_path: Path) -> None:
        estate = load_estate(_estate_file(tmp_path, HOST + "timings: {spawning: 60}\n"))
        assert [h.name for h in estate.hosts] == ["h1"]
        assert estate.hosts[0].vios == 2  # defaults fill the rest
        assert estate.timings["spawning"] == 60
        assert estate.timings["scheduling"] == DEFAULT_TIMINGS["scheduling"]
        assert estate.images == []

    def test_empty_file_is_an_empty_estate(self, tmp_path: Path) -> None:
        assert load_estate(_estate_file(tmp_path, "")).hosts == []

    def test_unknown_key_is_named_with_its_place(self, tmp_path: Path) -> None:
        text = "hosts:\n  - {name: h1, memory_mb: 1, processors: 1, memroy: 2}\n"
        with pytest.raises(EstateError) as caught:
            load_estate(_estate_file(tmp_path, text))
        message = str(caught.value)
        assert "'memroy'" in message
        assert "hosts[0]" in message
        assert "estate.yaml" in message
        assert "memory_mb" in message  # lists what is allowed

    def test_unknown_section_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="'hostz'"):
            load_estate(_estate_file(tmp_path, "hostz: []\n"))

    def test_missing_required_key_is_named(self, tmp_path: Path) -> None:
        text = "networks:\n  - name: n1\n    subnets: [{name: s1}]\n"
        with pytest.raises(EstateError) as caught:
            load_estate(_estate_file(tmp_path, text))
        assert "'vlan'" in str(caught.value)
        assert "networks[0]" in str(caught.value)

    def test_nested_missing_key_is_named(self, tmp_path: Path) -> None:
        text = "networks:\n  - name: n1\n    vlan: 5\n    subnets: [{name: s1}]\n"
        with pytest.raises(EstateError, match=r"subnets\[0\].*'cidr'"):
            load_estate(_estate_file(tmp_path, text))

    def test_bad_yaml(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="not valid YAML"):
            load_estate(_estate_file(tmp_path, "hosts: [\n  - {name: h1\n"))

    def test_top_level_must_be_a_mapping(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="mapping"):
            load_estate(_estate_file(tmp_path, "- hosts\n"))

    def test_section_must_be_a_list(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="hosts"):
            load_estate(_estate_file(tmp_path, "hosts: {name: h1}\n"))

    def test_whole_numbers_are_checked(self, tmp_path: Path) -> None:
        text = "hosts:\n  - {name: h1, memory_mb: lots, processors: 2}\n"
        with pytest.raises(EstateError, match="memory_mb"):
            load_estate(_estate_file(tmp_path, text))

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="cannot read"):
            load_estate(tmp_path / "absent.yaml")

    def test_null_name_is_rejected(self, tmp_path: Path) -> None:
        text = "hosts:\n  - name:\n    memory_mb: 1\n    processors: 1\n"
        with pytest.raises(EstateError, match="name"):
            load_estate(_estate_file(tmp_path, text))

    def test_boolean_is_not_a_whole_number(self, tmp_path: Path) -> None:
        text = "hosts:\n  - {name: h1, memory_mb: true, processors: 1}\n"
        with pytest.raises(EstateError, match="memory_mb"):
            load_estate(_estate_file(tmp_path, text))

    def test_scalar_where_a_list_is_expected(self, tmp_path: Path) -> None:
        text = "storage_providers:\n  - {name: a, type: SVC, capacity_gb: 1, pools: pool1}\n"
        with pytest.raises(EstateError, match="pools"):
            load_estate(_estate_file(tmp_path, text))

    def test_unknown_timing_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="spawnig"):
            load_estate(_estate_file(tmp_path, "timings: {spawnig: 5}\n"))

    def test_timing_must_be_a_number(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="spawning"):
            load_estate(_estate_file(tmp_path, "timings: {spawning: fast}\n"))

    def test_user_role_on_unknown_project(self, tmp_path: Path) -> None:
        text = "projects: [{name: ibm-default}]\nusers:\n  - {name: root, roles: {nope: [admin]}}\n"
        path = _estate_file(tmp_path, text)
        with pytest.raises(EstateError, match="nope"):
            Emulator(EmulatorConfig(estate_path=path, log_dir=tmp_path / "logs")).close()

    def test_user_role_unknown_role_names_the_user(self, tmp_path: Path) -> None:
        text = "projects: [{name: p1}]\nusers:\n  - {name: bob, roles: {p1: [superuser]}}\n"
        with pytest.raises(EstateError, match=r"users\[0\].*bob.*'superuser'"):
            load_estate(_estate_file(tmp_path, text))

    @pytest.mark.parametrize(
        ("text", "key"),
        [
            ("images:\n  - {name: i1, os_distro: true}\n", "os_distro"),
            (
                "storage_providers:\n  - {name: a, type: SVC, capacity_gb: 1, pools: [[p]]}\n",
                "pools",
            ),
            ("networks:\n  - {name: n1, vlan: 1, shared: 'yes'}\n", "shared"),
            ("timings: {spawning: -1}\n", "spawning"),
            ("timings: {spawning: true}\n", "spawning"),
            ("users:\n  - {name: u, roles: {p1: admin}}\n", "roles"),
        ],
    )
    def test_values_of_the_wrong_type_are_named(self, tmp_path: Path, text: str, key: str) -> None:
        with pytest.raises(EstateError, match=key):
            load_estate(_estate_file(tmp_path, text))

    def test_numbers_in_text_fields_keep_their_text(self, tmp_path: Path) -> None:
        text = "images:\n  - {name: i1, os_distro: aix, os_version: 7.2}\n"
        assert load_estate(_estate_file(tmp_path, text)).images[0].os_version == "7.2"

    def test_null_is_allowed_where_optional(self, tmp_path: Path) -> None:
        subnet = "{name: s, cidr: 10.0.0.0/24, gateway_ip: null}"
        text = f"networks:\n  - name: n1\n    vlan: 1\n    subnets: [{subnet}]\n"
        assert load_estate(_estate_file(tmp_path, text)).networks[0].subnets[0].gateway_ip is None


# -- behaviours -----------------------------------------------------------------------------
def _rules(seed: int = 0) -> Behaviours:
    return Behaviours(Store(":memory:"), seed=seed)


class TestBehaviourParsing:
    def test_server_rule(self) -> None:
        rule = parse_behaviour(
            {
                "kind": "server",
                "mode": "fail_at",
                "name_regex": "^ha-",
                "task_state": "spawning",
                "message": "No valid host",
            }
        )
        assert (rule.kind, rule.mode, rule.task_state) == ("server", "fail_at", "spawning")
        assert rule.id
        wire = rule.to_wire()
        assert wire["name_regex"] == "^ha-"
        assert "service" not in wire  # unset fields stay off the wire

    def test_api_rule_numbers_are_normalised(self) -> None:
        rule = parse_behaviour(
            {"kind": "api", "service": "image", "latency": "0.5", "fraction": "0.25"}
        )
        assert (rule.latency, rule.fraction) == (0.5, 0.25)

    @pytest.mark.parametrize(
        ("body", "named"),
        [
            ({"kind": "server", "mode": "fail_at", "name_regex": "x", "colour": 1}, "colour"),
            ({"kind": "bogus"}, "kind"),
            ({"mode": "fail_at"}, "kind"),
            ({"kind": "server", "mode": "explode", "name_regex": "x"}, "mode"),
            ({"kind": "server", "mode": "stuck_in_build"}, "name_regex"),
            ({"kind": "server", "mode": "fail_at", "name_regex": "x"}, "task_state"),
            (
                {"kind": "server", "mode": "fail_at", "name_regex": "x", "task_state": "done"},
                "task_state",
            ),
            (
                {"kind": "server", "mode": "stuck_in_build", "name_regex": "x", "seconds": -1},
                "seconds",
            ),
            ({"kind": "server", "mode": "stuck_in_build", "name_regex": "("}, "regular expression"),
            ({"kind": "server", "mode": "stuck_in_build", "name_regex": "x", "seconds": "a"}, ""),
            ({"kind": "server", "mode": "stuck_in_build", "metadata": "x"}, "metadata"),
            ({"kind": "api", "status": 503}, "service"),
            ({"kind": "api", "service": "dns", "status": 503}, "service"),
            ({"kind": "api", "service": "compute"}, "status"),
            ({"kind": "api", "service": "compute", "status": 200}, "status"),
            ({"kind": "api", "service": "compute", "status": "503"}, "status"),
            ({"kind": "api", "service": "compute", "status": 503, "fraction": 1.5}, "fraction"),
            ({"kind": "api", "service": "compute", "latency": -1}, "latency"),
            ({"kind": "api", "service": "compute", "status": 503, "path_regex": "["}, "regular"),
            ({"kind": "api", "service": "compute", "status": 503, "times": 0}, "times"),
            ({"kind": "api", "service": "compute", "status": 503, "times": 1.5}, "times"),
            ({"kind": "api", "service": "compute", "status": 503, "times": True}, "times"),
            ({"kind": "api", "service": "compute", "latency": 1, "after_handling": True}, "status"),
            (
                {"kind": "api", "service": "compute", "status": 503, "after_handling": "yes"},
                "after_handling",
            ),
            ({"kind": "server", "mode": "stuck_in_build", "name_regex": "x", "times": 1}, "times"),
        ],
    )
    def test_invalid_rules_are_400_naming_the_field(self, body: dict[str, Any], named: str) -> None:
        with pytest.raises(ApiError) as caught:
            parse_behaviour(body)
        assert caught.value.status == 400
        assert named in caught.value.message

    def test_body_must_be_an_object(self) -> None:
        with pytest.raises(ApiError) as caught:
            parse_behaviour(["kind", "api"])  # type: ignore[arg-type]
        assert caught.value.status == 400

    def test_method_must_be_a_string(self) -> None:
        with pytest.raises(ApiError) as caught:
            parse_behaviour({"kind": "api", "service": "compute", "status": 503, "method": 5})
        assert caught.value.status == 400

    def test_method_must_be_an_http_method_and_is_kept_upper_case(self) -> None:
        rule = {"kind": "api", "service": "compute", "status": 503}
        assert parse_behaviour({**rule, "method": "post"}).method == "POST"
        with pytest.raises(ApiError) as caught:
            parse_behaviour({**rule, "method": "FETCH"})
        assert caught.value.status == 400
        assert "method" in caught.value.message

    @pytest.mark.parametrize("field", ["latency", "seconds", "fraction"])
    def test_numbers_must_be_finite(self, field: str) -> None:
        rule = {"kind": "api", "service": "compute", "status": 503, field: "nan"}
        with pytest.raises(ApiError) as caught:
            parse_behaviour(rule)
        assert caught.value.status == 400
        assert field in caught.value.message


class TestBehaviourMatching:
    def test_server_rule_by_name_regex(self) -> None:
        rules = _rules()
        rule = rules.add({"kind": "server", "mode": "active_then_error", "name_regex": "^ha-"})
        assert rules.for_server("ha-node1", {}) == rule
        assert rules.for_server("web-1", {}) is None

    def test_server_rule_by_metadata(self) -> None:
        rules = _rules()
        rule = rules.add(
            {"kind": "server", "mode": "stuck_in_build", "metadata": {"fail": "yes"}, "seconds": 9}
        )
        assert rules.for_server("any", {"fail": "yes", "other": "1"}) == rule
        assert rules.for_server("any", {"fail": "no"}) is None
        assert rules.for_server("any", {}) is None

    def test_name_and_metadata_must_both_match(self) -> None:
        rules = _rules()
        rules.add(
            {"kind": "server", "mode": "stuck_in_build", "name_regex": "db", "metadata": {"a": "1"}}
        )
        assert rules.for_server("db1", {"a": "1"}) is not None
        assert rules.for_server("db1", {}) is None
        assert rules.for_server("web", {"a": "1"}) is None

    def test_api_rules_do_not_match_servers(self) -> None:
        rules = _rules()
        rules.add({"kind": "api", "service": "compute", "status": 500})
        assert rules.for_server("anything", {}) is None

    def test_api_fault_matching(self) -> None:
        rules = _rules()
        rules.add(
            {
                "kind": "api",
                "service": "volume",
                "method": "POST",
                "path_regex": "/volumes$",
                "status": 413,
                "message": "quota",
            }
        )
        fault = rules.api_fault("volume", "POST", "/v3/p/volumes")
        assert fault is not None
        assert (fault.status, fault.message, fault.latency) == (413, "quota", 0.0)
        assert rules.api_fault("volume", "GET", "/v3/p/volumes") is None
        assert rules.api_fault("volume", "POST", "/v3/p/volumes/detail") is None
        assert rules.api_fault("compute", "POST", "/v3/p/volumes") is None

    def test_no_rules_no_faults(self) -> None:
        assert _rules().api_fault("compute", "GET", "/servers") is None

    def test_fraction_is_reproducible_with_a_seed(self) -> None:
        def pattern(seed: int) -> list[bool]:
            rules = _rules(seed)
            rules.add({"kind": "api", "service": "image", "status": 503, "fraction": 0.3})
            return [rules.api_fault("image", "GET", "/v2/images") is not None for _ in range(400)]

        first = pattern(42)
        assert first == pattern(42)
        assert 0.2 < sum(first) / len(first) < 0.4
        assert first != pattern(43)

    @pytest.mark.parametrize(("fraction", "hits"), [(0.0, 0), (1.0, 50)])
    def test_fraction_bounds(self, fraction: float, hits: int) -> None:
        rules = _rules()
        rules.add({"kind": "api", "service": "image", "status": 503, "fraction": fraction})
        assert sum(rules.api_fault("image", "GET", "/") is not None for _ in range(50)) == hits

    def test_times_limits_a_rule_to_the_next_calls_and_the_count_persists(self) -> None:
        store = Store(":memory:")
        rules = Behaviours(store)
        rule = rules.add({"kind": "api", "service": "compute", "status": 503, "times": 2})
        assert rules.api_fault("compute", "POST", "/servers") is not None
        assert Behaviours(store).list()[0].times == 1  # a restart keeps what is left
        assert rules.api_fault("compute", "POST", "/servers") is not None
        assert rules.api_fault("compute", "POST", "/servers") is None
        assert rule.to_wire()["times"] == 0  # spent, still listed
        assert Behaviours(store).api_fault("compute", "POST", "/servers") is None

    def test_after_handling_is_carried_to_the_fault_and_off_the_wire_when_unset(self) -> None:
        rules = _rules()
        plain = rules.add({"kind": "api", "service": "volume", "status": 503})
        assert "after_handling" not in plain.to_wire()
        assert "times" not in plain.to_wire()
        rules.clear()
        rules.add({"kind": "api", "service": "volume", "status": 504, "after_handling": True})
        fault = rules.api_fault("volume", "POST", "/v3/p/volumes")
        assert fault is not None
        assert (fault.status, fault.after_handling) == (504, True)

    def test_rules_persist_and_can_be_removed(self) -> None:
        store = Store(":memory:")
        rules = Behaviours(store)
        rule = rules.add({"kind": "api", "service": "network", "latency": 0.1})
        reloaded = Behaviours(store)
        assert [r.id for r in reloaded.list()] == [rule.id]
        assert reloaded.list()[0].latency == 0.1
        reloaded.remove(rule.id)
        assert Behaviours(store).list() == []
        with pytest.raises(ApiError) as caught:
            reloaded.remove(rule.id)
        assert caught.value.status == 404

    def test_clear(self) -> None:
        store = Store(":memory:")
        rules = Behaviours(store)
        rules.add({"kind": "api", "service": "network", "latency": 0.1})
        rules.add({"kind": "server", "mode": "stuck_in_build", "name_regex": "x"})
        rules.clear()
        assert rules.list() == []
        assert list(store.load("behaviour")) == []


# -- the Emulator state object ------------------------------------------------------------
class TestEmulatorState:
    def test_in_memory_emulator_is_seeded(self, emulator: Emulator) -> None:
        assert emulator.data_dir is None
        assert not emulator.store.is_new
        assert emulator.identity.project_by_name("ibm-default")
        assert emulator.clock.mode == "instant"

    def test_service_urls_proxied(self, tmp_path: Path) -> None:
        config = EmulatorConfig(log_dir=tmp_path, public_url="https://powervc.example.com/")
        emulator = Emulator(config)
        try:
            assert emulator.service_url("compute") == (
                "https://powervc.example.com/powervc/openstack/compute"
            )
            assert (
                emulator.identity_url()
                == "https://powervc.example.com/powervc/openstack/identity/v3"
            )
        finally:
            emulator.close()

    def test_service_urls_ports(self, tmp_path: Path) -> None:
        config = EmulatorConfig(
            log_dir=tmp_path,
            url_style="ports",
            port=5000,
            tls=True,
            service_ports={"compute": 8774, "image": 9292},
        )
        emulator = Emulator(config)
        try:
            assert emulator.base_url() == "https://127.0.0.1:5000"
            assert emulator.service_url("compute") == "https://127.0.0.1:8774"
            assert emulator.service_url("identity") == "https://127.0.0.1:5000"
        finally:
            emulator.close()

    def test_data_dir_holds_the_store_and_logs(self, tmp_path: Path) -> None:
        emulator = Emulator(EmulatorConfig(data_dir=tmp_path / "data"))
        try:
            assert (tmp_path / "data" / "emulator.sqlite").exists()
            assert emulator.log_dir == tmp_path / "data" / "logs"
        finally:
            emulator.close()

    def test_restart_does_not_seed_twice(self, tmp_path: Path) -> None:
        first = Emulator(EmulatorConfig(data_dir=tmp_path))
        ids = sorted(first.identity.projects)
        first.close()
        second = Emulator(EmulatorConfig(data_dir=tmp_path))
        try:
            assert sorted(second.identity.projects) == ids
            assert len(second.identity.users) == 1
            assert len(second.identity.roles) == 3
        finally:
            second.close()

    def test_manual_clock_offset_survives_a_restart(self, tmp_path: Path) -> None:
        first = Emulator(EmulatorConfig(data_dir=tmp_path, clock="manual"))
        start = first.clock.now()
        first.advance_clock(120)
        first.close()
        second = Emulator(EmulatorConfig(data_dir=tmp_path, clock="manual"))
        try:
            assert second.clock.offset == 120
            assert second.clock.now() == start + 120
        finally:
            second.close()


# -- admin API ------------------------------------------------------------------------------
def _member_token(client: TestClient, admin_token: str) -> str:
    """A user with only the member role on ibm-default, and its project-scoped token."""
    admin = {"X-Auth-Token": admin_token}
    user = client.post(
        f"{IDENTITY}/users", headers=admin, json={"user": {"name": "member1", "password": "pw1"}}
    ).json()["user"]
    project = client.get(f"{IDENTITY}/projects?name=ibm-default", headers=admin).json()
    project_id = project["projects"][0]["id"]
    role = client.get(f"{IDENTITY}/roles?name=member", headers=admin).json()["roles"][0]
    granted = client.put(
        f"{IDENTITY}/projects/{project_id}/users/{user['id']}/roles/{role['id']}", headers=admin
    )
    assert granted.status_code == 204
    response = client.post(f"{IDENTITY}/auth/tokens", json=password_auth("member1", "pw1"))
    assert response.status_code == 201, response.text
    return str(response.headers["x-subject-token"])


@pytest.fixture
def manual(tmp_path: Path) -> Iterator[tuple[Emulator, TestClient, dict[str, str]]]:
    """An emulator on a manual clock, its client and admin auth headers."""
    emulator = Emulator(EmulatorConfig(clock="manual", log_dir=tmp_path / "logs"))
    with TestClient(create_app(emulator)) as client:
        response = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        yield emulator, client, {"X-Auth-Token": response.headers["x-subject-token"]}
    emulator.close()


class TestAdminApi:
    def test_health_is_public(self, client: TestClient, emulator: Emulator) -> None:
        response = client.get(f"{ADMIN_API}/health")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert set(body["services"]) == {"identity", "compute", "image", "network", "volume"}
        assert body["clock"]["mode"] == "instant"
        assert body["powervc_version"] == emulator.estate.powervc_version
        assert isinstance(body["pending_steps"], int)
        assert REQUEST_ID.match(response.headers["x-openstack-request-id"])

    def test_powervc_version_is_public(self, client: TestClient, emulator: Emulator) -> None:
        response = client.get("/powervc/version")
        assert response.status_code == 200
        assert response.json()["version"] == emulator.estate.powervc_version
        assert response.json()["product"] == "PowerVC"

    def test_clock_needs_a_token(self, client: TestClient) -> None:
        response = client.get(f"{ADMIN_API}/clock")
        assert response.status_code == 401
        assert response.json()["error"]["title"] == "Unauthorized"

    def test_admin_reads_the_clock(self, client: TestClient, admin_token: str) -> None:
        response = client.get(f"{ADMIN_API}/clock", headers={"X-Auth-Token": admin_token})
        assert response.status_code == 200
        clock = response.json()["clock"]
        assert (clock["mode"], clock["speed"], clock["offset"]) == ("instant", 1.0, 0.0)
        assert isinstance(clock["now"], float)

    def test_instant_clock_cannot_be_advanced(self, client: TestClient, admin_token: str) -> None:
        response = client.post(
            f"{ADMIN_API}/clock", headers={"X-Auth-Token": admin_token}, json={"advance": 10}
        )
        assert response.status_code == 409
        assert "manual" in response.json()["conflictingRequest"]["message"]

    def test_member_cannot_touch_the_clock(self, client: TestClient, admin_token: str) -> None:
        member = {"X-Auth-Token": _member_token(client, admin_token)}
        assert client.get(f"{ADMIN_API}/clock", headers=member).status_code == 403
        response = client.post(f"{ADMIN_API}/clock", headers=member, json={"advance": 1})
        assert response.status_code == 403
        assert response.json()["forbidden"]["code"] == 403

    def test_manual_clock_advances_and_runs_due_steps(
        self, manual: tuple[Emulator, TestClient, dict[str, str]]
    ) -> None:
        emulator, client, admin = manual
        before = client.get(f"{ADMIN_API}/clock", headers=admin).json()["clock"]
        assert before["mode"] == "manual"
        ran: list[str] = []
        emulator.engine.on("probe", lambda rid, due: ran.append(rid))
        emulator.engine.after(60, "probe", "r1")
        client.post(f"{ADMIN_API}/clock", headers=admin, json={"advance": 30})
        assert ran == []
        response = client.post(f"{ADMIN_API}/clock", headers=admin, json={"advance": 30.5})
        assert response.status_code == 200
        clock = response.json()["clock"]
        assert clock["offset"] == 60.5
        assert clock["now"] == pytest.approx(before["now"] + 60.5)
        assert ran == ["r1"]
        assert client.get(f"{ADMIN_API}/health").json()["pending_steps"] == 0

    @pytest.mark.parametrize(
        "body", [{}, {"advance": "10"}, {"advance": True}, {"advance": None}, [10], {"adv": 1}]
    )
    def test_advance_needs_a_number(
        self, manual: tuple[Emulator, TestClient, dict[str, str]], body: Any
    ) -> None:
        _, client, admin = manual
        response = client.post(f"{ADMIN_API}/clock", headers=admin, json=body)
        assert response.status_code == 400
        assert "advance" in response.json()["badRequest"]["message"]

    def test_advance_cannot_go_backwards(
        self, manual: tuple[Emulator, TestClient, dict[str, str]]
    ) -> None:
        emulator, client, admin = manual
        response = client.post(f"{ADMIN_API}/clock", headers=admin, json={"advance": -5})
        assert response.status_code == 400
        assert emulator.clock.offset == 0

    @pytest.mark.parametrize("literal", ["NaN", "Infinity"])
    def test_advance_rejects_non_finite_numbers(
        self, manual: tuple[Emulator, TestClient, dict[str, str]], literal: str
    ) -> None:
        emulator, client, admin = manual
        response = client.post(
            f"{ADMIN_API}/clock",
            headers={**admin, "content-type": "application/json"},
            content=f'{{"advance": {literal}}}'.encode(),
        )
        assert response.status_code == 400
        assert math.isfinite(emulator.clock.now())

    def test_behaviours_crud(self, client: TestClient, admin_token: str) -> None:
        admin = {"X-Auth-Token": admin_token}
        assert client.get(f"{ADMIN_API}/behaviours", headers=admin).json() == {"behaviours": []}
        rule = {"kind": "server", "mode": "fail_at", "name_regex": "^bad", "task_state": "spawning"}
        created = client.post(f"{ADMIN_API}/behaviours", headers=admin, json={"behaviour": rule})
        assert created.status_code == 201
        behaviour = created.json()["behaviour"]
        assert behaviour["mode"] == "fail_at"
        listed = client.get(f"{ADMIN_API}/behaviours", headers=admin).json()["behaviours"]
        assert [b["id"] for b in listed] == [behaviour["id"]]
        deleted = client.delete(f"{ADMIN_API}/behaviours/{behaviour['id']}", headers=admin)
        assert deleted.status_code == 204
        again = client.delete(f"{ADMIN_API}/behaviours/{behaviour['id']}", headers=admin)
        assert again.status_code == 404

    def test_clear_behaviours(self, client: TestClient, admin_token: str) -> None:
        admin = {"X-Auth-Token": admin_token}
        for name in ("a", "b"):
            body = {"behaviour": {"kind": "server", "mode": "stuck_in_build", "name_regex": name}}
            client.post(f"{ADMIN_API}/behaviours", headers=admin, json=body)
        assert client.delete(f"{ADMIN_API}/behaviours", headers=admin).status_code == 204
        assert client.get(f"{ADMIN_API}/behaviours", headers=admin).json()["behaviours"] == []

    @pytest.mark.parametrize(
        "body",
        [
            {"kind": "api"},
            {"behaviour": []},
            {"behaviour": {"kind": "api", "service": "compute"}},
            {"behaviour": {"kind": "server", "mode": "fail_at", "name_regex": "x", "oops": 1}},
        ],
    )
    def test_invalid_behaviour_is_400(
        self, client: TestClient, admin_token: str, body: dict[str, Any]
    ) -> None:
        response = client.post(
            f"{ADMIN_API}/behaviours", headers={"X-Auth-Token": admin_token}, json=body
        )
        assert response.status_code == 400
        assert response.json()["badRequest"]["code"] == 400

    def test_member_cannot_manage_behaviours(self, client: TestClient, admin_token: str) -> None:
        member = {"X-Auth-Token": _member_token(client, admin_token)}
        rule = {"behaviour": {"kind": "api", "service": "image", "status": 503}}
        assert client.get(f"{ADMIN_API}/behaviours", headers=member).status_code == 403
        assert client.post(f"{ADMIN_API}/behaviours", headers=member, json=rule).status_code == 403
        assert client.delete(f"{ADMIN_API}/behaviours", headers=member).status_code == 403
        assert client.delete(f"{ADMIN_API}/behaviours/x", headers=member).status_code == 403

    def test_injected_identity_fault(self, client: TestClient, admin_token: str) -> None:
        admin = {"X-Auth-Token": admin_token}
        rule = {
            "kind": "api",
            "service": "identity",
            "method": "GET",
            "path_regex": "/auth/projects$",
            "status": 503,
            "message": "keystone is down",
        }
        client.post(f"{ADMIN_API}/behaviours", headers=admin, json={"behaviour": rule})
        response = client.get(f"{IDENTITY}/auth/projects", headers=admin)
        assert response.status_code == 503
        assert response.json() == {
            "error": {"code": 503, "message": "keystone is down", "title": "Service Unavailable"}
        }
        assert client.get(f"{IDENTITY}/auth/catalog", headers=admin).status_code == 200
        assert client.delete(f"{ADMIN_API}/behaviours", headers=admin).status_code == 204
        assert client.get(f"{IDENTITY}/auth/projects", headers=admin).status_code == 200

    def test_bad_method_rule_cannot_break_the_service(
        self, client: TestClient, admin_token: str
    ) -> None:
        admin = {"X-Auth-Token": admin_token}
        rule = {"kind": "api", "service": "identity", "status": 503, "method": 5, "fraction": 0}
        created = client.post(f"{ADMIN_API}/behaviours", headers=admin, json={"behaviour": rule})
        assert created.status_code == 400
        assert client.get(f"{IDENTITY}/auth/projects", headers=admin).status_code == 200

    def test_unknown_admin_route_is_404_with_request_id(
        self, client: TestClient, admin_token: str
    ) -> None:
        response = client.get(f"{ADMIN_API}/nothing", headers={"X-Auth-Token": admin_token})
        assert response.status_code == 404
        assert REQUEST_ID.match(response.headers["x-openstack-request-id"])
