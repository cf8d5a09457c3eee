"""Keystone's administration API over HTTP: wire shapes, status codes and error bodies of
domains, groups, projects (tags, hierarchy), roles and inference rules, grants and role
assignments, credentials, policies, regions and the extensions, as keystone answers them.

One emulator for the module (each test makes its own records, with names of its own)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import IDENTITY, password_auth

BASE = f"http://testserver{IDENTITY}"
_names = itertools.count()


def fresh(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    emulator = Emulator(EmulatorConfig(data_dir=None, log_dir=tmp_path_factory.mktemp("logs")))
    with TestClient(create_app(emulator), base_url="http://testserver") as test_client:
        token = test_client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        test_client.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        yield test_client
    emulator.close()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == status
    return str(body["message"])


def made(client: TestClient, kind: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = ok(client.post(f"{IDENTITY}/{kind}s", json={kind: fields}), 201)
    return dict(body[kind])


def role(client: TestClient, name: str) -> str:
    return str(ok(client.get(f"{IDENTITY}/roles?name={name}"))["roles"][0]["id"])


def member_token(client: TestClient) -> tuple[dict[str, Any], str]:
    """A user with the member role on a project of its own, and its token."""
    project = made(client, "project", name=fresh("p"))
    user = made(client, "user", name=fresh("u"), password="member-pw")
    url = f"{IDENTITY}/projects/{project['id']}/users/{user['id']}/roles/{role(client, 'member')}"
    ok(client.put(url), 204)
    auth = password_auth(user["name"], "member-pw", project["name"])
    response = client.post(f"{IDENTITY}/auth/tokens", json=auth)
    return user, str(response.headers["x-subject-token"])


class TestDomains:
    def test_lifecycle_and_shape(self, client: TestClient) -> None:
        name = fresh("dom")
        domain = made(client, "domain", name=name, description="d", tags=["t"])
        assert set(domain) == {"id", "name", "enabled", "description", "tags", "options", "links"}
        assert domain["links"]["self"] == f"{BASE}/domains/{domain['id']}"
        assert [d["id"] for d in ok(client.get(f"{IDENTITY}/domains?name={name}"))["domains"]] == [
            domain["id"]
        ]
        message = error(client.delete(f"{IDENTITY}/domains/{domain['id']}"), 403)
        assert message == "Cannot delete a domain that is enabled, please disable it first."
        url = f"{IDENTITY}/domains/{domain['id']}"
        assert (
            ok(client.patch(url, json={"domain": {"enabled": False}}))["domain"]["enabled"] is False
        )
        ok(client.delete(url), 204)
        assert "Could not find domain" in error(client.get(url), 404)

    def test_bad_names_and_duplicates(self, client: TestClient) -> None:
        assert error(client.post(f"{IDENTITY}/domains", json={"domain": {"name": ""}}), 400)
        too_long = {"domain": {"name": "x" * 65}}
        assert error(client.post(f"{IDENTITY}/domains", json=too_long), 400)
        name = fresh("dom")
        made(client, "domain", name=name)
        duplicate = client.post(f"{IDENTITY}/domains", json={"domain": {"name": name}})
        assert "Duplicate entry" in error(duplicate, 409)

    def test_a_member_is_refused_in_keystones_wording(self, client: TestClient) -> None:
        _, token = member_token(client)
        refused = client.post(
            f"{IDENTITY}/domains", json={"domain": {"name": "x"}}, headers={"X-Auth-Token": token}
        )
        assert error(refused, 403) == (
            "You are not authorized to perform the requested action: identity:create_domain."
        )


class TestProjects:
    def test_hierarchy(self, client: TestClient) -> None:
        root = made(client, "project", name=fresh("root"))
        assert root["parent_id"] == "default"
        leaf = made(client, "project", name=fresh("leaf"), parent_id=root["id"])
        assert leaf["parent_id"] == root["id"]
        listed = ok(client.get(f"{IDENTITY}/projects?parent_id={root['id']}"))["projects"]
        assert [p["id"] for p in listed] == [leaf["id"]]
        shown = ok(client.get(f"{IDENTITY}/projects/{leaf['id']}?parents_as_ids"))["project"]
        assert shown["parents"] == {root["id"]: None}
        tree = ok(client.get(f"{IDENTITY}/projects/{root['id']}?subtree_as_ids"))["project"]
        assert tree["subtree"] == {leaf["id"]: None}
        assert "not a leaf" in error(client.delete(f"{IDENTITY}/projects/{root['id']}"), 403)

    def test_tags(self, client: TestClient) -> None:
        project = made(client, "project", name=fresh("tagged"))
        tags = f"{IDENTITY}/projects/{project['id']}/tags"
        assert client.put(f"{tags}/red").status_code == 201
        assert client.head(f"{tags}/red").status_code == 204
        assert ok(client.put(tags, json={"tags": ["a", "b"]}))["tags"] == ["a", "b"]
        found = ok(client.get(f"{IDENTITY}/projects?tags=a,b"))["projects"]
        assert project["id"] in [p["id"] for p in found]
        ok(client.delete(f"{tags}/a"), 204)
        assert "Could not find project tag" in error(client.get(f"{tags}/a"), 404)
        ok(client.delete(tags), 204)
        assert ok(client.get(tags))["tags"] == []
        added = client.put(f"{tags}/%C4%80b")  # a tag beyond latin-1: its Location encoded
        assert added.status_code == 201, added.text
        assert added.headers["location"].endswith("/tags/%C4%80b")
        assert ok(client.get(tags))["tags"] == ["\u0100b"]

    def test_is_domain_creates_a_domain(self, client: TestClient) -> None:
        project = made(client, "project", name=fresh("as-domain"), is_domain=True)
        assert project["is_domain"] is True
        assert project["domain_id"] is None
        assert ok(client.get(f"{IDENTITY}/domains/{project['id']}"))["domain"]["name"]
        listed = ok(client.get(f"{IDENTITY}/projects?is_domain=true"))["projects"]
        assert project["id"] in [p["id"] for p in listed]

    def test_extras_are_kept(self, client: TestClient) -> None:
        user = made(client, "user", name=fresh("x"), project_id="legacy", colour="blue")
        shown = ok(client.get(f"{IDENTITY}/users/{user['id']}"))["user"]
        assert shown["project_id"] == "legacy"
        assert shown["colour"] == "blue"


class TestGroupsAndGrants:
    def test_group_members(self, client: TestClient) -> None:
        group = made(client, "group", name=fresh("g"), description="d")
        user = made(client, "user", name=fresh("u"))
        member = f"{IDENTITY}/groups/{group['id']}/users/{user['id']}"
        ok(client.put(member), 204)
        assert client.head(member).status_code == 204
        users = ok(client.get(f"{IDENTITY}/groups/{group['id']}/users"))["users"]
        assert [u["id"] for u in users] == [user["id"]]
        groups = ok(client.get(f"{IDENTITY}/users/{user['id']}/groups"))["groups"]
        assert [g["id"] for g in groups] == [group["id"]]
        ok(client.delete(member), 204)
        assert client.head(member).status_code == 404  # HEAD: the status alone, no body

    @pytest.mark.parametrize(
        ("actor", "target"),
        [
            ("users", "projects"),
            ("groups", "projects"),
            ("users", "domains"),
            ("groups", "domains"),
        ],
    )
    def test_grant_check_list_revoke(self, client: TestClient, actor: str, target: str) -> None:
        actor_id = made(client, actor[:-1], name=fresh("a"))["id"]
        target_id = made(client, target[:-1], name=fresh("t"))["id"]
        reader = role(client, "reader")
        url = f"{IDENTITY}/{target}/{target_id}/{actor}/{actor_id}/roles/{reader}"
        ok(client.put(url), 204)
        assert client.head(url).status_code == 204
        listed = ok(client.get(url.rsplit("/", 1)[0]))["roles"]
        assert [r["id"] for r in listed] == [reader]
        ok(client.delete(url), 204)
        assert client.head(url).status_code == 404
        assert "Could not find role assignment" in error(client.get(url), 404)

    def test_system_and_inherited_grants(self, client: TestClient) -> None:
        user = made(client, "user", name=fresh("u"))
        domain = made(client, "domain", name=fresh("d"))
        reader = role(client, "reader")
        system = f"{IDENTITY}/system/users/{user['id']}/roles/{reader}"
        ok(client.put(system), 204)
        inherited = (
            f"{IDENTITY}/OS-INHERIT/domains/{domain['id']}/users/{user['id']}/roles/{reader}"
            "/inherited_to_projects"
        )
        ok(client.put(inherited), 204)
        rows = ok(client.get(f"{IDENTITY}/role_assignments?user.id={user['id']}"))
        scopes = {next(iter(r["scope"])) for r in rows["role_assignments"]}
        assert scopes == {"system", "domain"}
        domain_row = next(r for r in rows["role_assignments"] if "domain" in r["scope"])
        assert domain_row["scope"]["OS-INHERIT:inherited_to"] == "projects"
        assert domain_row["links"]["assignment"] == BASE + inherited.removeprefix(IDENTITY)

    def test_effective_assignments_with_names(self, client: TestClient) -> None:
        user = made(client, "user", name=fresh("u"))
        group = made(client, "group", name=fresh("g"))
        project = made(client, "project", name=fresh("p"))
        ok(client.put(f"{IDENTITY}/groups/{group['id']}/users/{user['id']}"), 204)
        member = role(client, "member")
        ok(
            client.put(f"{IDENTITY}/projects/{project['id']}/groups/{group['id']}/roles/{member}"),
            204,
        )
        query = f"user.id={user['id']}&effective&include_names"
        rows = ok(client.get(f"{IDENTITY}/role_assignments?{query}"))["role_assignments"]
        by_role = {r["role"]["name"]: r for r in rows}
        assert set(by_role) == {"member", "reader"}
        assert by_role["member"]["links"]["membership"] == (
            f"{BASE}/groups/{group['id']}/users/{user['id']}"
        )
        assert by_role["reader"]["links"]["prior_role"].startswith(f"{BASE}/prior_role/")
        assert by_role["member"]["scope"]["project"]["name"] == project["name"]
        assert by_role["member"]["user"]["domain"] == {"id": "default", "name": "Default"}

    def test_pointless_filters_are_400(self, client: TestClient) -> None:
        message = error(client.get(f"{IDENTITY}/role_assignments?effective&group.id=x"), 400)
        assert (
            message == "Combining effective and group filter will always result in an empty list."
        )


class TestRoles:
    def test_domain_roles_are_listed_apart(self, client: TestClient) -> None:
        domain = made(client, "domain", name=fresh("d"))
        local = made(client, "role", name=fresh("r"), domain_id=domain["id"])
        assert local["domain_id"] == domain["id"]
        globals_ = ok(client.get(f"{IDENTITY}/roles"))["roles"]
        assert local["id"] not in [r["id"] for r in globals_]
        mine = ok(client.get(f"{IDENTITY}/roles?domain_id={domain['id']}"))["roles"]
        assert [r["id"] for r in mine] == [local["id"]]
        renamed = client.patch(f"{IDENTITY}/roles/{local['id']}", json={"role": {"name": "n2"}})
        assert ok(renamed)["role"]["name"] == "n2"

    def test_inference_rules(self, client: TestClient) -> None:
        prior = made(client, "role", name=fresh("prior"))
        implied = made(client, "role", name=fresh("implied"))
        url = f"{IDENTITY}/roles/{prior['id']}/implies/{implied['id']}"
        created = ok(client.put(url), 201)
        assert created["role_inference"]["prior_role"]["id"] == prior["id"]
        assert created["role_inference"]["implies"]["id"] == implied["id"]
        assert created["links"]["self"] == BASE + url.removeprefix(IDENTITY)
        assert client.head(url).status_code == 204
        assert ok(client.get(url))["role_inference"]["implies"]["name"] == implied["name"]
        listed = ok(client.get(f"{IDENTITY}/roles/{prior['id']}/implies"))["role_inference"]
        assert [r["id"] for r in listed["implies"]] == [implied["id"]]
        every = ok(client.get(f"{IDENTITY}/role_inferences"))["role_inferences"]
        assert prior["id"] in [rule["prior_role"]["id"] for rule in every]
        ok(client.delete(url), 204)
        assert "does not imply" in error(client.get(url), 404)

    def test_admin_cannot_be_implied(self, client: TestClient) -> None:
        prior = made(client, "role", name=fresh("prior"))
        url = f"{IDENTITY}/roles/{prior['id']}/implies/{role(client, 'admin')}"
        assert error(client.put(url), 403).endswith("cannot be an implied roles.")


class TestUsers:
    def test_password_change(self, client: TestClient) -> None:
        user = made(client, "user", name=fresh("u"), password="old-pw")
        url = f"{IDENTITY}/users/{user['id']}/password"
        body = {"user": {"original_password": "wrong", "password": "new-pw"}}
        anonymous = {"X-Auth-Token": ""}
        assert error(client.post(url, json=body, headers=anonymous), 401)
        body["user"]["original_password"] = "old-pw"
        ok(client.post(url, json=body, headers=anonymous), 204)

    def test_filters(self, client: TestClient) -> None:
        domain = made(client, "domain", name=fresh("d"))
        user = made(client, "user", name=fresh("u"), domain_id=domain["id"], enabled=False)
        listed = ok(client.get(f"{IDENTITY}/users?domain_id={domain['id']}&enabled=false"))
        assert [u["id"] for u in listed["users"]] == [user["id"]]
        missing = client.post(f"{IDENTITY}/users", json={"user": {"name": "x", "domain_id": "no"}})
        assert "Could not find domain" in error(missing, 404)


class TestCredentialsAndPolicies:
    def test_credentials(self, client: TestClient) -> None:
        user = made(client, "user", name=fresh("u"))
        credential = made(client, "credential", user_id=user["id"], type="cert", blob="b")
        assert credential["links"]["self"] == f"{BASE}/credentials/{credential['id']}"
        url = f"{IDENTITY}/credentials/{credential['id']}"
        assert (
            ok(client.patch(url, json={"credential": {"blob": "b2"}}))["credential"]["blob"] == "b2"
        )
        listed = ok(client.get(f"{IDENTITY}/credentials?user_id={user['id']}"))["credentials"]
        assert [c["id"] for c in listed] == [credential["id"]]
        ok(client.delete(url), 204)

    def test_ec2_credentials(self, client: TestClient) -> None:
        user, token = member_token(client)
        headers = {"X-Auth-Token": token}
        project = ok(client.get(f"{IDENTITY}/auth/projects", headers=headers))["projects"][0]
        url = f"{IDENTITY}/users/{user['id']}/credentials/OS-EC2"
        created = ok(client.post(url, json={"tenant_id": project["id"]}, headers=headers), 201)
        access = created["credential"]["access"]
        assert created["credential"]["tenant_id"] == project["id"]
        shown = ok(client.get(f"{url}/{access}", headers=headers))["credential"]
        assert shown["secret"] == created["credential"]["secret"]
        ok(client.delete(f"{url}/{access}", headers=headers), 204)

    def test_policies(self, client: TestClient) -> None:
        body = {"policy": {"blob": "{}", "type": "application/json"}}
        policy = ok(client.post(f"{IDENTITY}/policies", json=body), 201)["policy"]
        url = f"{IDENTITY}/policies/{policy['id']}"
        assert ok(client.patch(url, json={"policy": {"type": "x"}}))["policy"]["type"] == "x"
        ok(client.delete(url), 204)
        assert "Could not find policy" in error(client.get(url), 404)


class TestRegionsAndExtensions:
    def test_regions(self, client: TestClient) -> None:
        parent = ok(client.post(f"{IDENTITY}/regions", json={"region": {}}), 201)["region"]
        url = f"{IDENTITY}/regions/{fresh('east')}"
        body = {"region": {"parent_region_id": parent["id"], "description": None}}
        child = ok(client.put(url, json=body), 201)["region"]
        assert child["parent_region_id"] == parent["id"]
        assert child["description"] == ""
        assert "Duplicate ID" in error(client.put(url, json=body), 409)
        listed = ok(client.get(f"{IDENTITY}/regions?parent_region_id={parent['id']}"))["regions"]
        assert [r["id"] for r in listed] == [child["id"]]
        ok(client.delete(f"{IDENTITY}/regions/{parent['id']}"), 204)  # its child goes too
        assert error(client.get(url), 404)

    def test_endpoint_groups_and_consumers(self, client: TestClient) -> None:
        group = ok(
            client.post(
                f"{IDENTITY}/OS-EP-FILTER/endpoint_groups",
                json={"endpoint_group": {"name": "g", "filters": {"interface": "public"}}},
            ),
            201,
        )["endpoint_group"]
        assert group["filters"] == {"interface": "public"}
        consumer = ok(
            client.post(f"{IDENTITY}/OS-OAUTH1/consumers", json={"consumer": {"description": "c"}}),
            201,
        )["consumer"]
        assert consumer["secret"]
        shown = ok(client.get(f"{IDENTITY}/OS-OAUTH1/consumers/{consumer['id']}"))["consumer"]
        assert "secret" not in shown

    def test_domain_config(self, client: TestClient) -> None:
        domain = made(client, "domain", name=fresh("d"))
        url = f"{IDENTITY}/domains/{domain['id']}/config"
        config = {"identity": {"driver": "ldap"}, "ldap": {"url": "ldap://x"}}
        assert ok(client.put(url, json={"config": config}), 201)["config"] == config
        option = ok(client.get(f"{url}/ldap/url"))["config"]
        assert option == {"url": "ldap://x"}
        defaults = ok(client.get(f"{IDENTITY}/domains/config/identity/default"))["config"]
        assert defaults["identity"]["driver"] == "sql"
        bad = client.put(url, json={"config": {"nova": {"x": 1}}})
        assert error(bad, 403).startswith("Invalid domain specific configuration")


class TestAccessRules:
    def test_a_restricted_credential_reaches_only_its_rules(self, client: TestClient) -> None:
        user, token = member_token(client)
        headers = {"X-Auth-Token": token}
        rule = {"service": "identity", "path": "/v3/auth/projects", "method": "GET"}
        body = {"application_credential": {"name": fresh("c"), "access_rules": [rule]}}
        url = f"{IDENTITY}/users/{user['id']}/application_credentials"
        cred = ok(client.post(url, json=body, headers=headers), 201)["application_credential"]
        assert [{k: r[k] for k in rule} for r in cred["access_rules"]] == [rule]
        auth = {
            "auth": {
                "identity": {
                    "methods": ["application_credential"],
                    "application_credential": {"id": cred["id"], "secret": cred["secret"]},
                }
            }
        }
        issued = client.post(f"{IDENTITY}/auth/tokens", json=auth)
        restricted = {"X-Auth-Token": issued.headers["x-subject-token"]}
        assert client.get(f"{IDENTITY}/auth/projects", headers=restricted).status_code == 200
        assert error(client.get(f"{IDENTITY}/auth/domains", headers=restricted), 401)
        rules = ok(client.get(f"{IDENTITY}/users/{user['id']}/access_rules", headers=headers))
        (listed,) = rules["access_rules"]
        assert listed["links"]["self"].endswith(f"/users/{user['id']}/access_rules/{listed['id']}")
        one = f"{IDENTITY}/users/{user['id']}/access_rules/{listed['id']}"
        assert (
            error(client.delete(one, headers=headers), 403) == "May not delete access rule in use"
        )


class TestTrusts:
    def test_a_trustor_delegates_a_role_it_holds(self, client: TestClient) -> None:
        trustor, token = member_token(client)
        trustee = made(client, "user", name=fresh("trustee"))
        headers = {"X-Auth-Token": token}
        project = ok(client.get(f"{IDENTITY}/auth/projects", headers=headers))["projects"][0]
        spec = {
            "trustor_user_id": trustor["id"],
            "trustee_user_id": trustee["id"],
            "project_id": project["id"],
            "roles": [{"name": "member"}],
            "impersonation": True,
            "expires_at": "2031-01-02T03:04:05Z",
        }
        url = f"{IDENTITY}/OS-TRUST/trusts"
        trust = ok(client.post(url, json={"trust": spec}, headers=headers), 201)["trust"]
        assert trust["expires_at"] == "2031-01-02T03:04:05.000000Z"
        assert [r["name"] for r in trust["roles"]] == ["member"]
        assert trust["links"]["self"] == f"{BASE}/OS-TRUST/trusts/{trust['id']}"
        mine = ok(client.get(f"{url}?trustor_user_id={trustor['id']}", headers=headers))
        assert [t["id"] for t in mine["trusts"]] == [trust["id"]]
        roles = f"{url}/{trust['id']}/roles"
        assert client.head(f"{roles}/{role(client, 'member')}", headers=headers).status_code == 200
        assert client.get(f"{roles}/{role(client, 'admin')}", headers=headers).status_code == 404
        ok(client.delete(f"{url}/{trust['id']}", headers=headers), 204)
        assert "Could not find trust" in error(client.get(f"{url}/{trust['id']}"), 404)

    def test_refusals(self, client: TestClient) -> None:
        trustor, token = member_token(client)
        headers = {"X-Auth-Token": token}
        project = ok(client.get(f"{IDENTITY}/auth/projects", headers=headers))["projects"][0]
        spec = {
            "trustor_user_id": trustor["id"],
            "trustee_user_id": trustor["id"],
            "project_id": project["id"],
            "roles": [{"name": "admin"}],
        }
        url = f"{IDENTITY}/OS-TRUST/trusts"
        assert "does not hold it" in error(
            client.post(url, json={"trust": spec}, headers=headers), 403
        )
        spec["roles"] = [{"name": "member"}]
        spec["expires_at"] = "bad.123Z"
        assert error(client.post(url, json={"trust": spec}, headers=headers), 400)
        # someone else's trust cannot be made (the admin's token is not the trustor's)
        assert error(client.post(url, json={"trust": spec}), 403).endswith("identity:create_trust.")
