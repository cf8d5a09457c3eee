"""Keystone v3 over HTTP, as python-openstackclient, openstacksdk, keystoneauth1 and tempest
use it; tested by someone who did not write the service."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import IDENTITY, password_auth
from tests.support.roles import KEYSTONE_AND_POWERVC_ROLES

ROOT = "/powervc/openstack/identity"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CATALOG_TYPES = {"identity", "compute", "image", "network", "volume", "volumev2", "volumev3"}


# -- helpers --------------------------------------------------------------------------------
def auth_headers(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def issue(client: TestClient, body: dict[str, Any], query: str = "") -> Any:
    return client.post(f"{IDENTITY}/auth/tokens{query}", json=body)


def token_of(client: TestClient, body: dict[str, Any]) -> str:
    response = issue(client, body)
    assert response.status_code == 201, response.text
    return str(response.headers["x-subject-token"])


def user_password(
    password: str,
    *,
    name: str | None = None,
    user_id: str | None = None,
    scope: Any = None,
) -> dict[str, Any]:
    user: dict[str, Any] = (
        {"id": user_id} if user_id else {"name": name, "domain": {"id": "default"}}
    )
    user["password"] = password
    auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": user}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def assert_keystone_error(response: Any, status: int, title: str | None = None) -> dict[str, Any]:
    """The response is `status` in keystone's envelope, with a request id."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "title"}
    assert error["code"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    if title is not None:
        assert error["title"] == title
    assert REQUEST_ID.match(response.headers["x-openstack-request-id"])
    return error


def role_id(client: TestClient, admin_token: str, name: str) -> str:
    response = client.get(f"{IDENTITY}/roles?name={name}", headers=auth_headers(admin_token))
    return str(response.json()["roles"][0]["id"])


def create_user(client: TestClient, admin_token: str, name: str, password: str) -> dict[str, Any]:
    response = client.post(
        f"{IDENTITY}/users",
        headers=auth_headers(admin_token),
        json={"user": {"name": name, "password": password}},
    )
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


def grant(
    client: TestClient, admin_token: str, project_id: str, user_id: str, role: str = "member"
) -> None:
    role = role_id(client, admin_token, role)
    url = f"{IDENTITY}/projects/{project_id}/users/{user_id}/roles/{role}"
    assert client.put(url, headers=auth_headers(admin_token)).status_code == 204


@pytest.fixture
def member(client: TestClient, admin_token: str, project_id: str) -> dict[str, Any]:
    """alice: member of ibm-default (no default project); her user record and token."""
    user = create_user(client, admin_token, "alice", "alice-pw")
    grant(client, admin_token, project_id, user["id"])
    scope = {"project": {"id": project_id}}
    token = token_of(client, user_password("alice-pw", name="alice", scope=scope))
    return {"user": user, "token": token, "headers": auth_headers(token)}


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


# -- version discovery ----------------------------------------------------------------------
class TestDiscovery:
    @pytest.mark.parametrize("path", [ROOT, ROOT + "/"])
    def test_root_lists_versions_with_300(self, client: TestClient, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 300
        values = response.json()["versions"]["values"]
        assert len(values) == 1
        v3 = values[0]
        assert v3["id"].startswith("v3.")
        assert v3["status"] == "stable"
        self_link = next(link for link in v3["links"] if link["rel"] == "self")
        assert self_link["href"] == f"http://testserver{ROOT}/v3/"
        assert REQUEST_ID.match(response.headers["x-openstack-request-id"])

    @pytest.mark.parametrize("path", [IDENTITY, IDENTITY + "/"])
    def test_v3_document(self, client: TestClient, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200
        version = response.json()["version"]
        assert version["id"].startswith("v3.")
        assert version["status"] == "stable"
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", version["updated"])
        assert {"rel": "self", "href": f"http://testserver{IDENTITY}/"} in version["links"]
        assert version["media-types"][0]["type"] == "application/vnd.openstack.identity-v3+json"

    def test_discovery_is_public(self, client: TestClient) -> None:
        response = client.get(IDENTITY, headers=auth_headers("not-a-token"))
        assert response.status_code == 200


# -- issuing tokens -------------------------------------------------------------------------
class TestPasswordAuth:
    def test_project_scoped_token(self, client: TestClient, emulator: Emulator) -> None:
        response = issue(client, password_auth())
        assert response.status_code == 201
        assert REQUEST_ID.match(response.headers["x-openstack-request-id"])
        subject = response.headers["x-subject-token"]
        assert subject
        token = response.json()["token"]
        root = emulator.identity.user_by_name("root")
        project = emulator.identity.project_by_name("ibm-default")
        assert token["methods"] == ["password"]
        assert token["user"]["id"] == root.id
        assert token["user"]["name"] == "root"
        assert token["user"]["domain"] == {"id": "default", "name": "Default"}
        assert token["project"]["id"] == project.id
        assert token["project"]["name"] == "ibm-default"
        assert token["project"]["domain"] == {"id": "default", "name": "Default"}
        assert token["is_domain"] is False
        names = {role["name"] for role in token["roles"]}
        assert names == {"admin", "member", "reader"}  # admin implies member implies reader
        assert all(isinstance(role["id"], str) and role["id"] for role in token["roles"])
        assert isinstance(token["audit_ids"], list)
        assert len(token["audit_ids"]) == 1
        assert all(isinstance(a, str) and a for a in token["audit_ids"])

    def test_timestamps(self, client: TestClient) -> None:
        before = datetime.now(UTC)
        token = issue(client, password_auth()).json()["token"]
        issued, expires = parse_time(token["issued_at"]), parse_time(token["expires_at"])
        assert before - timedelta(seconds=2) <= issued <= datetime.now(UTC) + timedelta(seconds=2)
        assert expires - issued == timedelta(hours=6)  # PowerVC's token lifetime

    def test_catalog(self, client: TestClient, project_id: str) -> None:
        catalog = issue(client, password_auth()).json()["token"]["catalog"]
        by_type = {service["type"]: service for service in catalog}
        assert set(by_type) >= CATALOG_TYPES
        for service in catalog:
            assert isinstance(service["id"], str)
            assert service["id"]
            assert isinstance(service["name"], str)
            assert service["name"]
            interfaces = {e["interface"] for e in service["endpoints"]}
            assert interfaces == {"public", "internal", "admin"}
            for endpoint in service["endpoints"]:
                assert endpoint["region_id"] == "RegionOne"
                assert endpoint["url"].startswith("http://testserver/powervc/openstack/")
                assert isinstance(endpoint["id"], str)
                assert endpoint["id"]
        base = "http://testserver/powervc/openstack"
        public = {
            kind: next(e["url"] for e in s["endpoints"] if e["interface"] == "public")
            for kind, s in by_type.items()
        }
        assert public["identity"] == f"{base}/identity/v3"
        assert public["compute"] == f"{base}/compute/v2.1/{project_id}"
        assert public["image"] == f"{base}/image"
        assert public["network"] == f"{base}/network"
        assert public["volumev3"] == f"{base}/volume/v3/{project_id}"
        assert public["volumev2"] == f"{base}/volume/v2/{project_id}"
        assert public["volume"].startswith(f"{base}/volume/")

    def test_catalog_follows_the_host_clients_used(self, emulator: Emulator) -> None:
        with TestClient(create_app(emulator), base_url="https://powervc.example:8443") as client:
            token = issue(client, password_auth()).json()["token"]
        urls = [e["url"] for s in token["catalog"] for e in s["endpoints"]]
        assert all(
            url.startswith("https://powervc.example:8443/powervc/openstack/") for url in urls
        )

    def test_nocatalog(self, client: TestClient) -> None:
        response = issue(client, password_auth(), "?nocatalog")
        assert response.status_code == 201
        token = response.json()["token"]
        assert "catalog" not in token
        assert token["project"]["name"] == "ibm-default"

    def test_by_user_id_and_project_id(
        self, client: TestClient, emulator: Emulator, project_id: str
    ) -> None:
        root = emulator.identity.user_by_name("root")
        body = user_password("passw0rd", user_id=root.id, scope={"project": {"id": project_id}})
        response = issue(client, body)
        assert response.status_code == 201
        assert response.json()["token"]["project"]["id"] == project_id

    def test_project_by_name_and_domain_id(self, client: TestClient) -> None:
        scope = {"project": {"name": "ibm-default", "domain": {"id": "default"}}}
        response = issue(client, user_password("passw0rd", name="root", scope=scope))
        assert response.status_code == 201

    def test_unscoped_token(self, client: TestClient, admin_token: str) -> None:
        create_user(client, admin_token, "loner", "loner-pw")
        response = issue(client, user_password("loner-pw", name="loner"))
        assert response.status_code == 201
        token = response.json()["token"]
        assert token["methods"] == ["password"]
        assert token["user"]["name"] == "loner"
        for absent in ("project", "roles", "catalog", "domain"):
            assert absent not in token  # as tempest test_rescope_token asserts
        assert "expires_at" in token
        assert "issued_at" in token

    def test_domain_scoped_token(self, client: TestClient) -> None:
        scope = {"domain": {"id": "default"}}
        response = issue(client, user_password("passw0rd", name="root", scope=scope))
        assert response.status_code == 201
        token = response.json()["token"]
        assert token["domain"] == {"id": "default", "name": "Default"}
        assert "project" not in token
        assert "catalog" not in token

    def test_rescope_with_token(
        self, client: TestClient, admin_token: str, project_id: str
    ) -> None:
        user = create_user(client, admin_token, "bob", "bob-pw")
        grant(client, admin_token, project_id, user["id"])
        unscoped = token_of(client, user_password("bob-pw", name="bob"))
        body = {
            "auth": {
                "identity": {"methods": ["token"], "token": {"id": unscoped}},
                "scope": {"project": {"name": "ibm-default", "domain": {"id": "default"}}},
            }
        }
        response = issue(client, body)
        assert response.status_code == 201
        token = response.json()["token"]
        assert token["project"]["id"] == project_id
        assert {r["name"] for r in token["roles"]} == {"member", "reader"}
        assert token["user"]["id"] == user["id"]
        assert isinstance(token["catalog"], list)
        assert token["catalog"]

    def test_tempest_rescope_token(
        self, client: TestClient, admin_token: str, project_id: str
    ) -> None:
        user = create_user(client, admin_token, "bob", "bob-pw")
        grant(client, admin_token, project_id, user["id"])
        first = issue(client, user_password("bob-pw", user_id=user["id"]))
        unscoped = first.headers["x-subject-token"]
        original_expiry = first.json()["token"]["expires_at"]
        time.sleep(0.01)
        body = {
            "auth": {
                "identity": {"methods": ["token"], "token": {"id": unscoped}},
                "scope": {"project": {"id": project_id}},
            }
        }
        rescoped = issue(client, body)
        token = rescoped.json()["token"]
        assert token["expires_at"] == original_expiry
        assert set(token["methods"]) == {"password", "token"}
        revoked = client.delete(
            f"{IDENTITY}/auth/tokens",
            headers={
                **auth_headers(admin_token),
                "X-Subject-Token": rescoped.headers["x-subject-token"],
            },
        )
        assert revoked.status_code == 204
        assert issue(client, body).status_code == 201

    def test_rescoped_token_audit_ids_chain_to_the_parent(
        self, client: TestClient, admin_token: str, project_id: str
    ) -> None:
        user = create_user(client, admin_token, "bob", "bob-pw")
        grant(client, admin_token, project_id, user["id"])
        first = issue(client, user_password("bob-pw", user_id=user["id"]))
        (parent_audit_id,) = first.json()["token"]["audit_ids"]
        body = {
            "auth": {
                "identity": {
                    "methods": ["token"],
                    "token": {"id": first.headers["x-subject-token"]},
                },
                "scope": {"project": {"id": project_id}},
            }
        }
        audit_ids = issue(client, body).json()["token"]["audit_ids"]
        assert len(audit_ids) == 2
        assert audit_ids[1] == parent_audit_id
        assert audit_ids[0] != parent_audit_id

    def test_wrong_password_is_401_in_keystone_envelope(self, client: TestClient) -> None:
        response = issue(client, password_auth(password="wrong"))
        error = assert_keystone_error(response, 401, "Unauthorized")
        assert error["message"] == "The request you have made requires authentication."
        assert "x-subject-token" not in response.headers
        assert response.headers["www-authenticate"].startswith("Keystone uri=")

    def test_unknown_user_is_401(self, client: TestClient) -> None:
        assert_keystone_error(issue(client, password_auth(user="nobody")), 401, "Unauthorized")

    def test_project_without_role_is_401(self, client: TestClient, admin_token: str) -> None:
        create_user(client, admin_token, "loner", "loner-pw")
        scope = {"project": {"name": "ibm-default", "domain": {"name": "Default"}}}
        response = issue(client, user_password("loner-pw", name="loner", scope=scope))
        assert_keystone_error(response, 401)

    def test_disabled_user_is_401(self, client: TestClient, admin_token: str) -> None:
        user = create_user(client, admin_token, "gone", "gone-pw")
        client.patch(
            f"{IDENTITY}/users/{user['id']}",
            headers=auth_headers(admin_token),
            json={"user": {"enabled": False}},
        )
        assert_keystone_error(issue(client, user_password("gone-pw", name="gone")), 401)

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"auth": {}},
            {"auth": {"identity": {"methods": ["password"]}}},
            {"auth": {"identity": {"methods": ["password"], "password": {"user": "root"}}}},
        ],
    )
    def test_malformed_auth_is_400(self, client: TestClient, body: dict[str, Any]) -> None:
        assert_keystone_error(issue(client, body), 400, "Bad Request")

    @pytest.mark.parametrize(
        "body",
        [
            {"auth": {"identity": {"methods": [1]}}},
            {
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {"name": "root", "domain": "Default", "password": "passw0rd"}
                        },
                    }
                }
            },
            {
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {
                                "name": "root",
                                "domain": {"id": "default"},
                                "password": "passw0rd",
                            }
                        },
                    },
                    "scope": {"project": {"name": "ibm-default", "domain": "Default"}},
                }
            },
            {
                "auth": {
                    "identity": {
                        "methods": ["application_credential"],
                        "application_credential": {"name": "ci", "user": "root", "secret": "s"},
                    }
                }
            },
        ],
        ids=["method-not-string", "user-domain-string", "project-domain-string", "appcred-user"],
    )
    def test_ill_typed_auth_is_400_not_500(self, emulator: Emulator, body: dict[str, Any]) -> None:
        with TestClient(create_app(emulator), raise_server_exceptions=False) as client:
            response = issue(client, body)
        assert_keystone_error(response, 400)

    def test_malformed_json_is_400(self, client: TestClient) -> None:
        response = client.post(
            f"{IDENTITY}/auth/tokens",
            content=b'{"auth": {',
            headers={"content-type": "application/json"},
        )
        assert_keystone_error(response, 400, "Bad Request")

    def test_default_project_without_role_gives_unscoped_token(
        self, client: TestClient, admin_token: str
    ) -> None:
        project = client.post(
            f"{IDENTITY}/projects",
            headers=auth_headers(admin_token),
            json={"project": {"name": "empty"}},
        ).json()["project"]
        client.post(
            f"{IDENTITY}/users",
            headers=auth_headers(admin_token),
            json={"user": {"name": "dp", "password": "dp-pw", "default_project_id": project["id"]}},
        )
        response = issue(client, user_password("dp-pw", name="dp"))
        assert response.status_code == 201
        assert "project" not in response.json()["token"]

    def test_unknown_domain_scope_is_401(self, client: TestClient) -> None:
        scope = {"domain": {"id": "no-such-domain"}}
        assert_keystone_error(
            issue(client, user_password("passw0rd", name="root", scope=scope)), 401
        )


# -- validating, checking and revoking tokens ----------------------------------------------
class TestTokenOperations:
    def test_validate(self, client: TestClient, admin_token: str, project_id: str) -> None:
        subject = token_of(client, password_auth())
        response = client.get(
            f"{IDENTITY}/auth/tokens",
            headers={**auth_headers(admin_token), "X-Subject-Token": subject},
        )
        assert response.status_code == 200
        assert response.headers["x-subject-token"] == subject
        token = response.json()["token"]
        assert token["project"]["id"] == project_id
        assert {r["name"] for r in token["roles"]} == {"admin", "member", "reader"}
        assert "catalog" in token
        nocatalog = client.get(
            f"{IDENTITY}/auth/tokens?nocatalog",
            headers={**auth_headers(admin_token), "X-Subject-Token": subject},
        )
        assert "catalog" not in nocatalog.json()["token"]

    def test_validate_keeps_the_issued_timestamps(
        self, client: TestClient, admin_token: str
    ) -> None:
        issued = issue(client, password_auth())
        subject = issued.headers["x-subject-token"]
        validated = client.get(
            f"{IDENTITY}/auth/tokens",
            headers={**auth_headers(admin_token), "X-Subject-Token": subject},
        ).json()["token"]
        assert validated["expires_at"] == issued.json()["token"]["expires_at"]
        assert validated["issued_at"] == issued.json()["token"]["issued_at"]
        assert validated["audit_ids"] == issued.json()["token"]["audit_ids"]

    def test_check_with_head(self, client: TestClient, admin_token: str) -> None:
        subject = token_of(client, password_auth())
        response = client.head(
            f"{IDENTITY}/auth/tokens",
            headers={**auth_headers(admin_token), "X-Subject-Token": subject},
        )
        assert response.status_code == 200
        assert response.content == b""
        assert REQUEST_ID.match(response.headers["x-openstack-request-id"])

    def test_invalid_subject_is_404(self, client: TestClient, admin_token: str) -> None:
        response = client.get(
            f"{IDENTITY}/auth/tokens",
            headers={**auth_headers(admin_token), "X-Subject-Token": "gAAAAAbogus.token"},
        )
        assert_keystone_error(response, 404, "Not Found")

    def test_missing_subject_is_a_client_error(self, client: TestClient, admin_token: str) -> None:
        response = client.get(f"{IDENTITY}/auth/tokens", headers=auth_headers(admin_token))
        assert response.status_code in (400, 404)
        assert_keystone_error(response, response.status_code)

    def test_member_validates_own_token_not_others(
        self, client: TestClient, admin_token: str, member: dict[str, Any]
    ) -> None:
        own = client.get(
            f"{IDENTITY}/auth/tokens",
            headers={**member["headers"], "X-Subject-Token": member["token"]},
        )
        assert own.status_code == 200
        other = client.get(
            f"{IDENTITY}/auth/tokens",
            headers={**member["headers"], "X-Subject-Token": admin_token},
        )
        assert_keystone_error(other, 403, "Forbidden")

    def test_revoke(self, client: TestClient, admin_token: str) -> None:
        subject = token_of(client, password_auth())
        headers = {**auth_headers(admin_token), "X-Subject-Token": subject}
        response = client.delete(f"{IDENTITY}/auth/tokens", headers=headers)
        assert response.status_code == 204
        assert response.content == b""
        assert_keystone_error(client.get(f"{IDENTITY}/auth/tokens", headers=headers), 404)
        head = client.head(f"{IDENTITY}/auth/tokens", headers=headers)
        assert head.status_code == 404

    def test_revoked_token_is_401_everywhere(self, client: TestClient, admin_token: str) -> None:
        subject = token_of(client, password_auth())
        headers = auth_headers(subject)
        assert client.get(f"{IDENTITY}/auth/projects", headers=headers).status_code == 200
        assert (
            client.delete(
                f"{IDENTITY}/auth/tokens", headers={**headers, "X-Subject-Token": subject}
            ).status_code
            == 204
        )  # a token may revoke itself
        for url in (
            f"{IDENTITY}/auth/projects",
            f"{IDENTITY}/auth/catalog",
            f"{IDENTITY}/users",
            f"{IDENTITY}/projects",
            "/powervc/emulator/v1/clock",
        ):
            assert_keystone_error(client.get(url, headers=headers), 401, "Unauthorized")
        rescope = {
            "auth": {
                "identity": {"methods": ["token"], "token": {"id": subject}},
                "scope": {"project": {"name": "ibm-default", "domain": {"id": "default"}}},
            }
        }
        assert_keystone_error(issue(client, rescope), 401)
        # the admin's own token is a different token and still works
        assert client.get(f"{IDENTITY}/users", headers=auth_headers(admin_token)).status_code == 200

    def test_member_cannot_revoke_others(
        self, client: TestClient, admin_token: str, member: dict[str, Any]
    ) -> None:
        response = client.delete(
            f"{IDENTITY}/auth/tokens",
            headers={**member["headers"], "X-Subject-Token": admin_token},
        )
        assert_keystone_error(response, 403)
        assert client.get(f"{IDENTITY}/users", headers=auth_headers(admin_token)).status_code == 200

    def test_revoking_twice_is_404(self, client: TestClient, admin_token: str) -> None:
        subject = token_of(client, password_auth())
        headers = {**auth_headers(admin_token), "X-Subject-Token": subject}
        assert client.delete(f"{IDENTITY}/auth/tokens", headers=headers).status_code == 204
        assert_keystone_error(client.delete(f"{IDENTITY}/auth/tokens", headers=headers), 404)

    def test_revoking_without_a_subject_is_404(self, client: TestClient, admin_token: str) -> None:
        response = client.delete(f"{IDENTITY}/auth/tokens", headers=auth_headers(admin_token))
        assert_keystone_error(response, 404)
        assert client.get(f"{IDENTITY}/users", headers=auth_headers(admin_token)).status_code == 200

    def test_no_token_is_401(self, client: TestClient) -> None:
        response = client.get(f"{IDENTITY}/auth/projects")
        assert_keystone_error(response, 401, "Unauthorized")
        assert response.headers["www-authenticate"] == (
            'Keystone uri="http://testserver/powervc/openstack/identity/v3"'
        )

    def test_garbage_token_is_401(self, client: TestClient) -> None:
        for token in ("nonsense", "gAAAAA", "gAAAAAe30.AAAA", "gAAAAA!!.??"):
            assert_keystone_error(client.get(f"{IDENTITY}/users", headers=auth_headers(token)), 401)


class TestTokenLifetime:
    def test_token_expires(self, tmp_path: Path) -> None:
        emulator = Emulator(EmulatorConfig(token_ttl=1, log_dir=tmp_path / "logs"))
        try:
            with TestClient(create_app(emulator)) as client:
                response = issue(client, password_auth())
                token = response.json()["token"]
                lifetime = parse_time(token["expires_at"]) - parse_time(token["issued_at"])
                assert lifetime == timedelta(seconds=1)
                headers = auth_headers(response.headers["x-subject-token"])
                assert client.get(f"{IDENTITY}/auth/projects", headers=headers).status_code == 200
                time.sleep(1.1)
                expired = client.get(f"{IDENTITY}/auth/projects", headers=headers)
                assert_keystone_error(expired, 401, "Unauthorized")
                assert issue(client, password_auth()).status_code == 201  # log in again
        finally:
            emulator.close()

    def test_tokens_and_changes_survive_a_restart(self, tmp_path: Path) -> None:
        config = EmulatorConfig(data_dir=tmp_path)
        first = Emulator(config)
        with TestClient(create_app(first)) as client:
            kept = token_of(client, password_auth())
            dropped = token_of(client, password_auth())
            client.delete(
                f"{IDENTITY}/auth/tokens",
                headers={**auth_headers(kept), "X-Subject-Token": dropped},
            )
            create_user(client, kept, "survivor", "survivor-pw")
        first.close()
        second = Emulator(EmulatorConfig(data_dir=tmp_path))
        try:
            with TestClient(create_app(second)) as client:
                response = client.get(f"{IDENTITY}/auth/projects", headers=auth_headers(kept))
                assert response.status_code == 200
                assert response.json()["projects"][0]["name"] == "ibm-default"
                revoked = client.get(f"{IDENTITY}/auth/projects", headers=auth_headers(dropped))
                assert_keystone_error(revoked, 401)
                assert (
                    issue(client, user_password("survivor-pw", name="survivor")).status_code == 201
                )
        finally:
            second.close()

    def test_secrets_are_never_stored_in_clear(self, tmp_path: Path) -> None:
        emulator = Emulator(EmulatorConfig(data_dir=tmp_path, admin_password="Adm1n-Secret"))
        try:
            with TestClient(create_app(emulator)) as client:
                admin = token_of(client, password_auth(password="Adm1n-Secret"))
                create_user(client, admin, "carol", "Carol-Secret-42")
                user_id = emulator.identity.user_by_name("root").id
                created = client.post(
                    f"{IDENTITY}/users/{user_id}/application_credentials",
                    headers=auth_headers(admin),
                    json={"application_credential": {"name": "ci"}},
                )
                secret = created.json()["application_credential"]["secret"]
        finally:
            emulator.close()
        files = [path for path in tmp_path.rglob("*") if path.is_file()]
        assert any(path.name == "emulator.sqlite" for path in files)
        for path in files:  # the database, its WAL, and the logs
            data = path.read_bytes()
            for plain in ("Adm1n-Secret", "Carol-Secret-42", secret):
                assert plain.encode() not in data, f"{plain} found in {path}"


# -- auth catalog and projects ---------------------------------------------------------------
class TestAuthResources:
    def test_catalog(self, client: TestClient, admin_token: str) -> None:
        response = client.get(f"{IDENTITY}/auth/catalog", headers=auth_headers(admin_token))
        assert response.status_code == 200
        body = response.json()
        assert {s["type"] for s in body["catalog"]} >= CATALOG_TYPES
        assert body["links"]["self"] == f"http://testserver{IDENTITY}/auth/catalog"

    def test_catalog_needs_a_project_scope(self, client: TestClient, admin_token: str) -> None:
        create_user(client, admin_token, "loner", "loner-pw")
        unscoped = token_of(client, user_password("loner-pw", name="loner"))
        response = client.get(f"{IDENTITY}/auth/catalog", headers=auth_headers(unscoped))
        assert_keystone_error(response, 403, "Forbidden")

    def test_projects(self, client: TestClient, admin_token: str, project_id: str) -> None:
        response = client.get(f"{IDENTITY}/auth/projects", headers=auth_headers(admin_token))
        assert response.status_code == 200
        (project,) = response.json()["projects"]
        assert project["id"] == project_id
        assert project["name"] == "ibm-default"
        assert project["domain_id"] == "default"
        assert project["enabled"] is True
        assert project["links"]["self"] == f"http://testserver{IDENTITY}/projects/{project_id}"

    def test_unscoped_user_sees_their_projects(
        self, client: TestClient, admin_token: str, project_id: str
    ) -> None:
        user = create_user(client, admin_token, "bob", "bob-pw")
        unscoped = token_of(client, user_password("bob-pw", name="bob"))
        listed = client.get(f"{IDENTITY}/auth/projects", headers=auth_headers(unscoped))
        assert listed.json()["projects"] == []
        grant(client, admin_token, project_id, user["id"])
        listed = client.get(f"{IDENTITY}/auth/projects", headers=auth_headers(unscoped))
        assert [p["id"] for p in listed.json()["projects"]] == [project_id]


# -- projects, users, roles -----------------------------------------------------------------
class TestProjects:
    def test_crud(self, client: TestClient, admin_token: str) -> None:
        admin = auth_headers(admin_token)
        created = client.post(
            f"{IDENTITY}/projects",
            headers=admin,
            json={"project": {"name": "web", "description": "Web tier", "tags": ["a"]}},
        )
        assert created.status_code == 201
        project = created.json()["project"]
        assert project["name"] == "web"
        assert project["description"] == "Web tier"
        assert project["domain_id"] == "default"
        assert project["enabled"] is True
        assert project["is_domain"] is False
        assert project["tags"] == ["a"]
        url = f"{IDENTITY}/projects/{project['id']}"
        assert project["links"]["self"] == f"http://testserver{url}"
        assert client.get(url, headers=admin).json()["project"] == project
        listed = client.get(f"{IDENTITY}/projects", headers=admin).json()
        assert {p["name"] for p in listed["projects"]} == {"ibm-default", "web"}
        assert listed["links"]["self"] == f"http://testserver{IDENTITY}/projects"
        by_name = client.get(f"{IDENTITY}/projects?name=web", headers=admin).json()["projects"]
        assert [p["id"] for p in by_name] == [project["id"]]
        patched = client.patch(
            url, headers=admin, json={"project": {"description": "new", "enabled": False}}
        )
        assert patched.status_code == 200
        assert patched.json()["project"]["description"] == "new"
        assert patched.json()["project"]["enabled"] is False
        assert client.delete(url, headers=admin).status_code == 204
        assert_keystone_error(client.get(url, headers=admin), 404, "Not Found")
        assert_keystone_error(client.delete(url, headers=admin), 404)

    def test_duplicate_name_is_409(self, client: TestClient, admin_token: str) -> None:
        response = client.post(
            f"{IDENTITY}/projects",
            headers=auth_headers(admin_token),
            json={"project": {"name": "ibm-default"}},
        )
        assert_keystone_error(response, 409, "Conflict")

    @pytest.mark.parametrize(
        "body", [{}, {"project": "web"}, {"project": {}}, {"project": {"name": ""}}, [1]]
    )
    def test_bad_body_is_400(self, client: TestClient, admin_token: str, body: Any) -> None:
        response = client.post(f"{IDENTITY}/projects", headers=auth_headers(admin_token), json=body)
        error = assert_keystone_error(response, 400, "Bad Request")
        assert "project" in error["message"] or "name" in error["message"]

    def test_member_sees_only_their_projects(
        self, client: TestClient, admin_token: str, member: dict[str, Any], project_id: str
    ) -> None:
        other = client.post(
            f"{IDENTITY}/projects",
            headers=auth_headers(admin_token),
            json={"project": {"name": "hidden"}},
        ).json()["project"]
        # listing every project is an admin's (tempest's test_list_projects_by_unauthorized_user);
        # a member reads its own through /v3/auth/projects
        refused = client.get(f"{IDENTITY}/projects", headers=member["headers"])
        assert_keystone_error(refused, 403, "Forbidden")
        mine = client.get(f"{IDENTITY}/auth/projects", headers=member["headers"]).json()
        assert [p["id"] for p in mine["projects"]] == [project_id]
        assert (
            client.get(f"{IDENTITY}/projects/{project_id}", headers=member["headers"]).status_code
            == 200
        )
        hidden = client.get(f"{IDENTITY}/projects/{other['id']}", headers=member["headers"])
        assert_keystone_error(hidden, 403, "Forbidden")

    def test_member_cannot_administer_projects(
        self, client: TestClient, member: dict[str, Any], project_id: str
    ) -> None:
        headers = member["headers"]
        url = f"{IDENTITY}/projects/{project_id}"
        create = client.post(
            f"{IDENTITY}/projects", headers=headers, json={"project": {"name": "x"}}
        )
        error = assert_keystone_error(create, 403, "Forbidden")
        assert "identity:create_project" in error["message"]
        patch = client.patch(url, headers=headers, json={"project": {"description": "x"}})
        assert_keystone_error(patch, 403)
        assert_keystone_error(client.delete(url, headers=headers), 403)

    def test_rename_onto_existing_is_409(self, client: TestClient, admin_token: str) -> None:
        admin = auth_headers(admin_token)
        web = client.post(f"{IDENTITY}/projects", headers=admin, json={"project": {"name": "web"}})
        url = f"{IDENTITY}/projects/{web.json()['project']['id']}"
        response = client.patch(url, headers=admin, json={"project": {"name": "ibm-default"}})
        assert_keystone_error(response, 409)

    @pytest.mark.parametrize(
        "change",
        [
            {"name": 5},
            {"enabled": "no"},
            {"name": ""},
            {"name": "p" * 65},
            {"description": 5},
            {"tags": "a"},
            {"tags": ["a/b"]},
            {},
        ],
    )
    def test_patch_is_validated(
        self, client: TestClient, admin_token: str, project_id: str, change: dict[str, Any]
    ) -> None:
        response = client.patch(
            f"{IDENTITY}/projects/{project_id}",
            headers=auth_headers(admin_token),
            json={"project": change},
        )
        assert_keystone_error(response, 400)

    def test_rejected_patch_changes_nothing(
        self, client: TestClient, admin_token: str, project_id: str
    ) -> None:
        url = f"{IDENTITY}/projects/{project_id}"
        admin = auth_headers(admin_token)
        before = client.get(url, headers=admin).json()["project"]
        change = {"project": {"description": "x", "enabled": "no"}}
        assert client.patch(url, headers=admin, json=change).status_code == 400
        assert client.get(url, headers=admin).json()["project"] == before

    @pytest.mark.parametrize("field", [{"enabled": "yes"}, {"tags": [1]}, {"name": "p" * 65}])
    def test_create_is_validated(
        self, client: TestClient, admin_token: str, field: dict[str, Any]
    ) -> None:
        response = client.post(
            f"{IDENTITY}/projects",
            headers=auth_headers(admin_token),
            json={"project": {"name": "web", **field}},
        )
        error = assert_keystone_error(response, 400)
        assert next(iter(field)) in error["message"]

    def test_disabling_a_project_invalidates_its_tokens(
        self, client: TestClient, admin_token: str
    ) -> None:
        admin = auth_headers(admin_token)
        project = client.post(
            f"{IDENTITY}/projects", headers=admin, json={"project": {"name": "web"}}
        ).json()["project"]
        user = create_user(client, admin_token, "bob", "bob-pw")
        grant(client, admin_token, project["id"], user["id"])
        scope = {"project": {"id": project["id"]}}
        token = token_of(client, user_password("bob-pw", name="bob", scope=scope))
        client.patch(
            f"{IDENTITY}/projects/{project['id']}",
            headers=admin,
            json={"project": {"enabled": False}},
        )
        response = client.get(f"{IDENTITY}/auth/projects", headers=auth_headers(token))
        assert_keystone_error(response, 401)


class TestUsers:
    def test_crud(self, client: TestClient, admin_token: str, project_id: str) -> None:
        admin = auth_headers(admin_token)
        created = client.post(
            f"{IDENTITY}/users",
            headers=admin,
            json={
                "user": {
                    "name": "dave",
                    "password": "dave-pw",
                    "email": "dave@example.com",
                    "description": "ops",
                    "default_project_id": project_id,
                }
            },
        )
        assert created.status_code == 201
        user = created.json()["user"]
        assert "password" not in user
        assert "password_hash" not in user
        assert user["name"] == "dave"
        assert user["domain_id"] == "default"
        assert user["enabled"] is True
        assert user["email"] == "dave@example.com"
        assert user["default_project_id"] == project_id
        url = f"{IDENTITY}/users/{user['id']}"
        assert user["links"]["self"] == f"http://testserver{url}"
        assert client.get(url, headers=admin).json()["user"] == user
        names = {u["name"] for u in client.get(f"{IDENTITY}/users", headers=admin).json()["users"]}
        assert names == {"root", "dave"}
        by_name = client.get(f"{IDENTITY}/users?name=dave", headers=admin).json()["users"]
        assert [u["id"] for u in by_name] == [user["id"]]
        patched = client.patch(url, headers=admin, json={"user": {"email": "d@example.org"}})
        assert patched.json()["user"]["email"] == "d@example.org"
        assert client.delete(url, headers=admin).status_code == 204
        assert_keystone_error(client.get(url, headers=admin), 404, "Not Found")

    def test_password_change_takes_effect(self, client: TestClient, admin_token: str) -> None:
        user = create_user(client, admin_token, "erin", "first-pw")
        assert issue(client, user_password("first-pw", name="erin")).status_code == 201
        client.patch(
            f"{IDENTITY}/users/{user['id']}",
            headers=auth_headers(admin_token),
            json={"user": {"password": "second-pw"}},
        )
        assert_keystone_error(issue(client, user_password("first-pw", name="erin")), 401)
        assert issue(client, user_password("second-pw", name="erin")).status_code == 201

    def test_duplicate_is_409(self, client: TestClient, admin_token: str) -> None:
        response = client.post(
            f"{IDENTITY}/users",
            headers=auth_headers(admin_token),
            json={"user": {"name": "root", "password": "x"}},
        )
        assert_keystone_error(response, 409, "Conflict")

    def test_password_must_be_a_string(self, client: TestClient, admin_token: str) -> None:
        response = client.post(
            f"{IDENTITY}/users",
            headers=auth_headers(admin_token),
            json={"user": {"name": "x", "password": 123}},
        )
        error = assert_keystone_error(response, 400)
        assert "password" in error["message"]

    def test_member_reads_only_themselves(
        self, client: TestClient, admin_token: str, member: dict[str, Any], emulator: Emulator
    ) -> None:
        headers = member["headers"]
        me = client.get(f"{IDENTITY}/users/{member['user']['id']}", headers=headers)
        assert me.status_code == 200
        root = emulator.identity.user_by_name("root")
        assert_keystone_error(client.get(f"{IDENTITY}/users/{root.id}", headers=headers), 403)
        assert_keystone_error(client.get(f"{IDENTITY}/users", headers=headers), 403, "Forbidden")

    def test_member_cannot_administer_users(
        self, client: TestClient, member: dict[str, Any]
    ) -> None:
        headers = member["headers"]
        url = f"{IDENTITY}/users/{member['user']['id']}"
        create = client.post(
            f"{IDENTITY}/users", headers=headers, json={"user": {"name": "x", "password": "y"}}
        )
        assert_keystone_error(create, 403, "Forbidden")
        assert_keystone_error(client.patch(url, headers=headers, json={"user": {}}), 403)
        assert_keystone_error(client.delete(url, headers=headers), 403)

    def test_user_projects(
        self, client: TestClient, admin_token: str, member: dict[str, Any], project_id: str
    ) -> None:
        url = f"{IDENTITY}/users/{member['user']['id']}/projects"
        listed = client.get(url, headers=member["headers"])
        assert listed.status_code == 200
        assert [p["id"] for p in listed.json()["projects"]] == [project_id]

    def test_long_user_name_is_allowed(self, client: TestClient, admin_token: str) -> None:
        response = client.post(
            f"{IDENTITY}/users",
            headers=auth_headers(admin_token),
            json={"user": {"name": "u" * 100, "password": "x"}},
        )
        assert response.status_code == 201

    def test_user_and_role_names_stop_at_255(self, client: TestClient, admin_token: str) -> None:
        admin = auth_headers(admin_token)
        for kind in ("user", "role"):
            url = f"{IDENTITY}/{kind}s"
            assert (
                client.post(url, headers=admin, json={kind: {"name": "n" * 255}}).status_code == 201
            )
            too_long = client.post(url, headers=admin, json={kind: {"name": "m" * 256}})
            assert_keystone_error(too_long, 400)

    def test_rename_onto_existing_is_409(self, client: TestClient, admin_token: str) -> None:
        user = create_user(client, admin_token, "bob", "bob-pw")
        response = client.patch(
            f"{IDENTITY}/users/{user['id']}",
            headers=auth_headers(admin_token),
            json={"user": {"name": "root"}},
        )
        assert_keystone_error(response, 409, "Conflict")

    @pytest.mark.parametrize(
        "change",
        [
            {"enabled": "no"},
            {"name": 5},
            {"password": 5},
            {"email": ["a"]},
            {"name": "u" * 256},
            {},
        ],
    )
    def test_patch_is_validated(
        self, client: TestClient, admin_token: str, change: dict[str, Any]
    ) -> None:
        user = create_user(client, admin_token, "bob", "bob-pw")
        response = client.patch(
            f"{IDENTITY}/users/{user['id']}",
            headers=auth_headers(admin_token),
            json={"user": change},
        )
        assert_keystone_error(response, 400)
        assert issue(client, user_password("bob-pw", name="bob")).status_code == 201


class TestRolesAndGrants:
    def test_role_crud(self, client: TestClient, admin_token: str) -> None:
        admin = auth_headers(admin_token)
        listed = client.get(f"{IDENTITY}/roles", headers=admin).json()
        assert {r["name"] for r in listed["roles"]} == KEYSTONE_AND_POWERVC_ROLES
        created = client.post(f"{IDENTITY}/roles", headers=admin, json={"role": {"name": "ops"}})
        assert created.status_code == 201
        role = created.json()["role"]
        assert role["name"] == "ops"
        url = f"{IDENTITY}/roles/{role['id']}"
        assert role["links"]["self"] == f"http://testserver{url}"
        assert client.get(url, headers=admin).json()["role"] == role
        by_name = client.get(f"{IDENTITY}/roles?name=ops", headers=admin).json()["roles"]
        assert [r["id"] for r in by_name] == [role["id"]]
        duplicate = client.post(f"{IDENTITY}/roles", headers=admin, json={"role": {"name": "ops"}})
        assert_keystone_error(duplicate, 409)
        assert client.delete(url, headers=admin).status_code == 204
        assert_keystone_error(client.get(url, headers=admin), 404)

    def test_member_cannot_create_or_delete_roles(
        self, client: TestClient, admin_token: str, member: dict[str, Any]
    ) -> None:
        headers = member["headers"]
        create = client.post(f"{IDENTITY}/roles", headers=headers, json={"role": {"name": "x"}})
        assert_keystone_error(create, 403, "Forbidden")
        reader = role_id(client, admin_token, "reader")
        assert_keystone_error(client.delete(f"{IDENTITY}/roles/{reader}", headers=headers), 403)

    def test_grants(self, client: TestClient, admin_token: str, project_id: str) -> None:
        admin = auth_headers(admin_token)
        user = create_user(client, admin_token, "frank", "frank-pw")
        reader = role_id(client, admin_token, "reader")
        url = f"{IDENTITY}/projects/{project_id}/users/{user['id']}/roles/{reader}"
        assert_keystone_error(client.get(url, headers=admin), 404)
        assert client.put(url, headers=admin).status_code == 204
        assert client.put(url, headers=admin).status_code == 204  # idempotent
        assert client.get(url, headers=admin).status_code == 204
        assert client.head(url, headers=admin).status_code == 204
        listed = client.get(
            f"{IDENTITY}/projects/{project_id}/users/{user['id']}/roles", headers=admin
        ).json()["roles"]
        assert [r["id"] for r in listed] == [reader]
        scope = {"project": {"id": project_id}}
        token = issue(client, user_password("frank-pw", name="frank", scope=scope)).json()
        assert [r["name"] for r in token["token"]["roles"]] == ["reader"]
        assert client.delete(url, headers=admin).status_code == 204
        assert_keystone_error(client.get(url, headers=admin), 404)
        assert_keystone_error(client.delete(url, headers=admin), 404)
        assert_keystone_error(
            issue(client, user_password("frank-pw", name="frank", scope=scope)), 401
        )

    @pytest.mark.parametrize("missing", ["project", "user", "role"])
    def test_grant_with_unknown_ids_is_404(
        self,
        client: TestClient,
        admin_token: str,
        project_id: str,
        missing: str,
        emulator: Emulator,
    ) -> None:
        ids = {
            "project": project_id,
            "user": emulator.identity.user_by_name("root").id,
            "role": role_id(client, admin_token, "reader"),
        }
        ids[missing] = "0" * 32
        url = f"{IDENTITY}/projects/{ids['project']}/users/{ids['user']}/roles/{ids['role']}"
        error = assert_keystone_error(client.put(url, headers=auth_headers(admin_token)), 404)
        assert "0" * 32 in error["message"]

    def test_member_cannot_grant(
        self, client: TestClient, admin_token: str, member: dict[str, Any], project_id: str
    ) -> None:
        admin_role = role_id(client, admin_token, "admin")
        url = f"{IDENTITY}/projects/{project_id}/users/{member['user']['id']}/roles/{admin_role}"
        assert_keystone_error(client.put(url, headers=member["headers"]), 403, "Forbidden")
        member_role = role_id(client, admin_token, "member")
        own = f"{IDENTITY}/projects/{project_id}/users/{member['user']['id']}/roles/{member_role}"
        assert_keystone_error(client.delete(own, headers=member["headers"]), 403)

    def test_role_assignments(
        self, client: TestClient, admin_token: str, member: dict[str, Any], project_id: str
    ) -> None:
        admin = auth_headers(admin_token)
        everything = client.get(f"{IDENTITY}/role_assignments", headers=admin).json()
        scopes = [next(iter(row["scope"])) for row in everything["role_assignments"]]
        # root: admin of its project, the system and the domain; alice: member of hers
        assert sorted(scopes) == ["domain", "project", "project", "system"]
        user_id = member["user"]["id"]
        mine = client.get(
            f"{IDENTITY}/role_assignments?user.id={user_id}&scope.project.id={project_id}",
            headers=admin,
        ).json()["role_assignments"]
        assert len(mine) == 1
        row = mine[0]
        member_role = role_id(client, admin_token, "member")
        assert row["user"] == {"id": user_id}
        assert row["role"] == {"id": member_role}
        assert row["scope"] == {"project": {"id": project_id}}
        assert row["links"]["assignment"] == (
            f"http://testserver{IDENTITY}/projects/{project_id}/users/{user_id}/roles/{member_role}"
        )
        other_project = client.get(
            f"{IDENTITY}/role_assignments?scope.project.id={'0' * 32}", headers=admin
        ).json()
        assert other_project["role_assignments"] == []

    def test_role_assignments_with_names(
        self, client: TestClient, admin_token: str, member: dict[str, Any], project_id: str
    ) -> None:
        response = client.get(
            f"{IDENTITY}/role_assignments?user.id={member['user']['id']}&include_names",
            headers=auth_headers(admin_token),
        )
        (row,) = response.json()["role_assignments"]
        assert row["role"]["name"] == "member"
        assert row["user"]["name"] == "alice"
        assert row["user"]["domain"] == {"id": "default", "name": "Default"}
        assert row["scope"]["project"]["name"] == "ibm-default"
        assert row["scope"]["project"]["domain"] == {"id": "default", "name": "Default"}

    def test_member_lists_only_their_own_assignments(
        self, client: TestClient, member: dict[str, Any], emulator: Emulator
    ) -> None:
        headers = member["headers"]
        own = client.get(
            f"{IDENTITY}/role_assignments?user.id={member['user']['id']}", headers=headers
        )
        assert own.status_code == 200
        root = emulator.identity.user_by_name("root")
        others = client.get(f"{IDENTITY}/role_assignments?user.id={root.id}", headers=headers)
        assert_keystone_error(others, 403, "Forbidden")
        assert_keystone_error(client.get(f"{IDENTITY}/role_assignments", headers=headers), 403)

    def test_include_names_false(self, client: TestClient, admin_token: str) -> None:
        response = client.get(
            f"{IDENTITY}/role_assignments?include_names=false", headers=auth_headers(admin_token)
        )
        assert "name" not in response.json()["role_assignments"][0]["role"]

    @pytest.mark.parametrize(
        ("query", "named"),
        [("include_names=0", False), ("include_names=no", False), ("include_names=True", True)],
    )
    def test_include_names_values(
        self, client: TestClient, admin_token: str, query: str, named: bool
    ) -> None:
        response = client.get(
            f"{IDENTITY}/role_assignments?{query}", headers=auth_headers(admin_token)
        )
        assert ("name" in response.json()["role_assignments"][0]["role"]) is named


class TestApplicationCredentials:
    def _create(self, client: TestClient, member: dict[str, Any], **fields: Any) -> Any:
        return client.post(
            f"{IDENTITY}/users/{member['user']['id']}/application_credentials",
            headers=member["headers"],
            json={"application_credential": {"name": "ci", **fields}},
        )

    def test_lifecycle(self, client: TestClient, member: dict[str, Any], project_id: str) -> None:
        user_id = member["user"]["id"]
        base = f"{IDENTITY}/users/{user_id}/application_credentials"
        created = self._create(client, member, description="CI pipeline")
        assert created.status_code == 201
        cred = created.json()["application_credential"]
        secret = cred["secret"]
        assert isinstance(secret, str)
        assert len(secret) >= 32
        assert cred["name"] == "ci"
        assert cred["description"] == "CI pipeline"
        assert cred["user_id"] == user_id
        assert cred["project_id"] == project_id
        assert cred["unrestricted"] is False
        assert cred["expires_at"] is None
        assert {r["name"] for r in cred["roles"]} == {"member", "reader"}
        assert cred["links"]["self"] == f"http://testserver{base}/{cred['id']}"

        shown = client.get(f"{base}/{cred['id']}", headers=member["headers"])
        assert shown.status_code == 200
        assert "secret" not in shown.json()["application_credential"]  # returned only once
        listed = client.get(base, headers=member["headers"]).json()
        assert [c["id"] for c in listed["application_credentials"]] == [cred["id"]]
        assert all("secret" not in c for c in listed["application_credentials"])
        by_name = client.get(f"{base}?name=ci", headers=member["headers"]).json()
        assert len(by_name["application_credentials"]) == 1

        assert client.delete(f"{base}/{cred['id']}", headers=member["headers"]).status_code == 204
        assert_keystone_error(client.get(f"{base}/{cred['id']}", headers=member["headers"]), 404)
        listed = client.get(base, headers=member["headers"]).json()
        assert listed["application_credentials"] == []

    def test_auth_by_id_and_secret(
        self, client: TestClient, member: dict[str, Any], project_id: str
    ) -> None:
        cred = self._create(client, member).json()["application_credential"]
        body = {
            "auth": {
                "identity": {
                    "methods": ["application_credential"],
                    "application_credential": {"id": cred["id"], "secret": cred["secret"]},
                }
            }
        }
        response = issue(client, body)
        assert response.status_code == 201
        token = response.json()["token"]
        assert token["methods"] == ["application_credential"]
        assert token["project"]["id"] == project_id
        assert token["user"]["id"] == member["user"]["id"]
        assert token["application_credential"]["id"] == cred["id"]
        assert token["application_credential"]["name"] == "ci"
        assert token["application_credential"]["restricted"] is True
        assert {s["type"] for s in token["catalog"]} >= CATALOG_TYPES
        headers = auth_headers(response.headers["x-subject-token"])
        assert client.get(f"{IDENTITY}/auth/projects", headers=headers).status_code == 200

    def test_auth_by_name_user_and_secret(self, client: TestClient, member: dict[str, Any]) -> None:
        cred = self._create(client, member).json()["application_credential"]
        for user in (
            {"name": "alice", "domain": {"name": "Default"}},
            {"id": member["user"]["id"]},
        ):
            body = {
                "auth": {
                    "identity": {
                        "methods": ["application_credential"],
                        "application_credential": {
                            "name": "ci",
                            "user": user,
                            "secret": cred["secret"],
                        },
                    }
                }
            }
            response = issue(client, body)
            assert response.status_code == 201, user
            assert response.json()["token"]["application_credential"]["id"] == cred["id"]

    def test_wrong_secret_is_401(self, client: TestClient, member: dict[str, Any]) -> None:
        cred = self._create(client, member).json()["application_credential"]
        body = {
            "auth": {
                "identity": {
                    "methods": ["application_credential"],
                    "application_credential": {"id": cred["id"], "secret": "wrong"},
                }
            }
        }
        assert_keystone_error(issue(client, body), 401, "Unauthorized")

    def test_deleted_credential_and_its_tokens_stop_working(
        self, client: TestClient, member: dict[str, Any]
    ) -> None:
        cred = self._create(client, member).json()["application_credential"]
        body = {
            "auth": {
                "identity": {
                    "methods": ["application_credential"],
                    "application_credential": {"id": cred["id"], "secret": cred["secret"]},
                }
            }
        }
        token = issue(client, body).headers["x-subject-token"]
        url = f"{IDENTITY}/users/{member['user']['id']}/application_credentials/{cred['id']}"
        assert client.delete(url, headers=member["headers"]).status_code == 204
        assert_keystone_error(issue(client, body), 401)
        assert_keystone_error(
            client.get(f"{IDENTITY}/auth/projects", headers=auth_headers(token)), 401
        )

    def test_expiry_is_reported(self, client: TestClient, member: dict[str, Any]) -> None:
        created = self._create(client, member, expires_at="2031-02-03T04:05:06Z")
        assert created.status_code == 201
        assert created.json()["application_credential"]["expires_at"].startswith(
            "2031-02-03T04:05:06"
        )

    def test_duplicate_name_is_409(self, client: TestClient, member: dict[str, Any]) -> None:
        self._create(client, member)
        assert_keystone_error(self._create(client, member), 409, "Conflict")

    def test_cannot_delegate_roles_you_lack(
        self, client: TestClient, member: dict[str, Any]
    ) -> None:
        response = self._create(client, member, roles=[{"name": "admin"}])
        assert_keystone_error(response, 403, "Forbidden")

    def test_others_credentials_are_forbidden(
        self, client: TestClient, member: dict[str, Any], emulator: Emulator
    ) -> None:
        root = emulator.identity.user_by_name("root")
        url = f"{IDENTITY}/users/{root.id}/application_credentials"
        assert_keystone_error(client.get(url, headers=member["headers"]), 403)
        create = client.post(
            url, headers=member["headers"], json={"application_credential": {"name": "steal"}}
        )
        assert_keystone_error(create, 403)

    def test_roles_as_strings_are_400(self, emulator: Emulator, admin_token: str) -> None:
        root = emulator.identity.user_by_name("root")
        with TestClient(create_app(emulator), raise_server_exceptions=False) as client:
            response = client.post(
                f"{IDENTITY}/users/{root.id}/application_credentials",
                headers=auth_headers(admin_token),
                json={"application_credential": {"name": "ci", "roles": ["member"]}},
            )
        assert_keystone_error(response, 400)

    @pytest.mark.parametrize(
        "fields", [{"expires_at": 5}, {"unrestricted": "yes"}, {"roles": [{"name": 5}]}]
    )
    def test_ill_typed_fields_are_400_not_500(
        self, emulator: Emulator, admin_token: str, fields: dict[str, Any]
    ) -> None:
        root = emulator.identity.user_by_name("root")
        with TestClient(create_app(emulator), raise_server_exceptions=False) as client:
            response = client.post(
                f"{IDENTITY}/users/{root.id}/application_credentials",
                headers=auth_headers(admin_token),
                json={"application_credential": {"name": "ci", **fields}},
            )
        error = assert_keystone_error(response, 400)
        assert next(iter(fields)) in error["message"]

    def test_disabled_user_cannot_use_app_cred(
        self, client: TestClient, admin_token: str, member: dict[str, Any]
    ) -> None:
        cred = self._create(client, member).json()["application_credential"]
        client.patch(
            f"{IDENTITY}/users/{member['user']['id']}",
            headers=auth_headers(admin_token),
            json={"user": {"enabled": False}},
        )
        body = {
            "auth": {
                "identity": {
                    "methods": ["application_credential"],
                    "application_credential": {"id": cred["id"], "secret": cred["secret"]},
                }
            }
        }
        assert_keystone_error(issue(client, body), 401)


# -- the frame as keystone clients see it --------------------------------------------------
class TestWire:
    def test_unknown_route_is_404(self, client: TestClient, admin_token: str) -> None:
        response = client.get(f"{IDENTITY}/no/such/thing", headers=auth_headers(admin_token))
        assert_keystone_error(response, 404, "Not Found")

    def test_wrong_method_is_405(self, client: TestClient, admin_token: str) -> None:
        response = client.put(f"{IDENTITY}/auth/tokens", headers=auth_headers(admin_token))
        assert_keystone_error(response, 405, "Method Not Allowed")
        response = client.put(f"{IDENTITY}/roles/x", headers=auth_headers(admin_token), json={})
        assert_keystone_error(response, 405, "Method Not Allowed")

    def test_malformed_json_on_an_admin_call_is_400(
        self, client: TestClient, admin_token: str
    ) -> None:
        response = client.post(
            f"{IDENTITY}/projects",
            content=b"{not json",
            headers={**auth_headers(admin_token), "content-type": "application/json"},
        )
        assert_keystone_error(response, 400, "Bad Request")

    def test_every_response_carries_a_request_id(
        self, client: TestClient, admin_token: str, project_id: str, emulator: Emulator
    ) -> None:
        admin = auth_headers(admin_token)
        root_id = emulator.identity.user_by_name("root").id
        responses = [
            client.get(ROOT),
            client.get(IDENTITY),
            issue(client, password_auth()),
            client.get(f"{IDENTITY}/projects", headers=admin),
            client.post(f"{IDENTITY}/roles", headers=admin, json={"role": {"name": "x1"}}),
        ]
        x1 = responses[-1].json()["role"]["id"]
        responses += [
            client.put(
                f"{IDENTITY}/projects/{project_id}/users/{root_id}/roles/{x1}", headers=admin
            ),
            client.get(f"{IDENTITY}/nothing", headers=admin),
        ]
        statuses = [r.status_code for r in responses]
        assert statuses == [300, 200, 201, 200, 201, 204, 404]
        ids = [r.headers["x-openstack-request-id"] for r in responses]
        assert all(REQUEST_ID.match(i) for i in ids)
        assert len(set(ids)) == len(ids)

    def test_requests_are_logged_in_keystone_log(
        self, client: TestClient, admin_token: str, emulator: Emulator
    ) -> None:
        ok = client.get(f"{IDENTITY}/auth/projects", headers=auth_headers(admin_token))
        denied = issue(client, password_auth(password="Not-The-Pw-917"))
        log = (emulator.log_dir / "keystone" / "keystone.log").read_text()
        root = emulator.identity.user_by_name("root")
        project = emulator.identity.project_by_name("ibm-default")
        ok_id = ok.headers["x-openstack-request-id"]
        ok_line = next(line for line in log.splitlines() if ok_id in line)
        assert f"[{ok_id} {root.id} {project.id} - - -]" in ok_line
        assert '"GET /powervc/openstack/identity/v3/auth/projects" status: 200' in ok_line
        assert " keystone.common.wsgi " in ok_line
        denied_id = denied.headers["x-openstack-request-id"]
        denied_line = next(line for line in log.splitlines() if denied_id in line)
        assert "status: 401" in denied_line
        assert "passw0rd" not in log
        assert "Not-The-Pw-917" not in log


# -- a real keystoneauth1 session against the emulator under uvicorn ------------------------
@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    import uvicorn

    emulator = Emulator(EmulatorConfig(log_dir=tmp_path / "logs"))
    config = uvicorn.Config(create_app(emulator), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        emulator.close()


@pytest.mark.acceptance
def test_keystoneauth1_password_session(live_url: str) -> None:
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    auth = v3.Password(
        auth_url=f"{live_url}/powervc/openstack/identity/v3",
        username="root",
        password="passw0rd",
        project_name="ibm-default",
        user_domain_name="Default",
        project_domain_name="Default",
    )
    sess = session.Session(auth=auth)
    token = sess.get_token()
    assert token
    project_id = sess.get_project_id()
    assert project_id
    endpoint = sess.get_endpoint(service_type="compute", interface="public")
    assert endpoint is not None
    assert endpoint.rstrip("/").endswith(f"/powervc/openstack/compute/v2.1/{project_id}")
    assert endpoint.startswith(live_url)
    projects = sess.get(
        f"{live_url}/powervc/openstack/identity/v3/auth/projects", authenticated=True
    ).json()["projects"]
    assert [p["id"] for p in projects] == [project_id]
