"""The admin API under `/powervc/emulator/v1` and `/powervc/version`."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import IDENTITY, password_auth

ADMIN_API = "/powervc/emulator/v1"
REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


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
