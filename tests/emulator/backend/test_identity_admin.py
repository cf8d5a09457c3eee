"""Keystone's administration in the backend, without HTTP: domains, groups, grants on every
target (inherited too), role inference, the role-assignment listing, credentials, policies,
the extensions, and the rules of records (`identity_admin_records`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from powerbridge.emulator.backend.identity import IdentityBackend
from powerbridge.emulator.backend.identity_access_rules import path_matches
from powerbridge.emulator.backend.identity_admin_records import (
    Inference,
    ancestors,
    implied_closure,
    subtree,
    would_cycle,
)
from powerbridge.emulator.backend.identity_grants import AssignmentFilter
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate import load_estate
from powerbridge.emulator.store import Store

TTL = 3600.0


@pytest.fixture
def store() -> Iterator[Store]:
    instance = Store(":memory:")
    yield instance
    instance.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def identity(store: Store, clock: Clock) -> IdentityBackend:
    backend = IdentityBackend(store, TTL, now=clock)
    backend.seed(load_estate(), "passw0rd")
    return backend


def status(call: Any, *args: Any, **kwargs: Any) -> int:
    with pytest.raises(ApiError) as raised:
        call(*args, **kwargs)
    return raised.value.status


def login(user: str, secret: str, scope: Any) -> dict[str, Any]:
    identity = {"methods": ["password"], "password": {"user": {"id": user, "password": secret}}}
    return {"auth": {"identity": identity, "scope": scope}}


def role_id(identity: IdentityBackend, name: str) -> str:
    return identity.role_by_name(name).id


# -- pure rules -------------------------------------------------------------------------
class TestRules:
    def test_implied_closure_is_transitive_in_order(self) -> None:
        rules = [Inference("1", "a", "b"), Inference("2", "b", "c"), Inference("3", "x", "y")]
        assert implied_closure(["a"], rules) == ["a", "b", "c"]
        assert implied_closure(["c", "x"], rules) == ["c", "x", "y"]

    def test_a_cycle_is_seen(self) -> None:
        rules = [Inference("1", "a", "b"), Inference("2", "b", "c")]
        assert would_cycle("c", "a", rules)
        assert would_cycle("a", "a", rules)
        assert not would_cycle("a", "c", rules)

    def test_ancestors_and_subtree(self) -> None:
        parents: dict[str, str | None] = {"root": None, "mid": "root", "leaf": "mid", "x": None}
        assert ancestors("leaf", parents) == ["mid", "root"]
        assert subtree("root", parents) == ["mid", "leaf"]
        assert subtree("x", parents) == []


# -- domains ----------------------------------------------------------------------------
class TestDomains:
    def test_the_default_domain_is_a_record(self, identity: IdentityBackend, store: Store) -> None:
        assert identity.domain("default").name == "Default"
        assert [d["id"] for d in store.load("domain")] == ["default"]

    def test_create_update_and_the_name_is_unique(self, identity: IdentityBackend) -> None:
        domain = identity.create_domain({"name": "lab", "description": "d"})
        assert identity.update_domain(domain.id, {"enabled": False}).enabled is False
        assert status(identity.create_domain, {"name": "lab"}) == 409

    def test_an_enabled_domain_is_not_deleted(self, identity: IdentityBackend) -> None:
        domain = identity.create_domain({"name": "lab"})
        assert status(identity.delete_domain, domain.id) == 403

    def test_delete_takes_what_the_domain_owns(self, identity: IdentityBackend) -> None:
        domain = identity.create_domain({"name": "lab"})
        root = identity.create_project("root", domain_id=domain.id)
        leaf = identity.create_project("leaf", parent_id=root.id)
        user = identity.create_user("ada", "pw", domain_id=domain.id)
        group = identity.create_group({"name": "ops", "domain_id": domain.id})
        role = identity.create_role("lab-role", domain_id=domain.id)
        identity.update_domain(domain.id, {"enabled": False})
        identity.delete_domain(domain.id)
        for gone in (root.id, leaf.id):
            assert gone not in identity.projects
        assert user.id not in identity.users
        assert group.id not in identity.groups
        assert role.id not in identity.roles
        assert domain.id not in identity.domains

    def test_records_name_an_existing_domain(self, identity: IdentityBackend) -> None:
        assert status(identity.create_user, "x", "pw", domain_id="nowhere") == 404
        assert status(identity.create_project, "x", domain_id="nowhere") == 404

    def test_a_project_lives_in_its_parents_domain(self, identity: IdentityBackend) -> None:
        domain = identity.create_domain({"name": "lab"})
        root = identity.create_project("root", domain_id=domain.id)
        leaf = identity.create_project("leaf", parent_id=root.id)
        assert leaf.domain_id == domain.id
        assert status(identity.delete_project, root.id) == 403  # not a leaf


# -- groups -----------------------------------------------------------------------------
class TestGroups:
    def test_membership(self, identity: IdentityBackend) -> None:
        user = identity.create_user("ada", "pw")
        group = identity.create_group({"name": "ops"})
        identity.add_member(group.id, user.id)
        identity.add_member(group.id, user.id)  # idempotent
        assert [g.id for g in identity.user_groups(user.id)] == [group.id]
        identity.check_member(group.id, user.id)
        identity.remove_member(group.id, user.id)
        assert status(identity.check_member, group.id, user.id) == 404

    def test_a_deleted_user_leaves_its_groups(self, identity: IdentityBackend) -> None:
        user = identity.create_user("ada", "pw")
        group = identity.create_group({"name": "ops"})
        identity.add_member(group.id, user.id)
        identity.delete_user(user.id)
        assert identity.groups[group.id].user_ids == []

    def test_names_are_unique_per_domain(self, identity: IdentityBackend) -> None:
        identity.create_group({"name": "ops"})
        assert status(identity.create_group, {"name": "ops"}) == 409


# -- grants and effective roles ---------------------------------------------------------
class TestGrants:
    def test_a_groups_role_is_its_members(self, identity: IdentityBackend) -> None:
        user = identity.create_user("ada", "pw")
        group = identity.create_group({"name": "ops"})
        project = identity.create_project("p")
        identity.grant_role(
            ("group", group.id), ("project", project.id), role_id(identity, "member")
        )
        assert identity.role_names(user.id, project.id) == ()
        identity.add_member(group.id, user.id)
        assert identity.role_names(user.id, project.id) == ("member", "reader")
        caller = identity.issue(login(user.id, "pw", {"project": {"id": project.id}}))
        assert caller.roles == ("member", "reader")

    def test_inherited_from_the_domain_and_from_a_parent(self, identity: IdentityBackend) -> None:
        domain = identity.create_domain({"name": "lab"})
        user = identity.create_user("ada", "pw", domain_id=domain.id)
        root = identity.create_project("root", domain_id=domain.id)
        leaf = identity.create_project("leaf", parent_id=root.id)
        reader, member = role_id(identity, "reader"), role_id(identity, "member")
        identity.grant_role(("user", user.id), ("domain", domain.id), reader, inherited=True)
        assert identity.role_names(user.id, root.id) == ("reader",)
        assert identity.held_role_ids(user.id, ("domain", domain.id)) == []  # not on the domain
        identity.grant_role(("user", user.id), ("project", root.id), member, inherited=True)
        assert set(identity.role_names(user.id, leaf.id)) == {"member", "reader"}
        assert identity.role_names(user.id, root.id) == ("reader",)  # the root's own: not inherited

    def test_domain_and_system_scoped_tokens_need_a_role(self, identity: IdentityBackend) -> None:
        user = identity.create_user("ada", "pw")
        domain_scope = {"domain": {"id": "default"}}
        assert status(identity.issue, login(user.id, "pw", domain_scope)) == 401
        assert status(identity.issue, login(user.id, "pw", {"system": {"all": True}})) == 401
        identity.grant_role(("user", user.id), ("domain", "default"), role_id(identity, "admin"))
        identity.grant_role(("user", user.id), ("system", "all"), role_id(identity, "reader"))
        assert identity.issue(login(user.id, "pw", domain_scope)).is_admin
        system = identity.issue(login(user.id, "pw", {"system": {"all": True}}))
        assert system.system_scope
        assert system.roles == ("reader",)

    def test_missing_grants_are_404_naming_them(self, identity: IdentityBackend) -> None:
        user = identity.create_user("ada", "pw")
        grant = (("user", user.id), ("system", "all"), role_id(identity, "admin"))
        assert status(identity.require_grant, *grant) == 404
        assert status(identity.revoke_role, ("user", "0" * 32), ("system", "all"), grant[2]) == 404

    def test_a_domain_role_stays_in_its_domain(self, identity: IdentityBackend) -> None:
        domain = identity.create_domain({"name": "lab"})
        role = identity.create_role("lab-only", domain_id=domain.id)
        user = identity.create_user("ada", "pw")
        project = identity.create_project("p")  # in the default domain
        assert (
            status(identity.grant_role, ("user", user.id), ("project", project.id), role.id) == 403
        )


class TestInference:
    def test_the_bootstrap_rules_are_records(self, identity: IdentityBackend) -> None:
        pairs = {
            (identity.roles[r.prior_role_id].name, identity.roles[r.implied_role_id].name)
            for r in identity.inferences.values()
        }
        assert pairs == {("admin", "member"), ("member", "reader")}

    def test_a_new_rule_reaches_tokens(self, identity: IdentityBackend) -> None:
        auditor = identity.create_role("auditor")
        user = identity.create_user("ada", "pw")
        project = identity.create_project("p")
        identity.grant(user.id, project.id, role_id(identity, "reader"))
        identity.create_inference(role_id(identity, "reader"), auditor.id)
        assert identity.role_names(user.id, project.id) == ("reader", "auditor")
        identity.delete_inference(role_id(identity, "reader"), auditor.id)
        assert identity.role_names(user.id, project.id) == ("reader",)

    def test_refusals(self, identity: IdentityBackend) -> None:
        admin, member, reader = (role_id(identity, n) for n in ("admin", "member", "reader"))
        assert status(identity.create_inference, member, admin) == 403  # admin is prohibited
        assert status(identity.create_inference, reader, member) == 409  # a loop
        domain = identity.create_domain({"name": "lab"})
        local = identity.create_role("local", domain_id=domain.id)
        assert status(identity.create_inference, reader, local.id) == 403
        assert status(identity.inference, reader, admin) == 404


class TestAssignmentListing:
    def _setup(self, identity: IdentityBackend) -> tuple[str, str, str, str]:
        user = identity.create_user("ada", "pw")
        group = identity.create_group({"name": "ops"})
        identity.add_member(group.id, user.id)
        project = identity.create_project("p")
        auditor = identity.create_role("auditor")
        identity.grant_role(("group", group.id), ("project", project.id), auditor.id)
        identity.grant_role(
            ("user", user.id), ("domain", "default"), role_id(identity, "member"), inherited=True
        )
        return user.id, group.id, project.id, auditor.id

    def test_direct_rows(self, identity: IdentityBackend) -> None:
        user, group, project, auditor = self._setup(identity)
        rows = identity.list_assignments(AssignmentFilter(user_id=user))
        assert [(r.target, r.inherited) for r in rows] == [(("domain", "default"), True)]
        rows = identity.list_assignments(AssignmentFilter(group_id=group))
        assert [(r.role_id, r.target) for r in rows] == [(auditor, ("project", project))]

    def test_effective_rows_expand_groups_inheritance_and_implications(
        self, identity: IdentityBackend
    ) -> None:
        user, _group, project, _auditor = self._setup(identity)
        query = AssignmentFilter(user_id=user, project_id=project, effective=True)
        rows = identity.list_assignments(query)
        found = {(identity.roles[r.role_id].name, tuple(sorted(r.indirect))) for r in rows}
        assert found == {
            ("auditor", ("group_id",)),
            ("member", ("domain_id",)),
            ("reader", ("domain_id", "role_id")),
        }

    @pytest.mark.parametrize(
        "query",
        [
            AssignmentFilter(user_id="u", group_id="g"),
            AssignmentFilter(project_id="p", domain_id="d"),
            AssignmentFilter(effective=True, group_id="g"),
            AssignmentFilter(include_subtree=True),
        ],
    )
    def test_pointless_filters_are_400(self, identity: IdentityBackend, query: Any) -> None:
        assert status(identity.list_assignments, query) == 400


# -- credentials, policies, extensions --------------------------------------------------
class TestCredentials:
    def test_ec2_credentials_are_keyed_by_their_access(self, identity: IdentityBackend) -> None:
        user = identity.create_user("ada", "pw")
        project = identity.create_project("p")
        made = identity.create_ec2(user.id, project.id)
        access = json.loads(made.blob)["access"]
        assert identity.ec2(user.id, access).id == made.id
        assert [c.id for c in identity.ec2_of(user.id)] == [made.id]
        identity.delete_user(user.id)
        assert made.id not in identity.credentials

    def test_a_bad_ec2_blob_is_400(self, identity: IdentityBackend) -> None:
        user = identity.create_user("ada", "pw")
        fields = {"user_id": user.id, "type": "ec2", "blob": "{}", "project_id": "p"}
        assert status(identity.create_credential, fields) == 400

    def test_policies(self, identity: IdentityBackend) -> None:
        policy = identity.create_policy("{}", "application/json")
        assert identity.update_policy(policy.id, {"blob": "{1}"}).blob == "{1}"
        identity.delete_policy(policy.id)
        assert status(identity.policy, policy.id) == 404


class TestExtensions:
    def test_domain_config(self, identity: IdentityBackend) -> None:
        domain = identity.create_domain({"name": "lab"})
        config = {"identity": {"driver": "ldap"}, "ldap": {"url": "ldap://x", "password": "s"}}
        shown, created = identity.replace_domain_config(domain.id, config)
        assert created
        assert shown == {"identity": {"driver": "ldap"}, "ldap": {"url": "ldap://x"}}
        updated = identity.update_domain_config(domain.id, {"driver": "sql"}, "identity", "driver")
        assert updated["identity"] == {"driver": "sql"}
        identity.delete_domain_config(domain.id, "identity", "driver")
        assert status(identity.domain_config, domain.id, "identity", "driver") == 404
        bad = {"nova": {"x": 1}}
        assert status(identity.replace_domain_config, domain.id, bad) == 403

    def test_endpoint_groups_check_their_filters(self, identity: IdentityBackend) -> None:
        group = identity.create_endpoint_group({"name": "g", "filters": {"interface": "public"}})
        assert identity.endpoint_group(group.id).filters == {"interface": "public"}
        assert status(identity.create_endpoint_group, {"name": "g", "filters": {"x": "y"}}) == 400

    def test_records_survive_a_restart(self, identity: IdentityBackend, store: Store) -> None:
        domain = identity.create_domain({"name": "lab"})
        group = identity.create_group({"name": "ops", "domain_id": domain.id})
        consumer, _ = identity.create_consumer("c")
        again = IdentityBackend(store, TTL)
        assert again.domain(domain.id).name == "lab"
        assert again.group(group.id).name == "ops"
        assert again.consumer(consumer.id).description == "c"
        assert len(again.inferences) == 2  # seeded once, not again


class TestPasswordChange:
    def test_needs_the_old_password_and_revokes_tokens(
        self, identity: IdentityBackend, clock: Clock
    ) -> None:
        user = identity.create_user("ada", "old-pw")
        project = identity.project_by_name("ibm-default")
        identity.grant(user.id, project.id, role_id(identity, "reader"))
        token = identity.issue(login(user.id, "old-pw", None)).token
        clock.now += 1
        assert status(identity.change_password, user.id, "wrong", "new-pw") == 401
        identity.change_password(user.id, "old-pw", "new-pw")
        assert status(identity.authenticate, token) == 401
        assert status(identity.issue, login(user.id, "old-pw", None)) == 401
        identity.issue(login(user.id, "new-pw", None))


class TestAccessRules:
    def _cred(self, identity: IdentityBackend, rules: Any) -> Any:
        user = identity.create_user("ada", "pw")
        project = identity.project_by_name("ibm-default")
        identity.grant(user.id, project.id, role_id(identity, "member"))
        caller = identity.issue(login(user.id, "pw", {"project": {"id": project.id}}))
        cred, _ = identity.create_app_cred(caller, user.id, {"name": "c", "access_rules": rules})
        return user, cred

    def test_rules_are_shared_and_kept_while_in_use(self, identity: IdentityBackend) -> None:
        rule = {"service": "compute", "path": "/v2.1/servers/*/ips", "method": "GET"}
        user, cred = self._cred(identity, [rule, rule])
        assert len(set(cred.access_rule_ids)) == 1
        (rule_id,) = set(cred.access_rule_ids)
        assert status(identity.delete_access_rule, user.id, rule_id) == 403
        identity.delete_app_cred(user.id, cred.id)
        identity.delete_access_rule(user.id, rule_id)
        assert identity.rules_of(user.id) == []

    def test_paths_match_as_keystonemiddleware_globs(self) -> None:
        assert path_matches("/v2.1/servers/*/ips", "/v2.1/servers/abc/ips")
        assert not path_matches("/v2.1/servers/*/ips", "/v2.1/servers/a/b/ips")
        assert path_matches("/v2.1/**", "/v2.1/servers/a/b/ips")

    @pytest.mark.parametrize(
        "rules",
        [
            "x",
            [{"service": "compute", "path": "no-slash", "method": "GET"}],
            [{"service": "compute", "path": "/p", "method": "FETCH"}],
            [{"id": "0" * 32}],
        ],
    )
    def test_bad_rules_are_refused(self, identity: IdentityBackend, rules: Any) -> None:
        user = identity.create_user("ada", "pw")
        assert status(identity.rules_for_credential, user.id, rules) in (400, 404)


class TestTrusts:
    def _trustor(self, identity: IdentityBackend) -> tuple[Any, Any, Any]:
        user = identity.create_user("trustor", "pw")
        project = identity.create_project("p")
        identity.grant(user.id, project.id, role_id(identity, "member"))
        caller = identity.issue(login(user.id, "pw", {"project": {"id": project.id}}))
        return user, project, caller

    def test_delegates_held_roles_only(self, identity: IdentityBackend) -> None:
        user, project, caller = self._trustor(identity)
        trustee = identity.create_user("trustee", "pw")
        body: dict[str, Any] = {
            "trustor_user_id": user.id,
            "trustee_user_id": trustee.id,
            "project_id": project.id,
            "roles": [{"name": "reader"}],  # implied by member: held
        }
        trust = identity.create_trust(caller, body)
        assert trust.role_ids == [role_id(identity, "reader")]
        body["roles"] = [{"name": "admin"}]
        assert status(identity.create_trust, caller, body) == 403
        assert [t.id for t in identity.list_trusts(caller, user.id, None)] == [trust.id]
        assert status(identity.list_trusts, caller, None, None) == 403  # naming neither side
        identity.delete_user(trustee.id)
        assert trust.id not in identity.trusts

    def test_only_the_trustor_creates(self, identity: IdentityBackend) -> None:
        user, project, caller = self._trustor(identity)
        other = identity.create_user("other", "pw")
        body = {"trustor_user_id": other.id, "trustee_user_id": user.id, "project_id": project.id}
        assert status(identity.create_trust, caller, body) == 403
