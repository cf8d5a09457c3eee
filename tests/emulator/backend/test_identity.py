"""IdentityBackend without HTTP, tested by someone who did not write it.

The backend takes an injectable `now` for token and credential expiry; these tests drive it
with a fake time so expiry is exact and instant.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from powerbridge.emulator.backend.identity import IdentityBackend
from powerbridge.emulator.backend.identity_records import (
    Caller,
    User,
    hash_secret,
    require_admin,
    require_writer,
)
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate import load_estate
from powerbridge.emulator.store import Store
from tests.support.roles import KEYSTONE_AND_POWERVC_ROLES

TTL = 3600.0
START = 1_800_000_000.0


class FakeTime:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def store() -> Iterator[Store]:
    instance = Store(":memory:")
    yield instance
    instance.close()


@pytest.fixture
def identity(store: Store, fake_time: FakeTime) -> IdentityBackend:
    backend = IdentityBackend(store, TTL, now=fake_time)
    backend.seed(load_estate(), "passw0rd")
    return backend


def password(
    name: str = "root",
    secret: str = "passw0rd",
    scope: Any = None,
    *,
    user_id: str | None = None,
) -> dict[str, Any]:
    user: dict[str, Any] = (
        {"id": user_id} if user_id else {"name": name, "domain": {"id": "default"}}
    )
    user["password"] = secret
    auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": user}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def project_scope(name: str = "ibm-default") -> dict[str, Any]:
    return {"project": {"name": name, "domain": {"name": "Default"}}}


def rescope(token: str, project_id: str) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {"methods": ["token"], "token": {"id": token}},
            "scope": {"project": {"id": project_id}},
        }
    }


def app_cred_auth(**block: Any) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["application_credential"],
                "application_credential": block,
            }
        }
    }


def status_of(call: Any, *args: Any) -> int:
    with pytest.raises(ApiError) as caught:
        call(*args)
    return caught.value.status


def add_member(
    identity: IdentityBackend, name: str, secret: str, project: str = "ibm-default"
) -> User:
    """A user with the member role on `project` and no default project."""
    user = identity.create_user(name, secret)
    identity.grant(
        user.id, identity.project_by_name(project).id, identity.role_by_name("member").id
    )
    return user


class TestSeed:
    def test_default_identity(self, identity: IdentityBackend) -> None:
        assert {r.name for r in identity.roles.values()} == KEYSTONE_AND_POWERVC_ROLES
        project = identity.project_by_name("ibm-default")
        root = identity.user_by_name("root")
        assert root.default_project_id == project.id
        assert identity.role_names(root.id, project.id) == ("admin", "member", "reader")
        assert [p.id for p in identity.user_projects(root.id)] == [project.id]

    def test_records_are_written_through(self, identity: IdentityBackend, store: Store) -> None:
        assert {r["name"] for r in store.load("role")} == KEYSTONE_AND_POWERVC_ROLES
        assert [u["name"] for u in store.load("user")] == ["root"]
        # root: admin of its project, and (keystone-manage bootstrap's) of the system and
        # the default domain
        targets = {(a["project_id"], a["domain_id"], a["system"]) for a in store.load("assignment")}
        assert len(targets) == 3
        assert ("", "default", False) in targets
        assert ("", "", True) in targets

    def test_a_second_backend_on_the_store_sees_the_same_state(
        self, identity: IdentityBackend, store: Store
    ) -> None:
        again = IdentityBackend(store, TTL)
        assert again.users.keys() == identity.users.keys()
        assert again.projects.keys() == identity.projects.keys()
        assert again.assignments.keys() == identity.assignments.keys()


class TestPasswords:
    def test_hash_is_salted_pbkdf2(self) -> None:
        first, second = hash_secret("s3cret"), hash_secret("s3cret")
        assert first != second
        assert first.startswith("pbkdf2_sha256$")
        assert "s3cret" not in first

    def test_passwords_are_stored_hashed(self, identity: IdentityBackend, store: Store) -> None:
        identity.create_user("alice", "alice-pw-123")
        bodies = list(store.load("user"))
        assert all(b["password_hash"].startswith("pbkdf2_sha256$") for b in bodies)
        assert not any("passw0rd" in str(b) or "alice-pw-123" in str(b) for b in bodies)

    def test_password_change(self, identity: IdentityBackend) -> None:
        user = add_member(identity, "alice", "old-pw")
        identity.issue(password("alice", "old-pw"))
        identity.update_user(user.id, {"password": "new-pw"})
        assert status_of(identity.issue, password("alice", "old-pw")) == 401
        assert identity.issue(password("alice", "new-pw")).user_id == user.id

    def test_user_without_password_cannot_log_in(self, identity: IdentityBackend) -> None:
        identity.create_user("svc", None)
        assert status_of(identity.issue, password("svc", "")) == 401
        assert status_of(identity.issue, password("svc", "anything")) == 401


class TestPasswordTokens:
    def test_project_scoped_by_name(self, identity: IdentityBackend) -> None:
        caller = identity.issue(password(scope=project_scope()))
        project = identity.project_by_name("ibm-default")
        assert caller.project_id == project.id
        assert caller.project_name == "ibm-default"
        assert caller.user_name == "root"
        assert caller.roles == ("admin", "member", "reader")
        assert caller.methods == ("password",)
        assert caller.issued_at == START
        assert caller.expires_at == START + TTL
        assert caller.is_admin
        assert caller.can_write
        assert caller.token

    def test_by_ids(self, identity: IdentityBackend) -> None:
        root = identity.user_by_name("root")
        project = identity.project_by_name("ibm-default")
        caller = identity.issue(password(user_id=root.id, scope={"project": {"id": project.id}}))
        assert (caller.user_id, caller.project_id) == (root.id, project.id)

    def test_no_scope_uses_the_default_project(self, identity: IdentityBackend) -> None:
        caller = identity.issue(password())
        assert caller.project_name == "ibm-default"

    def test_unscoped(self, identity: IdentityBackend) -> None:
        add_member(identity, "alice", "pw")  # no default project
        caller = identity.issue(password("alice", "pw"))
        assert caller.project_id is None
        assert caller.roles == ()
        assert caller.domain_scope is None

    def test_explicitly_unscoped_despite_a_default_project(self, identity: IdentityBackend) -> None:
        assert identity.issue(password(scope="unscoped")).project_id is None

    def test_domain_scoped(self, identity: IdentityBackend) -> None:
        caller = identity.issue(password(scope={"domain": {"id": "default"}}))
        assert caller.domain_scope == "default"
        assert caller.project_id is None

    def test_member_roles_imply_reader(self, identity: IdentityBackend) -> None:
        add_member(identity, "alice", "pw")
        caller = identity.issue(password("alice", "pw", project_scope()))
        assert caller.roles == ("member", "reader")
        assert caller.can_write
        assert not caller.is_admin

    def test_reader_cannot_write(self, identity: IdentityBackend) -> None:
        user = identity.create_user("viewer", "pw")
        project = identity.project_by_name("ibm-default")
        identity.grant(user.id, project.id, identity.role_by_name("reader").id)
        caller = identity.issue(password("viewer", "pw", project_scope()))
        assert caller.roles == ("reader",)
        assert not caller.can_write
        assert status_of(require_writer, caller, "compute:create") == 403
        assert status_of(require_admin, caller, "identity:create_user") == 403

    @pytest.mark.parametrize(
        "body",
        [
            password(secret="wrong"),
            password(name="nobody"),
            password(user_id="0" * 32),
            password(secret=""),
        ],
    )
    def test_bad_credentials_are_401(self, identity: IdentityBackend, body: Any) -> None:
        assert status_of(identity.issue, body) == 401

    def test_wrong_password_and_unknown_user_say_the_same(self, identity: IdentityBackend) -> None:
        with pytest.raises(ApiError) as wrong:
            identity.issue(password(secret="wrong"))
        with pytest.raises(ApiError) as unknown:
            identity.issue(password(name="nobody"))
        assert wrong.value.message == unknown.value.message

    def test_disabled_user_is_401(self, identity: IdentityBackend) -> None:
        user = add_member(identity, "alice", "pw")
        identity.update_user(user.id, {"enabled": False})
        assert status_of(identity.issue, password("alice", "pw")) == 401

    def test_project_without_a_role_is_401(self, identity: IdentityBackend) -> None:
        identity.create_user("alice", "pw")
        assert status_of(identity.issue, password("alice", "pw", project_scope())) == 401

    def test_unknown_project_is_401(self, identity: IdentityBackend) -> None:
        assert status_of(identity.issue, password(scope=project_scope("nope"))) == 401
        assert status_of(identity.issue, password(scope={"project": {"id": "nope"}})) == 401

    def test_disabled_project_is_401(self, identity: IdentityBackend) -> None:
        project = identity.create_project("p2")
        root = identity.user_by_name("root")
        identity.grant(root.id, project.id, identity.role_by_name("admin").id)
        identity.update_project(project.id, {"enabled": False})
        assert status_of(identity.issue, password(scope=project_scope("p2"))) == 401

    @pytest.mark.parametrize(
        "body",
        [
            None,
            [],
            {},
            {"auth": "x"},
            {"auth": {}},
            {"auth": {"identity": {}}},
            {"auth": {"identity": {"methods": "password"}}},
            {"auth": {"identity": {"methods": ["password"]}}},
            {"auth": {"identity": {"methods": ["password"], "password": {}}}},
        ],
    )
    def test_malformed_bodies_are_400(self, identity: IdentityBackend, body: Any) -> None:
        assert status_of(identity.issue, body) == 400

    def test_unsupported_method_is_401(self, identity: IdentityBackend) -> None:
        body = {"auth": {"identity": {"methods": ["totp"], "totp": {}}}}
        assert status_of(identity.issue, body) == 401

    def test_default_project_without_role_gives_an_unscoped_token(
        self, identity: IdentityBackend
    ) -> None:
        project = identity.create_project("p2")
        identity.create_user("alice", "pw", default_project_id=project.id)
        assert identity.issue(password("alice", "pw")).project_id is None

    def test_unknown_domain_scope_is_401(self, identity: IdentityBackend) -> None:
        assert status_of(identity.issue, password(scope={"domain": {"id": "nope"}})) == 401


class TestTokenValidation:
    def test_authenticate_returns_the_same_identity(self, identity: IdentityBackend) -> None:
        issued = identity.issue(password(scope=project_scope()))
        checked = identity.authenticate(issued.token)
        assert (checked.user_id, checked.project_id, checked.roles, checked.audit_id) == (
            issued.user_id,
            issued.project_id,
            issued.roles,
            issued.audit_id,
        )

    @pytest.mark.parametrize("token", [None, "", "garbage", "gAAAAA", "gAAAAAabc.def", "a.b.c"])
    def test_missing_or_garbage_token_is_401(
        self, identity: IdentityBackend, token: str | None
    ) -> None:
        assert status_of(identity.authenticate, token) == 401

    def test_tampered_token_is_401(self, identity: IdentityBackend) -> None:
        token = identity.issue(password()).token
        body, mac = token.split(".")
        flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
        assert status_of(identity.authenticate, f"{flipped}.{mac}") == 401

    def test_token_from_another_installation_is_401(
        self, identity: IdentityBackend, fake_time: FakeTime
    ) -> None:
        other = IdentityBackend(Store(":memory:"), TTL, now=fake_time)
        other.seed(load_estate(), "passw0rd")
        foreign = other.issue(password()).token
        assert status_of(identity.authenticate, foreign) == 401

    def test_token_expires(self, identity: IdentityBackend, fake_time: FakeTime) -> None:
        token = identity.issue(password()).token
        fake_time.now = START + TTL - 1
        identity.authenticate(token)
        fake_time.now = START + TTL
        assert status_of(identity.authenticate, token) == 401

    def test_token_survives_a_restart(
        self, identity: IdentityBackend, store: Store, fake_time: FakeTime
    ) -> None:
        token = identity.issue(password(scope=project_scope())).token
        restarted = IdentityBackend(store, TTL, now=fake_time)
        caller = restarted.authenticate(token)
        assert caller.project_name == "ibm-default"
        assert caller.roles == ("admin", "member", "reader")

    def test_revoked_token_is_401_and_stays_revoked(
        self, identity: IdentityBackend, store: Store, fake_time: FakeTime
    ) -> None:
        admin = identity.issue(password())
        victim = identity.issue(password())
        identity.revoke(admin, victim.token)
        assert status_of(identity.authenticate, victim.token) == 401
        identity.authenticate(admin.token)  # other tokens are unaffected
        restarted = IdentityBackend(store, TTL, now=fake_time)
        assert status_of(restarted.authenticate, victim.token) == 401
        restarted.authenticate(admin.token)

    def test_member_cannot_revoke_someone_elses_token(self, identity: IdentityBackend) -> None:
        add_member(identity, "alice", "pw")
        alice = identity.issue(password("alice", "pw", project_scope()))
        root = identity.issue(password())
        assert status_of(identity.revoke, alice, root.token) == 403
        identity.revoke(alice, alice.token)  # but may revoke her own
        assert status_of(identity.authenticate, alice.token) == 401

    def test_deleted_user_tokens_are_401(self, identity: IdentityBackend) -> None:
        user = add_member(identity, "alice", "pw")
        token = identity.issue(password("alice", "pw", project_scope())).token
        identity.delete_user(user.id)
        assert status_of(identity.authenticate, token) == 401

    def test_disabled_user_tokens_are_401(self, identity: IdentityBackend) -> None:
        user = add_member(identity, "alice", "pw")
        token = identity.issue(password("alice", "pw", project_scope())).token
        identity.update_user(user.id, {"enabled": False})
        assert status_of(identity.authenticate, token) == 401

    def test_deleted_project_tokens_are_401(self, identity: IdentityBackend) -> None:
        project = identity.create_project("p2")
        user = identity.create_user("alice", "pw")
        identity.grant(user.id, project.id, identity.role_by_name("member").id)
        token = identity.issue(password("alice", "pw", project_scope("p2"))).token
        identity.delete_project(project.id)
        assert status_of(identity.authenticate, token) == 401

    def test_roles_follow_grants(self, identity: IdentityBackend) -> None:
        user = add_member(identity, "alice", "pw")
        token = identity.issue(password("alice", "pw", project_scope())).token
        project = identity.project_by_name("ibm-default")
        identity.grant(user.id, project.id, identity.role_by_name("admin").id)
        assert identity.authenticate(token).is_admin
        identity.revoke_grant(user.id, project.id, identity.role_by_name("admin").id)
        assert not identity.authenticate(token).is_admin

    def test_disabled_project_tokens_are_401(self, identity: IdentityBackend) -> None:
        project = identity.create_project("p2")
        user = identity.create_user("alice", "pw")
        identity.grant(user.id, project.id, identity.role_by_name("member").id)
        token = identity.issue(password("alice", "pw", project_scope("p2"))).token
        identity.update_project(project.id, {"enabled": False})
        assert status_of(identity.authenticate, token) == 401


class TestRescope:
    def test_unscoped_token_rescoped_to_a_project(self, identity: IdentityBackend) -> None:
        user = add_member(identity, "alice", "pw")
        unscoped = identity.issue(password("alice", "pw"))
        project = identity.project_by_name("ibm-default")
        scoped = identity.issue(rescope(unscoped.token, project.id))
        assert (scoped.user_id, scoped.project_id) == (user.id, project.id)
        assert scoped.roles == ("member", "reader")

    def test_rescope_to_a_project_without_a_role_is_401(self, identity: IdentityBackend) -> None:
        add_member(identity, "alice", "pw")
        unscoped = identity.issue(password("alice", "pw"))
        other = identity.create_project("p2")
        assert status_of(identity.issue, rescope(unscoped.token, other.id)) == 401

    def test_rescope_with_a_bad_token_is_401(self, identity: IdentityBackend) -> None:
        project = identity.project_by_name("ibm-default")
        assert status_of(identity.issue, rescope("gAAAAAx.y", project.id)) == 401

    def test_rescoped_token_keeps_the_original_expiry(
        self, identity: IdentityBackend, fake_time: FakeTime
    ) -> None:
        add_member(identity, "alice", "pw")
        unscoped = identity.issue(password("alice", "pw"))
        fake_time.now += 600
        project = identity.project_by_name("ibm-default")
        scoped = identity.issue(rescope(unscoped.token, project.id))
        assert scoped.expires_at == unscoped.expires_at

    def test_rescoped_token_methods_include_token(self, identity: IdentityBackend) -> None:
        add_member(identity, "alice", "pw")
        unscoped = identity.issue(password("alice", "pw"))
        project = identity.project_by_name("ibm-default")
        scoped = identity.issue(rescope(unscoped.token, project.id))
        assert set(scoped.methods) == {"password", "token"}

    def test_revoking_a_rescoped_token_keeps_the_parent(self, identity: IdentityBackend) -> None:
        add_member(identity, "alice", "pw")
        unscoped = identity.issue(password("alice", "pw"))
        project = identity.project_by_name("ibm-default")
        scoped = identity.issue(rescope(unscoped.token, project.id))
        identity.revoke(scoped, scoped.token)
        identity.authenticate(unscoped.token)
        assert identity.issue(rescope(unscoped.token, project.id)).project_id == project.id

    def test_revoking_the_parent_keeps_the_rescoped_token(self, identity: IdentityBackend) -> None:
        add_member(identity, "alice", "pw")
        unscoped = identity.issue(password("alice", "pw"))
        scoped = identity.issue(rescope(unscoped.token, identity.project_by_name("ibm-default").id))
        identity.revoke(unscoped, unscoped.token)
        assert identity.authenticate(scoped.token).audit_id == scoped.audit_id
        assert status_of(identity.authenticate, unscoped.token) == 401

    def test_audit_ids_chain_to_the_first_token(self, identity: IdentityBackend) -> None:
        add_member(identity, "alice", "pw")
        project_id = identity.project_by_name("ibm-default").id
        first = identity.issue(password("alice", "pw"))
        second = identity.issue(rescope(first.token, project_id))
        third = identity.issue(rescope(second.token, project_id))
        assert first.audit_ids == (first.audit_id,)
        assert second.audit_ids == (second.audit_id, first.audit_id)
        assert third.audit_ids == (third.audit_id, first.audit_id)
        assert len({first.audit_id, second.audit_id, third.audit_id}) == 3
        assert identity.authenticate(third.token).audit_ids == third.audit_ids


class TestTimeSource:
    def test_default_reads_wall_time_at_each_call(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        backend = IdentityBackend(store, TTL)
        backend.seed(load_estate(), "passw0rd")
        monkeypatch.setattr(time, "time", lambda: START)
        caller = backend.issue(password())
        assert (caller.issued_at, caller.expires_at) == (START, START + TTL)
        monkeypatch.setattr(time, "time", lambda: START + TTL)
        assert status_of(backend.authenticate, caller.token) == 401


class TestBodyTypes:
    @pytest.mark.parametrize(
        "body",
        [
            {"auth": {"identity": {"methods": ["token"], "token": {"id": 5}}}},
            {"auth": {"identity": {"methods": ["token"], "token": "abc"}}},
            {"auth": {"identity": {"methods": ["token"], "token": {}}}},
            password(scope=5),
            password(scope={"project": {"name": "ibm-default"}, "domain": {"id": "default"}}),
            password(scope={}),
            password(scope={"domain": "default"}),
            password(scope={"domain": {}}),
            password(scope={"project": {"id": 5}}),
            password(scope={"project": {}}),
            password(scope={"project": {"name": "ibm-default", "domain": {"id": 1}}}),
            {"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": 7}}}}},
            {
                "auth": {
                    "identity": {"methods": ["password"], "password": {"user": {"password": "x"}}}
                }
            },
            app_cred_auth(id=5, secret="s"),
            app_cred_auth(id="x", secret=5),
            app_cred_auth(name="ci", secret="s"),
            app_cred_auth(name="ci", user={"name": 5}, secret="s"),
        ],
    )
    def test_ill_typed_auth_is_400(self, identity: IdentityBackend, body: Any) -> None:
        assert status_of(identity.issue, body) == 400

    def test_non_string_password_is_400(self, identity: IdentityBackend) -> None:
        body = password()
        body["auth"]["identity"]["password"]["user"]["password"] = 1234
        assert status_of(identity.issue, body) == 400

    def test_domain_scope_by_name(self, identity: IdentityBackend) -> None:
        caller = identity.issue(password(scope={"domain": {"name": "Default"}}))
        assert caller.domain_scope == "default"
        assert status_of(identity.issue, password(scope={"domain": {"name": "Other"}})) == 401


class TestSubject:
    def test_missing_bad_and_revoked_subjects_are_404(self, identity: IdentityBackend) -> None:
        caller = identity.issue(password())
        assert status_of(identity.subject, None) == 404
        assert status_of(identity.subject, "gAAAAAx.y") == 404
        identity.revoke(caller, caller.token)
        assert status_of(identity.subject, caller.token) == 404
        assert status_of(identity.revoke, identity.issue(password()), caller.token) == 404


class TestLiveChecks:
    def test_default_project_disabled_gives_an_unscoped_token(
        self, identity: IdentityBackend
    ) -> None:
        identity.update_project(identity.project_by_name("ibm-default").id, {"enabled": False})
        assert identity.issue(password()).project_id is None

    def test_cached_tokens_are_checked_on_every_use(self, identity: IdentityBackend) -> None:
        user = add_member(identity, "alice", "pw")
        token = identity.issue(password("alice", "pw", project_scope())).token
        identity.authenticate(token)  # now cached
        identity.users[user.id].enabled = False  # a change that did not clear the cache
        assert status_of(identity.authenticate, token) == 401


class TestAdministration:
    def test_duplicates_are_409(self, identity: IdentityBackend) -> None:
        assert status_of(identity.create_project, "ibm-default") == 409
        assert status_of(identity.create_user, "root", "x") == 409
        assert status_of(identity.create_role, "admin") == 409

    def test_unknown_ids_are_404(self, identity: IdentityBackend) -> None:
        assert status_of(identity.project, "nope") == 404
        assert status_of(identity.user, "nope") == 404
        assert status_of(identity.role, "nope") == 404
        assert status_of(identity.delete_project, "nope") == 404
        assert status_of(identity.delete_user, "nope") == 404
        assert status_of(identity.delete_role, "nope") == 404

    def test_grant_is_idempotent_and_checked(self, identity: IdentityBackend) -> None:
        user = identity.create_user("alice", "pw")
        project = identity.project_by_name("ibm-default")
        role = identity.role_by_name("reader")
        first = identity.grant(user.id, project.id, role.id)
        assert identity.grant(user.id, project.id, role.id) == first
        assert identity.has_grant(user.id, project.id, role.id)
        identity.revoke_grant(user.id, project.id, role.id)
        assert not identity.has_grant(user.id, project.id, role.id)
        assert status_of(identity.revoke_grant, user.id, project.id, role.id) == 404

    @pytest.mark.parametrize("missing", ["user", "project", "role"])
    def test_grant_to_unknown_things_is_404(self, identity: IdentityBackend, missing: str) -> None:
        ids = {
            "user": identity.user_by_name("root").id,
            "project": identity.project_by_name("ibm-default").id,
            "role": identity.role_by_name("member").id,
        }
        ids[missing] = "nope"
        assert status_of(identity.grant, ids["user"], ids["project"], ids["role"]) == 404

    def test_deleting_a_role_removes_its_assignments(
        self, identity: IdentityBackend, store: Store
    ) -> None:
        role = identity.create_role("operator")
        user = identity.create_user("alice", "pw")
        project = identity.project_by_name("ibm-default")
        identity.grant(user.id, project.id, role.id)
        identity.delete_role(role.id)
        assert not identity.has_grant(user.id, project.id, role.id)
        assert all(a["role_id"] != role.id for a in store.load("assignment"))

    def test_deleting_a_user_removes_assignments_and_credentials(
        self, identity: IdentityBackend, store: Store
    ) -> None:
        user = add_member(identity, "alice", "pw")
        caller = identity.issue(password("alice", "pw", project_scope()))
        identity.create_app_cred(caller, user.id, {"name": "ci"})
        identity.delete_user(user.id)
        assert identity.user_projects(user.id) == []
        assert list(store.load("app_cred")) == []
        assert all(a["user_id"] != user.id for a in store.load("assignment"))

    def test_custom_role_is_not_expanded(self, identity: IdentityBackend) -> None:
        role = identity.create_role("operator")
        user = identity.create_user("alice", "pw")
        project = identity.project_by_name("ibm-default")
        identity.grant(user.id, project.id, role.id)
        assert identity.role_names(user.id, project.id) == ("operator",)

    def test_renaming_a_project_onto_another_is_409(self, identity: IdentityBackend) -> None:
        project = identity.create_project("p2")
        assert status_of(identity.update_project, project.id, {"name": "ibm-default"}) == 409

    def test_renaming_a_user_onto_another_is_409(self, identity: IdentityBackend) -> None:
        user = identity.create_user("alice", "pw")
        assert status_of(identity.update_user, user.id, {"name": "root"}) == 409

    def test_renaming_onto_its_own_name_is_fine(self, identity: IdentityBackend) -> None:
        project = identity.project_by_name("ibm-default")
        assert identity.update_project(project.id, {"name": "ibm-default"}) is project
        root = identity.user_by_name("root")
        assert identity.update_user(root.id, {"name": "root"}) is root


class TestApplicationCredentials:
    @pytest.fixture
    def alice(self, identity: IdentityBackend) -> Caller:
        add_member(identity, "alice", "alice-pw")
        return identity.issue(password("alice", "alice-pw", project_scope()))

    def test_create_and_authenticate_by_id(
        self, identity: IdentityBackend, alice: Caller, store: Store
    ) -> None:
        cred, secret = identity.create_app_cred(alice, alice.user_id, {"name": "ci"})
        assert len(secret) >= 32
        assert cred.project_id == alice.project_id
        assert secret not in str(list(store.load("app_cred")))
        caller = identity.issue(app_cred_auth(id=cred.id, secret=secret))
        assert caller.methods == ("application_credential",)
        assert caller.app_cred_id == cred.id
        assert (caller.user_id, caller.project_id) == (alice.user_id, alice.project_id)
        assert set(caller.roles) == {"member", "reader"}

    def test_authenticate_by_name_and_user(self, identity: IdentityBackend, alice: Caller) -> None:
        cred, secret = identity.create_app_cred(alice, alice.user_id, {"name": "ci"})
        by_name = app_cred_auth(name="ci", user={"name": "alice", "domain": {"id": "default"}})
        by_name["auth"]["identity"]["application_credential"]["secret"] = secret
        assert identity.issue(by_name).app_cred_id == cred.id
        by_user_id = app_cred_auth(name="ci", user={"id": alice.user_id}, secret=secret)
        assert identity.issue(by_user_id).app_cred_id == cred.id

    def test_chosen_secret(self, identity: IdentityBackend, alice: Caller) -> None:
        cred, secret = identity.create_app_cred(
            alice, alice.user_id, {"name": "ci", "secret": "my-own-secret"}
        )
        assert secret == "my-own-secret"
        assert identity.issue(app_cred_auth(id=cred.id, secret="my-own-secret"))

    def test_wrong_secret_is_401(self, identity: IdentityBackend, alice: Caller) -> None:
        cred, _ = identity.create_app_cred(alice, alice.user_id, {"name": "ci"})
        assert status_of(identity.issue, app_cred_auth(id=cred.id, secret="nope")) == 401
        assert status_of(identity.issue, app_cred_auth(id="nope", secret="nope")) == 401

    def test_missing_secret_is_400(self, identity: IdentityBackend, alice: Caller) -> None:
        cred, _ = identity.create_app_cred(alice, alice.user_id, {"name": "ci"})
        assert status_of(identity.issue, app_cred_auth(id=cred.id)) == 400

    def test_expired_credential_is_401(
        self, identity: IdentityBackend, alice: Caller, fake_time: FakeTime
    ) -> None:
        cred, secret = identity.create_app_cred(
            alice, alice.user_id, {"name": "ci", "expires_at": "2027-01-15T00:00:00Z"}
        )
        assert cred.expires_at is not None
        fake_time.now = cred.expires_at - 1
        identity.issue(app_cred_auth(id=cred.id, secret=secret))
        fake_time.now = cred.expires_at + 1
        assert status_of(identity.issue, app_cred_auth(id=cred.id, secret=secret)) == 401

    def test_bad_expiry_is_400(self, identity: IdentityBackend, alice: Caller) -> None:
        body = {"name": "ci", "expires_at": "next tuesday"}
        assert status_of(identity.create_app_cred, alice, alice.user_id, body) == 400

    def test_deleting_revokes_its_tokens(self, identity: IdentityBackend, alice: Caller) -> None:
        cred, secret = identity.create_app_cred(alice, alice.user_id, {"name": "ci"})
        token = identity.issue(app_cred_auth(id=cred.id, secret=secret)).token
        identity.delete_app_cred(alice.user_id, cred.id)
        assert status_of(identity.authenticate, token) == 401
        assert status_of(identity.issue, app_cred_auth(id=cred.id, secret=secret)) == 401
        assert status_of(identity.app_cred, alice.user_id, cred.id) == 404

    def test_only_for_yourself(self, identity: IdentityBackend, alice: Caller) -> None:
        root = identity.user_by_name("root")
        assert status_of(identity.create_app_cred, alice, root.id, {"name": "x"}) == 403

    def test_name_is_required_and_unique(self, identity: IdentityBackend, alice: Caller) -> None:
        assert status_of(identity.create_app_cred, alice, alice.user_id, {}) == 400
        assert status_of(identity.create_app_cred, alice, alice.user_id, {"name": ""}) == 400
        identity.create_app_cred(alice, alice.user_id, {"name": "ci"})
        assert status_of(identity.create_app_cred, alice, alice.user_id, {"name": "ci"}) == 409

    def test_needs_a_project_scoped_token(self, identity: IdentityBackend) -> None:
        user = add_member(identity, "bob", "pw")
        unscoped = identity.issue(password("bob", "pw"))
        assert status_of(identity.create_app_cred, unscoped, user.id, {"name": "x"}) == 400

    def test_roles_can_be_narrowed_but_not_widened(
        self, identity: IdentityBackend, alice: Caller
    ) -> None:
        cred, secret = identity.create_app_cred(
            alice, alice.user_id, {"name": "ro", "roles": [{"name": "reader"}]}
        )
        assert identity.issue(app_cred_auth(id=cred.id, secret=secret)).roles == ("reader",)
        widen = {"name": "rw", "roles": [{"name": "admin"}]}
        assert status_of(identity.create_app_cred, alice, alice.user_id, widen) == 403

    def test_app_cred_tokens_cannot_be_rescoped(
        self, identity: IdentityBackend, alice: Caller
    ) -> None:
        cred, secret = identity.create_app_cred(alice, alice.user_id, {"name": "ci"})
        token = identity.issue(app_cred_auth(id=cred.id, secret=secret)).token
        project = identity.project_by_name("ibm-default")
        assert 400 <= status_of(identity.issue, rescope(token, project.id)) < 500

    def test_a_restricted_app_cred_manages_no_app_creds(
        self, identity: IdentityBackend, alice: Caller
    ) -> None:
        # keystone/api/users.py _check_unrestricted_application_credential
        cred, secret = identity.create_app_cred(alice, alice.user_id, {"name": "ci"})
        caller = identity.issue(app_cred_auth(id=cred.id, secret=secret))
        assert status_of(identity.create_app_cred, caller, alice.user_id, {"name": "x"}) == 403
        assert status_of(identity.refuse_restricted, caller) == 403
        wide, wide_secret = identity.create_app_cred(
            alice, alice.user_id, {"name": "wide", "unrestricted": True}
        )
        free = identity.issue(app_cred_auth(id=wide.id, secret=wide_secret))
        identity.create_app_cred(free, alice.user_id, {"name": "made-by-wide"})

    def test_disabled_user_cannot_use_an_app_cred(
        self, identity: IdentityBackend, alice: Caller
    ) -> None:
        cred, secret = identity.create_app_cred(alice, alice.user_id, {"name": "ci"})
        identity.update_user(alice.user_id, {"enabled": False})
        assert status_of(identity.issue, app_cred_auth(id=cred.id, secret=secret)) == 401

    @pytest.mark.parametrize("roles", ["member", ["member"], [1], [{}], [{"name": 5}]])
    def test_malformed_roles_are_400(
        self, identity: IdentityBackend, alice: Caller, roles: Any
    ) -> None:
        body = {"name": "ci", "roles": roles}
        with pytest.raises(ApiError) as caught:
            identity.create_app_cred(alice, alice.user_id, body)
        assert caught.value.status == 400
        assert "roles" in caught.value.message

    @pytest.mark.parametrize(
        "fields",
        [{"expires_at": 5}, {"secret": 5}, {"description": []}, {"unrestricted": "yes"}],
    )
    def test_malformed_fields_are_400(
        self, identity: IdentityBackend, alice: Caller, fields: dict[str, Any]
    ) -> None:
        body = {"name": "ci", **fields}
        with pytest.raises(ApiError) as caught:
            identity.create_app_cred(alice, alice.user_id, body)
        assert caught.value.status == 400
        assert next(iter(fields)) in caught.value.message

    def test_disabled_project_stops_the_app_cred_and_its_tokens(
        self, identity: IdentityBackend, alice: Caller
    ) -> None:
        cred, secret = identity.create_app_cred(alice, alice.user_id, {"name": "ci"})
        token = identity.issue(app_cred_auth(id=cred.id, secret=secret)).token
        identity.update_project(cred.project_id, {"enabled": False})
        assert status_of(identity.issue, app_cred_auth(id=cred.id, secret=secret)) == 401
        assert status_of(identity.authenticate, token) == 401

    def test_tokens_do_not_outlive_their_app_cred(
        self, identity: IdentityBackend, alice: Caller, fake_time: FakeTime
    ) -> None:
        body = {"name": "ci", "expires_at": "2027-01-15T08:10:00Z"}  # START + 600 s
        cred, secret = identity.create_app_cred(alice, alice.user_id, body)
        assert cred.expires_at == START + 600
        caller = identity.issue(app_cred_auth(id=cred.id, secret=secret))
        assert caller.expires_at == START + 600
        fake_time.now = START + 601
        assert status_of(identity.authenticate, caller.token) == 401
