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

from powerbridge.emulator.errors import ApiError, bad_request, forbidden, not_found
from powerbridge.emulator.store import Store
from powerbridge.powervc_roles import ADMIN_ONLY, allows

DEFAULT_DOMAIN_ID = "default"
DEFAULT_DOMAIN_NAME = "Default"
# keystone's default implied roles: admin implies member, member implies reader
IMPLIED = {"admin": ("admin", "member", "reader"), "member": ("member", "reader")}
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


@dataclass
class Role:
    id: str
    name: str


@dataclass
class Assignment:
    id: str
    user_id: str
    project_id: str
    role_id: str


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
        for role in self.roles.values():
            if role.name == name:
                return role
        raise not_found(f"Could not find role: {name}.")

    def role_names(self, user_id: str, project_id: str) -> tuple[str, ...]:
        names: list[str] = []
        for assignment in self.assignments.values():
            if assignment.user_id == user_id and assignment.project_id == project_id:
                role = self.roles.get(assignment.role_id)
                if role:
                    names.extend(IMPLIED.get(role.name, (role.name,)))
        return tuple(dict.fromkeys(names))

    def user_projects(self, user_id: str) -> list[Project]:
        ids = {a.project_id for a in self.assignments.values() if a.user_id == user_id}
        return [p for pid, p in self.projects.items() if pid in ids]

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
