"""Keystone's records (projects, users, roles, assignments, application credentials), the
authenticated `Caller`, secret hashing, policy checks, and `IdentityDirectory`: the record
maps and their lookups, which authentication and administration both build on.

Passwords and application-credential secrets are stored as salted PBKDF2 hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from powerbridge.emulator.backend.identity_admin_records import (
    Credential,
    Domain,
    Group,
    Inference,
    Policy,
    ancestors,
    implied_closure,
)
from powerbridge.emulator.errors import ApiError, bad_request, forbidden, not_found
from powerbridge.emulator.store import Store
from powerbridge.powervc_roles import ADMIN_ONLY, allows

DEFAULT_DOMAIN_ID = "default"
DEFAULT_DOMAIN_NAME = "Default"
DEFAULT_DOMAIN_DESCRIPTION = "The default domain"
PBKDF2_ROUNDS = 20_000


def unauthorized(message: str = "The request you have made requires authentication.") -> ApiError:
    return ApiError("unauthorized", message)


@dataclass
class Project:
    id: str
    name: str
    domain_id: str = DEFAULT_DOMAIN_ID
    description: str = ""
    enabled: bool = True
    tags: list[str] = field(default_factory=list)
    parent_id: str | None = None  # None: a top-level project (its domain is its parent)
    extra: dict[str, Any] = field(default_factory=dict)  # keystone keeps unknown attributes


@dataclass
class User:
    id: str
    name: str
    password_hash: str
    domain_id: str = DEFAULT_DOMAIN_ID
    enabled: bool = True
    email: str = ""
    default_project_id: str | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # keystone keeps unknown attributes


@dataclass
class Role:
    id: str
    name: str
    domain_id: str | None = None  # a domain-specific role: never in a token, only implies
    description: str = ""


@dataclass
class Assignment:
    """A role of one actor (a user or a group) on one target (a project, a domain or the
    system); `inherited`: it applies to the projects under the target, not the target."""

    id: str
    user_id: str
    project_id: str
    role_id: str
    group_id: str = ""
    domain_id: str = ""
    system: bool = False
    inherited: bool = False

    @property
    def actor(self) -> tuple[str, str]:
        return ("group", self.group_id) if self.group_id else ("user", self.user_id)

    @property
    def target(self) -> tuple[str, str]:
        if self.system:
            return ("system", "all")
        return ("domain", self.domain_id) if self.domain_id else ("project", self.project_id)


@dataclass
class AppCredential:
    id: str
    name: str
    user_id: str
    project_id: str
    secret_hash: str
    role_ids: list[str]
    description: str = ""
    expires_at: float | None = None
    unrestricted: bool = False
    access_rule_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Caller:
    """The authenticated identity behind a request."""

    token: str
    user_id: str
    user_name: str
    project_id: str | None
    project_name: str | None
    roles: tuple[str, ...]
    methods: tuple[str, ...]
    issued_at: float
    expires_at: float
    audit_id: str
    app_cred_id: str | None = None
    domain_scope: str | None = None
    audit_chain_id: str | None = None  # the first token of a rescope chain, if this is one
    system_scope: bool = False
    user_domain_id: str = DEFAULT_DOMAIN_ID

    @property
    def audit_ids(self) -> tuple[str, ...]:
        """Keystone's `audit_ids`: this token's own id, then its chain's (when rescoped)."""
        return (self.audit_id, self.audit_chain_id) if self.audit_chain_id else (self.audit_id,)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def can_write(self) -> bool:
        return "member" in self.roles or "admin" in self.roles


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, PBKDF2_ROUNDS)
    return f"pbkdf2_sha256${PBKDF2_ROUNDS}${salt.hex()}${digest.hex()}"


def verify_hash(secret: str, stored: str) -> bool:
    try:
        _, rounds, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", secret.encode(), bytes.fromhex(salt), int(rounds))
    return hmac.compare_digest(candidate.hex(), digest)


class IdentityDirectory:
    """The identity records in memory (written through to the store) and their lookups."""

    def __init__(self, store: Store, now: Callable[[], float] | None = None) -> None:
        self.store = store
        # Token and credential times follow wall time, not the emulator's clock: a manual clock
        # advanced by a test must not age tokens. `None` reads time.time at each call, so tests
        # can also monkeypatch it.
        self._time_source = now
        self.projects: dict[str, Project] = {}
        self.users: dict[str, User] = {}
        self.roles: dict[str, Role] = {}
        self.assignments: dict[str, Assignment] = {}
        self.app_creds: dict[str, AppCredential] = {}
        self.domains: dict[str, Domain] = {}
        self.groups: dict[str, Group] = {}
        self.inferences: dict[str, Inference] = {}
        self.credentials: dict[str, Credential] = {}
        self.policies: dict[str, Policy] = {}

    def _now(self) -> float:
        return self._time_source() if self._time_source is not None else time.time()

    def _save(self, kind: str, record: Any) -> None:
        self.store.put(kind, record.id, asdict(record))

    # -- lookups -------------------------------------------------------------------------
    def project_by_name(self, name: str, domain_id: str = DEFAULT_DOMAIN_ID) -> Project:
        for project in self.projects.values():
            if project.name == name and project.domain_id == domain_id:
                return project
        raise not_found(f"Could not find project: {name}.")

    def project(self, project_id: str) -> Project:
        try:
            return self.projects[project_id]
        except KeyError:
            raise not_found(f"Could not find project: {project_id}.") from None

    def user(self, user_id: str) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise not_found(f"Could not find user: {user_id}.") from None

    def user_by_name(self, name: str, domain_id: str = DEFAULT_DOMAIN_ID) -> User:
        for user in self.users.values():
            if user.name == name and user.domain_id == domain_id:
                return user
        raise not_found(f"Could not find user: {name}.")

    def role(self, role_id: str) -> Role:
        try:
            return self.roles[role_id]
        except KeyError:
            raise not_found(f"Could not find role: {role_id}.") from None

    def role_by_name(self, name: str) -> Role:
        """The global role of that name (domain-specific roles may share names)."""
        for role in self.roles.values():
            if role.name == name and role.domain_id is None:
                return role
        raise not_found(f"Could not find role: {name}.")

    def domain(self, domain_id: str) -> Domain:
        try:
            return self.domains[domain_id]
        except KeyError:
            raise not_found(f"Could not find domain: {domain_id}.") from None

    def group(self, group_id: str) -> Group:
        try:
            return self.groups[group_id]
        except KeyError:
            raise not_found(f"Could not find group: {group_id}.") from None

    def domain_id_named(self, spec: Mapping[str, Any], where: str) -> str:
        """The id of the domain a `{"id": ...}` or `{"name": ...}` names (the name itself when
        no domain has it: the caller's lookup then fails as keystone's does)."""
        name = text_field(spec, "name", f"{where}/name")
        if "id" in spec or name is None:
            return domain_id_of(spec, where)
        for domain in self.domains.values():
            if domain.name == name:
                return domain.id
        return domain_id_of(spec, where)

    # -- effective roles -----------------------------------------------------------------
    def actors_of(self, user_id: str) -> set[tuple[str, str]]:
        """The user and every group it is a member of: the actors its roles come through."""
        actors = {("user", user_id)}
        actors.update(("group", g.id) for g in self.groups.values() if user_id in g.user_ids)
        return actors

    def parents(self) -> dict[str, str | None]:
        return {p.id: p.parent_id for p in self.projects.values()}

    def held_role_ids(self, user_id: str, target: tuple[str, str]) -> list[str]:
        """The roles the user holds on a target, as keystone computes them: its own and its
        groups' assignments on the target, those inherited from the project's domain and
        ancestors, then every role these imply."""
        sources = {(target, False)}
        project = self.projects.get(target[1]) if target[0] == "project" else None
        if project is not None:
            sources.add((("domain", project.domain_id), True))
            parents = self.parents()
            sources.update((("project", a), True) for a in ancestors(project.id, parents))
        actors = self.actors_of(user_id)
        direct = [
            a.role_id
            for a in self.assignments.values()
            if a.actor in actors and (a.target, a.inherited) in sources
        ]
        return implied_closure(direct, self.inferences.values())

    def role_names(self, user_id: str, project_id: str) -> tuple[str, ...]:
        return self.token_role_names(self.held_role_ids(user_id, ("project", project_id)))

    def token_role_names(self, role_ids: list[str]) -> tuple[str, ...]:
        """A token's roles: global ones only (a domain-specific role only implies others)."""
        roles = (self.roles.get(r) for r in role_ids)
        return tuple(dict.fromkeys(r.name for r in roles if r is not None and r.domain_id is None))

    def user_projects(self, user_id: str) -> list[Project]:
        return [p for p in self.projects.values() if self.held_role_ids(user_id, ("project", p.id))]

    def user_domains(self, user_id: str) -> list[Domain]:
        return [d for d in self.domains.values() if self.held_role_ids(user_id, ("domain", d.id))]

    def _role_exists(self, name: str) -> bool:
        return any(r.name == name for r in self.roles.values())


def require_admin(caller: Caller, action: str) -> None:
    if not caller.is_admin:
        raise forbidden(f"You are not authorized to perform the requested action: {action}.")


def require_policy_admin(caller: Caller, action: str) -> None:
    """A nova (or PowerVC compute) action keystone's member may not do, refused in nova's
    policy wording; PowerVC's roles may, where its policy table says so."""
    if not allows(caller.roles, action, ADMIN_ONLY):
        raise forbidden(f"Policy doesn't allow {action} to be performed.")


def require_writer(caller: Caller, action: str) -> None:
    """A write the policy table allows some roles (keystone's member where it names none),
    refused in nova's and cinder's wording."""
    if not allows(caller.roles, action):
        raise forbidden(f"Policy doesn't allow {action} to be performed.")


def invalid_field(where: str, value: Any, expected: str) -> ApiError:
    """A 400 naming the field, worded like keystone's JSON-schema errors."""
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return bad_request(f"Invalid input for field '{where}': {shown} is not of type '{expected}'.")


def text_field(block: Mapping[str, Any], key: str, where: str) -> str | None:
    """`block[key]` when it is a string, None when absent or null, else a 400 naming it."""
    value = block.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid_field(where, value, "string")
    return value


def mapping_field(block: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    """`block[key]` when it is an object, None when absent or null, else a 400 naming it."""
    value = block.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise invalid_field(where, value, "object")
    return value


def domain_id_of(domain: Mapping[str, Any], where: str) -> str:
    domain_id = text_field(domain, "id", f"{where}/id")
    if domain_id is not None:
        return domain_id
    name = text_field(domain, "name", f"{where}/name")
    # the one domain answers to its name in any case, as the SQL backend's collation does
    if name is None or name.lower() in ("default", DEFAULT_DOMAIN_ID):
        return DEFAULT_DOMAIN_ID
    return name


def parse_time(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise bad_request(f"Invalid timestamp {text!r}: use ISO 8601.") from None
