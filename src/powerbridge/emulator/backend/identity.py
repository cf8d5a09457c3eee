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

from powerbridge.emulator.backend.identity_catalog import ServiceCatalog
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
)
from powerbridge.emulator.backend.identity_tokens import TokenAuthority
from powerbridge.emulator.errors import bad_request, conflict, forbidden, not_found
from powerbridge.emulator.estate import ROLE_NAMES, Estate
from powerbridge.emulator.store import Store


class IdentityBackend(TokenAuthority):
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

    def seed(self, estate: Estate, admin_password: str) -> None:
        for name in ROLE_NAMES:
            self._save("role", self._add_role(name))
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
    ) -> Project:
        self._check_project_name_free(name, domain_id)
        project = Project(uuid.uuid4().hex, name, domain_id, description, enabled, list(tags))
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
        self._save("project", project)
        self._token_cache.clear()
        return project

    def delete_project(self, project_id: str) -> None:
        self.project(project_id)
        del self.projects[project_id]
        self.store.delete("project", project_id)
        for assignment in [a for a in self.assignments.values() if a.project_id == project_id]:
            self._remove_assignment(assignment)
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
    ) -> User:
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
        if changes.get("password"):
            user.password_hash = hash_secret(str(changes["password"]))
            self._verified = {v for v in self._verified if v[0] != user_id}
        self._save("user", user)
        self._token_cache.clear()
        return user

    def delete_user(self, user_id: str) -> None:
        self.user(user_id)
        del self.users[user_id]
        self.store.delete("user", user_id)
        for assignment in [a for a in self.assignments.values() if a.user_id == user_id]:
            self._remove_assignment(assignment)
        for cred in [c for c in self.app_creds.values() if c.user_id == user_id]:
            del self.app_creds[cred.id]
            self.store.delete("app_cred", cred.id)
        self._token_cache.clear()

    def create_role(self, name: str) -> Role:
        if any(r.name == name for r in self.roles.values()):
            raise conflict(
                f"Conflict occurred attempting to store role - Duplicate entry found "
                f"with name {name}."
            )
        role = self._add_role(name)
        self._save("role", role)
        return role

    def delete_role(self, role_id: str) -> None:
        self.role(role_id)
        del self.roles[role_id]
        self.store.delete("role", role_id)
        for assignment in [a for a in self.assignments.values() if a.role_id == role_id]:
            self._remove_assignment(assignment)

    def grant(self, user_id: str, project_id: str, role_id: str) -> Assignment:
        self.user(user_id), self.project(project_id), self.role(role_id)
        for existing in self.assignments.values():
            if (existing.user_id, existing.project_id, existing.role_id) == (
                user_id,
                project_id,
                role_id,
            ):
                return existing
        assignment = Assignment(uuid.uuid4().hex, user_id, project_id, role_id)
        self.assignments[assignment.id] = assignment
        self._save("assignment", assignment)
        self._token_cache.clear()
        return assignment

    def has_grant(self, user_id: str, project_id: str, role_id: str) -> bool:
        return any(
            (a.user_id, a.project_id, a.role_id) == (user_id, project_id, role_id)
            for a in self.assignments.values()
        )

    def revoke_grant(self, user_id: str, project_id: str, role_id: str) -> None:
        for assignment in list(self.assignments.values()):
            if (assignment.user_id, assignment.project_id, assignment.role_id) == (
                user_id,
                project_id,
                role_id,
            ):
                self._remove_assignment(assignment)
                return
        raise not_found(
            f"Could not find role assignment with role: {role_id}, user or group: "
            f"{user_id}, project, domain, or system: {project_id}."
        )

    def _remove_assignment(self, assignment: Assignment) -> None:
        self.assignments.pop(assignment.id, None)
        self.store.delete("assignment", assignment.id)
        self._token_cache.clear()

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
