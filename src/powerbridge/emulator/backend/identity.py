"""Keystone v3's backend: the identity records and their administration (projects, users,
roles, grants, application credentials), persisted in the emulator's store, on top of
authentication (`identity_tokens`) and the records and lookups (`identity_records`); the
service catalog's records are `catalog` (`identity_catalog`).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from powerbridge.emulator.backend.identity_access_rules import AccessRuleAdmin
from powerbridge.emulator.backend.identity_admin_records import (
    DEFAULT_INFERENCES,
    Credential,
    Domain,
    Group,
    Inference,
    Policy,
)
from powerbridge.emulator.backend.identity_catalog import ServiceCatalog
from powerbridge.emulator.backend.identity_credentials import CredentialAdmin
from powerbridge.emulator.backend.identity_domains import DomainAdmin
from powerbridge.emulator.backend.identity_extensions import ExtensionAdmin
from powerbridge.emulator.backend.identity_records import (
    DEFAULT_DOMAIN_ID,
    AppCredential,
    Assignment,
    Caller,
    Project,
    Role,
    User,
    hash_secret,
    invalid_field,
    parse_time,
    text_field,
    unauthorized,
)
from powerbridge.emulator.backend.identity_tokens import TokenAuthority
from powerbridge.emulator.backend.identity_trusts import TrustAdmin
from powerbridge.emulator.errors import bad_request, conflict, forbidden, not_found
from powerbridge.emulator.estate import ROLE_NAMES, Estate
from powerbridge.emulator.store import Store

INFERENCES_SEEDED = "inferences_seeded"
SCOPES_SEEDED = "admin_scopes_seeded"


class IdentityBackend(
    DomainAdmin, CredentialAdmin, ExtensionAdmin, AccessRuleAdmin, TrustAdmin, TokenAuthority
):
    def __init__(
        self, store: Store, token_ttl: float, now: Callable[[], float] | None = None
    ) -> None:
        super().__init__(store, token_ttl, now)
        self.catalog = ServiceCatalog(store)
        self._load()

    # -- persistence ---------------------------------------------------------------------
    def _load(self) -> None:
        for body in self.store.load("project"):
            self.projects[body["id"]] = Project(**body)
        for body in self.store.load("user"):
            self.users[body["id"]] = User(**body)
        for body in self.store.load("role"):
            self.roles[body["id"]] = Role(**body)
        for body in self.store.load("assignment"):
            self.assignments[body["id"]] = Assignment(**body)
        for body in self.store.load("app_cred"):
            self.app_creds[body["id"]] = AppCredential(**body)
        for body in self.store.load("revoked"):
            self.revoked.add(body["audit_id"])
        for body in self.store.load("domain"):
            self.domains[body["id"]] = Domain(**body)
        for body in self.store.load("group"):
            self.groups[body["id"]] = Group(**body)
        for body in self.store.load("inference"):
            self.inferences[body["id"]] = Inference(**body)
        for body in self.store.load("credential"):
            self.credentials[body["id"]] = Credential(**body)
        for body in self.store.load("policy"):
            self.policies[body["id"]] = Policy(**body)
        self.load_extensions()
        self.load_access_rules()
        self.load_trusts()
        self.ensure_default_domain()  # data dirs made before domains were records too
        self._seed_inferences()
        self._bootstrap_scopes()

    def _seed_inferences(self) -> None:
        """keystone-manage bootstrap's rules, once per data dir (a deleted rule stays
        deleted), as soon as their roles exist."""
        if self.store.get_meta(INFERENCES_SEEDED):
            return
        names = {r.name: r.id for r in self.roles.values() if r.domain_id is None}
        if not all(prior in names and implied in names for prior, implied in DEFAULT_INFERENCES):
            return
        for prior, implied in DEFAULT_INFERENCES:
            self.create_inference(names[prior], names[implied])
        self.store.set_meta(INFERENCES_SEEDED, "1")

    def _bootstrap_scopes(self) -> None:
        """keystone-manage bootstrap makes its admin an admin of the system too; PowerVC's
        root also administers the default domain (a domain-scoped token is how its own
        tooling reads users). So every admin of a project gets both, once per data dir."""
        admin = next((r for r in self.roles.values() if r.name == "admin"), None)
        if self.store.get_meta(SCOPES_SEEDED) or admin is None or not self.assignments:
            return
        admins = {
            a.user_id
            for a in self.assignments.values()
            if a.role_id == admin.id and a.project_id and a.user_id
        }
        for user_id in sorted(admins):
            self.grant_role(("user", user_id), ("system", "all"), admin.id)
            self.grant_role(("user", user_id), ("domain", DEFAULT_DOMAIN_ID), admin.id)
        self.store.set_meta(SCOPES_SEEDED, "1")

    def seed(self, estate: Estate, admin_password: str) -> None:
        for name in ROLE_NAMES:
            self._save("role", self._add_role(name))
        self._seed_inferences()
        for spec in estate.projects:
            self.create_project(spec.name, description=spec.description)
        for user in estate.users:
            password = user.password if user.password is not None else admin_password
            created = self.create_user(user.name, password, email=user.email)
            for project_name, role_names in user.roles.items():
                project = self.project_by_name(project_name)
                for role_name in role_names:
                    self.grant(created.id, project.id, self.role_by_name(role_name).id)
            if user.roles:
                first = self.project_by_name(next(iter(user.roles)))
                created.default_project_id = first.id
                self._save("user", created)
        self._bootstrap_scopes()

    def _add_role(self, name: str) -> Role:
        role = Role(id=uuid.uuid4().hex, name=name)
        self.roles[role.id] = role
        return role

    # -- administration ------------------------------------------------------------------
    def create_project(
        self,
        name: str,
        *,
        description: str = "",
        enabled: bool = True,
        domain_id: str = DEFAULT_DOMAIN_ID,
        tags: Iterable[str] = (),
        parent_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Project:
        if parent_id is not None:
            parent = self.projects.get(parent_id)
            if parent is None:  # keystone: a parent that is neither a project nor a domain
                raise not_found(f"Could not find project: {parent_id}.")
            domain_id = parent.domain_id
        self.existing_domain(domain_id)
        self._check_project_name_free(name, domain_id)
        project = Project(uuid.uuid4().hex, name, domain_id, description, enabled, list(tags))
        project.parent_id, project.extra = parent_id, dict(extra or {})
        self.projects[project.id] = project
        self._save("project", project)
        return project

    def _check_project_name_free(
        self, name: str, domain_id: str, renaming: str | None = None
    ) -> None:
        # names are unique per domain: logins scope projects by name
        if any(
            p.name == name and p.domain_id == domain_id and p.id != renaming
            for p in self.projects.values()
        ):
            raise conflict(
                f"Conflict occurred attempting to store project - Duplicate entry "
                f"found with name {name} at domain ID {domain_id}."
            )

    def update_project(self, project_id: str, changes: Mapping[str, Any]) -> Project:
        project = self.project(project_id)
        if "name" in changes:
            self._check_project_name_free(changes["name"], project.domain_id, project.id)
        for key in ("name", "description", "enabled", "tags"):
            if key in changes:
                setattr(project, key, changes[key])
        project.extra.update(changes.get("extra", {}))
        self._save("project", project)
        self._token_cache.clear()
        return project

    def delete_project(self, project_id: str) -> None:
        self.project(project_id)
        if any(p.parent_id == project_id for p in self.projects.values()):
            raise forbidden(
                f"Cannot delete the project {project_id} since it is not a leaf in the "
                f"hierarchy. Use the cascade option if you want to delete a whole subtree."
            )
        del self.projects[project_id]
        self.store.delete("project", project_id)
        for assignment in [a for a in self.assignments.values() if a.project_id == project_id]:
            self.remove_assignment(assignment)
        self._token_cache.clear()

    def create_user(
        self,
        name: str,
        password: str | None,
        *,
        email: str = "",
        domain_id: str = DEFAULT_DOMAIN_ID,
        enabled: bool = True,
        default_project_id: str | None = None,
        description: str = "",
        extra: Mapping[str, Any] | None = None,
    ) -> User:
        self.existing_domain(domain_id)
        self._check_user_name_free(name, domain_id)
        stored = hash_secret(password) if password else ""
        user = User(
            uuid.uuid4().hex,
            name,
            stored,
            domain_id,
            enabled,
            email,
            default_project_id,
            description,
            dict(extra or {}),
        )
        self.users[user.id] = user
        self._save("user", user)
        return user

    def _check_user_name_free(self, name: str, domain_id: str, renaming: str | None = None) -> None:
        # names are unique per domain: password logins find users by name
        if any(
            u.name == name and u.domain_id == domain_id and u.id != renaming
            for u in self.users.values()
        ):
            raise conflict(
                f"Conflict occurred attempting to store user - Duplicate entry found "
                f"with name {name} at domain ID {domain_id}."
            )

    def update_user(self, user_id: str, changes: Mapping[str, Any]) -> User:
        user = self.user(user_id)
        if "name" in changes:
            self._check_user_name_free(changes["name"], user.domain_id, user.id)
        for key in ("name", "email", "enabled", "default_project_id", "description"):
            if key in changes:
                setattr(user, key, changes[key])
        user.extra.update(changes.get("extra", {}))
        if changes.get("password"):
            self._set_password(user, str(changes["password"]))
        self._save("user", user)
        self._token_cache.clear()
        return user

    def _set_password(self, user: User, password: str) -> None:
        user.password_hash = hash_secret(password)
        self._verified = {v for v in self._verified if v[0] != user.id}

    def change_password(self, user_id: str, original: str, new: str) -> None:
        """A user's own password change: proven by the old password, not by a policy; the
        user's tokens are revoked with it, as keystone revokes them."""
        user = self.user(user_id)
        if not self._secret_ok(user.id, original, user.password_hash):
            raise unauthorized("Error when changing user password: Invalid username or password")
        self._set_password(user, new)
        self._save("user", user)
        self.revoke_user_tokens(user.id)

    def delete_user(self, user_id: str) -> None:
        self.user(user_id)
        del self.users[user_id]
        self.store.delete("user", user_id)
        for assignment in [a for a in self.assignments.values() if a.user_id == user_id]:
            self.remove_assignment(assignment)
        for cred in [c for c in self.app_creds.values() if c.user_id == user_id]:
            del self.app_creds[cred.id]
            self.store.delete("app_cred", cred.id)
        self.drop_from_groups(user_id)
        self.drop_credentials(user_id)
        self.drop_access_rules(user_id)
        self.drop_trusts(user_id)
        self._token_cache.clear()

    def create_role(
        self, name: str, *, domain_id: str | None = None, description: str = ""
    ) -> Role:
        if domain_id is not None:
            self.existing_domain(domain_id)
        self._check_role_name_free(name, domain_id)
        role = self._add_role(name)
        role.domain_id, role.description = domain_id, description
        self._save("role", role)
        return role

    def _check_role_name_free(
        self, name: str, domain_id: str | None, renaming: str | None = None
    ) -> None:
        if any(
            r.name == name and r.domain_id == domain_id and r.id != renaming
            for r in self.roles.values()
        ):
            raise conflict(
                f"Conflict occurred attempting to store role - Duplicate entry found "
                f"with name {name}."
            )

    def update_role(self, role_id: str, changes: Mapping[str, Any]) -> Role:
        role = self.role(role_id)
        if "name" in changes:
            self._check_role_name_free(changes["name"], role.domain_id, role.id)
        for key in ("name", "description"):
            if key in changes:
                setattr(role, key, changes[key])
        self._save("role", role)
        self._token_cache.clear()
        return role

    def delete_role(self, role_id: str) -> None:
        self.role(role_id)
        del self.roles[role_id]
        self.store.delete("role", role_id)
        for assignment in [a for a in self.assignments.values() if a.role_id == role_id]:
            self.remove_assignment(assignment)
        for rule in list(self.inferences.values()):
            if role_id in (rule.prior_role_id, rule.implied_role_id):
                del self.inferences[rule.id]
                self.store.delete("inference", rule.id)
        self._token_cache.clear()

    def delete_domain(self, domain_id: str) -> None:
        super().delete_domain(domain_id)
        if self.domain_configs.pop(domain_id, None) is not None:  # its specific configuration
            self.store.delete("domain_cfg", domain_id)

    def grant(self, user_id: str, project_id: str, role_id: str) -> Assignment:
        return self.grant_role(("user", user_id), ("project", project_id), role_id)

    def has_grant(self, user_id: str, project_id: str, role_id: str) -> bool:
        return self.find_grant(("user", user_id), ("project", project_id), role_id) is not None

    def revoke_grant(self, user_id: str, project_id: str, role_id: str) -> None:
        self.revoke_role(("user", user_id), ("project", project_id), role_id)

    # -- application credentials ---------------------------------------------------------
    def create_app_cred(
        self, caller: Caller, user_id: str, body: Mapping[str, Any]
    ) -> tuple[AppCredential, str]:
        if caller.user_id != user_id:
            raise forbidden(
                "You are not authorized to perform the requested action: "
                "identity:create_application_credential."
            )
        if not caller.project_id:
            raise bad_request("An application credential needs a project-scoped token.")
        self.refuse_restricted(caller)
        name = body.get("name")
        if not isinstance(name, str) or not name or len(name) > 255:
            raise bad_request(
                "Invalid input for field 'name': a string of 1 to 255 characters is required."
            )
        if any(c.name == name and c.user_id == user_id for c in self.app_creds.values()):
            raise conflict(
                f"Conflict occurred attempting to store application_credential - "
                f"Duplicate entry found with name {name}."
            )
        role_ids = self._app_cred_roles(caller, body.get("roles"))
        secret = text_field(body, "secret", "secret") or secrets.token_urlsafe(48)
        expires = text_field(body, "expires_at", "expires_at")
        unrestricted = body.get("unrestricted", False)
        if not isinstance(unrestricted, bool):
            raise invalid_field("unrestricted", unrestricted, "boolean")
        cred = AppCredential(
            id=uuid.uuid4().hex,
            name=name,
            user_id=user_id,
            project_id=caller.project_id,
            secret_hash=hash_secret(secret),
            role_ids=role_ids,
            description=text_field(body, "description", "description") or "",
            expires_at=parse_time(expires) if expires else None,
            unrestricted=unrestricted,
            access_rule_ids=self.rules_for_credential(user_id, body.get("access_rules")),
        )
        self.app_creds[cred.id] = cred
        self._save("app_cred", cred)
        return cred, secret

    def _app_cred_roles(self, caller: Caller, requested: Any) -> list[str]:
        held = {self.role_by_name(n).id for n in caller.roles if self._role_exists(n)}
        if requested is None or requested == []:
            return sorted(held)
        if not isinstance(requested, list):
            raise invalid_field("roles", requested, "array")
        chosen = []
        for index, item in enumerate(requested):
            role = self._requested_role(item, f"roles/{index}")
            if role.id not in held:
                raise forbidden(f"Cannot delegate role {role.name}: the caller does not hold it.")
            chosen.append(role.id)
        return chosen

    def _requested_role(self, item: Any, where: str) -> Role:
        """One entry of an application credential's `roles`: `{"id": ...}` or `{"name": ...}`."""
        if not isinstance(item, Mapping):
            raise invalid_field(where, item, "object")
        role_id = text_field(item, "id", f"{where}/id")
        if role_id is not None:
            return self.role(role_id)
        role_name = text_field(item, "name", f"{where}/name")
        if role_name is None:
            raise bad_request(f"Invalid input for field '{where}': 'id' or 'name' is required.")
        return self.role_by_name(role_name)

    def refuse_restricted(self, caller: Caller) -> None:
        """keystone/api/users.py `_check_unrestricted_application_credential`: a token got
        with a restricted application credential creates and deletes no credential."""
        cred = self.app_creds.get(caller.app_cred_id or "")
        if caller.app_cred_id and (cred is None or not cred.unrestricted):
            raise forbidden(
                "You are not authorized to perform the requested action: Using method "
                "'application_credential' is not allowed for managing additional application "
                "credentials."
            )

    def app_cred(self, user_id: str, cred_id: str) -> AppCredential:
        cred = self.app_creds.get(cred_id)
        if cred is None or cred.user_id != user_id:
            raise not_found(f"Could not find application credential: {cred_id}.")
        return cred

    def delete_app_cred(self, user_id: str, cred_id: str) -> None:
        self.app_cred(user_id, cred_id)
        del self.app_creds[cred_id]
        self.store.delete("app_cred", cred_id)
        self._token_cache.clear()
