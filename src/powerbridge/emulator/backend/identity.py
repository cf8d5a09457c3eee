"""Keystone v3: domains, projects, users, roles, assignments, application credentials, tokens.

Tokens are signed, not stored: the id carries the scope and expiry, and an HMAC with a key kept
in the data store proves it, so tokens survive restarts and validating one needs no lookup
beyond the revocation set. Passwords and application-credential secrets are stored as salted
PBKDF2 hashes; a successful check is remembered in memory (keyed by a digest of the secret) so
repeated logins do not pay the hash again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from powerbridge.emulator.errors import ApiError, bad_request, conflict, forbidden, not_found
from powerbridge.emulator.estate import ROLE_NAMES, Estate
from powerbridge.emulator.store import Store

DEFAULT_DOMAIN_ID = "default"
DEFAULT_DOMAIN_NAME = "Default"
# keystone's default implied roles: admin implies member, member implies reader
IMPLIED = {"admin": ("admin", "member", "reader"), "member": ("member", "reader")}
PBKDF2_ROUNDS = 20_000
TOKEN_PREFIX = "gAAAAA"


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


def _verify_hash(secret: str, stored: str) -> bool:
    try:
        _, rounds, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", secret.encode(), bytes.fromhex(salt), int(rounds))
    return hmac.compare_digest(candidate.hex(), digest)


@dataclass(frozen=True)
class _Origin:
    """What a new token inherits: its methods, and from a token it rescopes, the expiry and
    audit chain (so rescoping can neither extend a token's life nor share its revocation)."""

    methods: tuple[str, ...]
    expires_at: float | None = None  # None: issued_at + token_ttl
    audit_chain_id: str | None = None
    app_cred_id: str | None = None


class IdentityBackend:
    def __init__(
        self, store: Store, token_ttl: float, now: Callable[[], float] | None = None
    ) -> None:
        self.store = store
        self.token_ttl = token_ttl
        # Token and credential times follow wall time, not the emulator's clock: a manual clock
        # advanced by a test must not age tokens. `None` reads time.time at each call, so tests
        # can also monkeypatch it.
        self._time_source = now
        self.projects: dict[str, Project] = {}
        self.users: dict[str, User] = {}
        self.roles: dict[str, Role] = {}
        self.assignments: dict[str, Assignment] = {}
        self.app_creds: dict[str, AppCredential] = {}
        self.revoked: set[str] = set()
        self._verified: set[tuple[str, str, str]] = set()
        self._token_cache: dict[str, Caller] = {}
        key = store.get_meta("token_key")
        if key is None:
            key = secrets.token_hex(32)
            store.set_meta("token_key", key)
        self._key = bytes.fromhex(key)
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

    def _now(self) -> float:
        return self._time_source() if self._time_source is not None else time.time()

    def _save(self, kind: str, record: Any) -> None:
        self.store.put(kind, record.id, asdict(record))

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
        secret = _text(body, "secret", "secret") or secrets.token_urlsafe(48)
        expires = _text(body, "expires_at", "expires_at")
        unrestricted = body.get("unrestricted", False)
        if not isinstance(unrestricted, bool):
            raise _invalid("unrestricted", unrestricted, "boolean")
        cred = AppCredential(
            id=uuid.uuid4().hex,
            name=name,
            user_id=user_id,
            project_id=caller.project_id,
            secret_hash=hash_secret(secret),
            role_ids=role_ids,
            description=_text(body, "description", "description") or "",
            expires_at=_parse_time(expires) if expires else None,
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
            raise _invalid("roles", requested, "array")
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
            raise _invalid(where, item, "object")
        role_id = _text(item, "id", f"{where}/id")
        if role_id is not None:
            return self.role(role_id)
        role_name = _text(item, "name", f"{where}/name")
        if role_name is None:
            raise bad_request(f"Invalid input for field '{where}': 'id' or 'name' is required.")
        return self.role_by_name(role_name)

    def _role_exists(self, name: str) -> bool:
        return any(r.name == name for r in self.roles.values())

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

    # -- authentication ------------------------------------------------------------------
    def issue(self, auth: Any) -> Caller:
        """Authenticate a `POST /v3/auth/tokens` body and return the new token's identity."""
        if not isinstance(auth, Mapping) or not isinstance(auth.get("auth"), Mapping):
            raise bad_request(
                "Expecting to find auth in request body. The server could not "
                "comply with the request since it is either malformed or "
                "otherwise incorrect. The client is assumed to be in error."
            )
        body = auth["auth"]
        identity = body.get("identity")
        if not isinstance(identity, Mapping) or not isinstance(identity.get("methods"), list):
            raise bad_request(
                "Expecting to find identity in auth. The server could not comply "
                "with the request since it is either malformed or otherwise "
                "incorrect. The client is assumed to be in error."
            )
        methods = _methods(identity["methods"])
        if "application_credential" in methods:
            return self._issue_app_cred(identity.get("application_credential"))
        if "password" in methods:
            user = self._check_password(identity.get("password"))
            origin = _Origin(("password",))
        elif "token" in methods:
            user, origin = self._check_token(identity.get("token"))
        else:
            raise unauthorized(
                f"Attempted to authenticate with an unsupported method: "
                f"{', '.join(methods) or 'none'}."
            )
        return self._scoped(user, body.get("scope"), origin)

    def _check_password(self, block: Any) -> User:
        if not isinstance(block, Mapping) or not isinstance(block.get("user"), Mapping):
            raise bad_request(
                "Expecting to find user in password. The server could not comply "
                "with the request since it is either malformed or otherwise "
                "incorrect. The client is assumed to be in error."
            )
        spec = block["user"]
        password = _text(spec, "password", "identity/password/user/password")
        user = self._find_user(spec, "identity/password/user")
        if (
            user is None
            or password is None
            or not self._secret_ok(user.id, password, user.password_hash)
        ):
            raise unauthorized("The request you have made requires authentication.")
        if not user.enabled:
            raise unauthorized(f"The account is disabled for user: {user.id}.")
        return user

    def _check_token(self, block: Any) -> tuple[User, _Origin]:
        """The `token` method. Like keystone, the new token keeps the old one's expiry (a
        rescope cannot extend a token's life), adds 'token' to its methods, and gets its own
        audit id chained to the old one's, so revoking either leaves the other valid."""
        if not isinstance(block, Mapping):
            raise bad_request("Expecting to find token in identity.")
        token_id = _text(block, "id", "identity/token/id")
        if token_id is None:
            raise bad_request("Expecting to find id in token.")
        previous = self.authenticate(token_id)
        if previous.app_cred_id:
            raise forbidden("Application credential tokens cannot be rescoped.")
        origin = _Origin(
            methods=tuple(dict.fromkeys((*previous.methods, "token"))),
            expires_at=previous.expires_at,
            audit_chain_id=previous.audit_chain_id or previous.audit_id,
        )
        return self.user(previous.user_id), origin

    def _find_user(self, spec: Mapping[str, Any], where: str) -> User | None:
        user_id = _text(spec, "id", f"{where}/id")
        if user_id is not None:
            return self.users.get(user_id)
        name = _text(spec, "name", f"{where}/name")
        if name is None:
            raise bad_request(f"Expecting to find id or name in {where}.")
        domain = _mapping(spec, "domain", f"{where}/domain")
        domain_id = _domain_id(domain, f"{where}/domain") if domain else DEFAULT_DOMAIN_ID
        try:
            return self.user_by_name(name, domain_id)
        except ApiError:
            return None

    def _secret_ok(self, owner: str, secret: str, stored: str) -> bool:
        memo = (owner, stored, hashlib.sha256(secret.encode()).hexdigest())
        if memo in self._verified:
            return True
        if stored and _verify_hash(secret, stored):
            self._verified.add(memo)
            return True
        return False

    def _issue_app_cred(self, block: Any) -> Caller:
        cred = self._check_app_cred(block)
        user = self.users.get(cred.user_id)
        project = self.projects.get(cred.project_id)
        if user is None or not user.enabled:
            raise unauthorized(f"The account is disabled for user: {cred.user_id}.")
        if project is None or not project.enabled:
            raise unauthorized(f"Project {cred.project_id} is disabled.")
        # the token cannot outlive the credential that proved it
        origin = _Origin(("application_credential",), cred.expires_at, app_cred_id=cred.id)
        return self._mint(user, project, self._cred_roles(cred), origin)

    def _check_app_cred(self, block: Any) -> AppCredential:
        where = "identity/application_credential"
        if not isinstance(block, Mapping):
            raise bad_request("Expecting to find application_credential in identity.")
        secret = _text(block, "secret", f"{where}/secret")
        if secret is None:
            raise bad_request("Expecting to find secret in application_credential.")
        cred_id = _text(block, "id", f"{where}/id")
        cred = self.app_creds.get(cred_id) if cred_id else self._app_cred_by_name(block, where)
        if cred is None or not self._secret_ok(cred.id, secret, cred.secret_hash):
            raise unauthorized("The request you have made requires authentication.")
        if cred.expires_at is not None and cred.expires_at < self._now():
            raise unauthorized("The application credential has expired.")
        return cred

    def _app_cred_by_name(self, block: Mapping[str, Any], where: str) -> AppCredential | None:
        name = _text(block, "name", f"{where}/name")
        spec = _mapping(block, "user", f"{where}/user")
        if name is None or spec is None:
            raise bad_request("Expecting to find id, or name and user, in application_credential.")
        user = self._find_user(spec, f"{where}/user")
        if user is None:
            return None
        return next(
            (c for c in self.app_creds.values() if c.user_id == user.id and c.name == name), None
        )

    def _cred_roles(self, cred: AppCredential) -> tuple[str, ...]:
        names = [self.roles[r].name for r in cred.role_ids if r in self.roles]
        return tuple(dict.fromkeys(n for name in names for n in IMPLIED.get(name, (name,))))

    def _scoped(self, user: User, scope: Any, origin: _Origin) -> Caller:
        if scope is None:
            return self._default_scoped(user, origin)
        if isinstance(scope, str):  # keystoneauth's explicit `"scope": "unscoped"`
            return self._mint(user, None, (), origin)
        if not isinstance(scope, Mapping):
            raise _invalid("scope", scope, "object")
        if sum(target in scope for target in ("project", "domain", "system")) != 1:
            raise bad_request("Expecting to find exactly one of project, domain, system in scope.")
        if "project" in scope:
            return self._project_scoped(user, self._scope_project(scope["project"]), origin)
        if "domain" in scope:
            domain_id = self._scope_domain(scope["domain"])
            return self._mint(user, None, (), origin, domain_scope=domain_id)
        # the emulator grants no system roles; a system scope reads as the one domain
        return self._mint(user, None, (), origin, domain_scope=DEFAULT_DOMAIN_ID)

    def _default_scoped(self, user: User, origin: _Origin) -> Caller:
        """No scope asked: keystone scopes to the user's default project when it is enabled and
        grants a role there, and otherwise issues an unscoped token rather than a 401."""
        project = self.projects.get(user.default_project_id or "")
        roles = self.role_names(user.id, project.id) if project and project.enabled else ()
        if project is None or not roles:
            return self._mint(user, None, (), origin)
        return self._mint(user, project, roles, origin)

    def _project_scoped(self, user: User, project: Project, origin: _Origin) -> Caller:
        roles = self.role_names(user.id, project.id)
        if not roles:
            raise unauthorized(f"User {user.id} has no access to project {project.id}")
        if not project.enabled:
            raise unauthorized(f"Project {project.id} is disabled.")
        return self._mint(user, project, roles, origin)

    def _scope_project(self, spec: Any) -> Project:
        if not isinstance(spec, Mapping):
            raise bad_request("Expecting to find project in scope.")
        project_id = _text(spec, "id", "scope/project/id")
        if project_id is not None:
            project = self.projects.get(project_id)
        else:
            name = _text(spec, "name", "scope/project/name")
            if name is None:
                raise bad_request("Expecting to find id or name in project.")
            domain = _mapping(spec, "domain", "scope/project/domain")
            project = self._project_named(name, _domain_id(domain or {}, "scope/project/domain"))
        if project is None:
            raise unauthorized(f"Could not find project: {project_id or spec.get('name')}.")
        return project

    def _project_named(self, name: str, domain_id: str) -> Project | None:
        try:
            return self.project_by_name(name, domain_id)
        except ApiError:
            return None

    def _scope_domain(self, spec: Any) -> str:
        """The domain a token is scoped to; an unknown one is 401, as keystone answers."""
        if not isinstance(spec, Mapping):
            raise _invalid("scope/domain", spec, "object")
        if "id" not in spec and "name" not in spec:
            raise bad_request("Expecting to find id or name in domain.")
        domain_id = _domain_id(spec, "scope/domain")
        if domain_id != DEFAULT_DOMAIN_ID:
            raise unauthorized(f"Could not find domain: {domain_id}.")
        return domain_id

    def _mint(
        self,
        user: User,
        project: Project | None,
        roles: tuple[str, ...],
        origin: _Origin,
        domain_scope: str | None = None,
    ) -> Caller:
        issued = self._now()
        expires = issued + self.token_ttl
        if origin.expires_at is not None:
            expires = min(expires, origin.expires_at)
        payload = {
            "u": user.id,
            "p": project.id if project else None,
            "m": list(origin.methods),
            "i": round(issued, 3),
            "e": round(expires, 3),
            "a": secrets.token_urlsafe(16),  # every token has its own: revocation is by audit id
            "c": origin.app_cred_id,
            "d": domain_scope,
        }
        if origin.audit_chain_id:
            payload["ch"] = origin.audit_chain_id
        token = self._sign(payload)
        return self._caller(token, payload, user, project, roles)

    def _sign(self, payload: Mapping[str, Any]) -> str:
        raw = json.dumps(payload, separators=(",", ":")).encode()
        mac = hmac.new(self._key, raw, hashlib.sha256).digest()[:20]
        return TOKEN_PREFIX + _b64(raw) + "." + _b64(mac)

    def _caller(
        self,
        token: str,
        payload: Mapping[str, Any],
        user: User,
        project: Project | None,
        roles: tuple[str, ...],
    ) -> Caller:
        caller = Caller(
            token=token,
            user_id=user.id,
            user_name=user.name,
            project_id=project.id if project else None,
            project_name=project.name if project else None,
            roles=roles,
            methods=tuple(payload["m"]),
            issued_at=payload["i"],
            expires_at=payload["e"],
            audit_id=payload["a"],
            app_cred_id=payload["c"],
            domain_scope=payload["d"],
            audit_chain_id=payload.get("ch"),  # absent from tokens of older versions
        )
        self._token_cache[token] = caller
        return caller

    def authenticate(self, token: str | None) -> Caller:
        """Validate `X-Auth-Token`; 401 in keystone's format when missing, bad or expired."""
        if not token:
            raise unauthorized()
        caller = self._token_cache.get(token) or self._decode(token)
        if not self._still_valid(caller):
            self._token_cache.pop(token, None)
            raise unauthorized("The request you have made requires authentication.")
        return caller

    def _still_valid(self, caller: Caller) -> bool:
        """Checked on every use, cached or not (the cache only saves the signature check): a
        token dies with its expiry, its revocation, or its user, project or credential."""
        if caller.expires_at <= self._now() or caller.audit_id in self.revoked:
            return False
        user = self.users.get(caller.user_id)
        if user is None or not user.enabled:
            return False
        if caller.project_id is not None:
            project = self.projects.get(caller.project_id)
            if project is None or not project.enabled:
                return False
        return caller.app_cred_id is None or self._cred_usable(caller.app_cred_id)

    def _cred_usable(self, cred_id: str) -> bool:
        cred = self.app_creds.get(cred_id)
        return cred is not None and (cred.expires_at is None or cred.expires_at >= self._now())

    def _decode(self, token: str) -> Caller:
        try:
            raw_b64, mac_b64 = token.removeprefix(TOKEN_PREFIX).split(".")
            raw = _unb64(raw_b64)
            if not hmac.compare_digest(
                hmac.new(self._key, raw, hashlib.sha256).digest()[:20], _unb64(mac_b64)
            ):
                raise ValueError("bad signature")
            payload = json.loads(raw)
        except (ValueError, TypeError):
            raise unauthorized() from None
        user = self.users.get(payload["u"])
        project = self.projects.get(payload["p"]) if payload["p"] else None
        if user is None or (payload["p"] and project is None):
            raise unauthorized()
        if payload["c"]:
            cred = self.app_creds.get(payload["c"])
            if cred is None:
                raise unauthorized()
            roles = self._cred_roles(cred)
        else:
            roles = self.role_names(user.id, project.id) if project else ()
        return self._caller(token, payload, user, project, roles)

    def subject(self, token: str | None) -> Caller:
        """The `X-Subject-Token` of a validate/check/revoke: missing, bad, expired or revoked
        is 404 as in keystone (a 401 would tell the client its own token is bad)."""
        if not token:
            raise not_found("Could not find token: the X-Subject-Token header is missing.")
        try:
            return self.authenticate(token)
        except ApiError:
            raise not_found(f"Could not find token: {token[:12]}...") from None

    def revoke(self, caller: Caller, token: str | None) -> None:
        """Revoke one token by its own audit id: tokens rescoped from it (or it from) live on."""
        target = self.subject(token)
        if not caller.is_admin and caller.user_id != target.user_id:
            raise forbidden(
                "You are not authorized to perform the requested action: identity:revoke_token."
            )
        self.revoked.add(target.audit_id)
        self.store.put(
            "revoked",
            target.audit_id,
            {"audit_id": target.audit_id, "expires_at": target.expires_at},
        )
        self._token_cache.pop(target.token, None)


def require_admin(caller: Caller, action: str) -> None:
    if not caller.is_admin:
        raise forbidden(f"You are not authorized to perform the requested action: {action}.")


def require_policy_admin(caller: Caller, action: str) -> None:
    """An admin-only nova (or PowerVC compute) action, refused in nova's policy wording."""
    if not caller.is_admin:
        raise forbidden(f"Policy doesn't allow {action} to be performed.")


def require_writer(caller: Caller, action: str) -> None:
    if not caller.can_write:
        raise forbidden(f"Policy doesn't allow {action} to be performed.")


def _invalid(where: str, value: Any, expected: str) -> ApiError:
    """A 400 naming the field, worded like keystone's JSON-schema errors."""
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return bad_request(f"Invalid input for field '{where}': {shown} is not of type '{expected}'.")


def _text(block: Mapping[str, Any], key: str, where: str) -> str | None:
    """`block[key]` when it is a string, None when absent or null, else a 400 naming it."""
    value = block.get(key)
    if value is not None and not isinstance(value, str):
        raise _invalid(where, value, "string")
    return value


def _mapping(block: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    """`block[key]` when it is an object, None when absent or null, else a 400 naming it."""
    value = block.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise _invalid(where, value, "object")
    return value


def _methods(raw: list[Any]) -> tuple[str, ...]:
    for index, method in enumerate(raw):
        if not isinstance(method, str):
            raise _invalid(f"identity/methods/{index}", method, "string")
    return tuple(raw)


def _domain_id(domain: Mapping[str, Any], where: str) -> str:
    domain_id = _text(domain, "id", f"{where}/id")
    if domain_id is not None:
        return domain_id
    name = _text(domain, "name", f"{where}/name")
    # the one domain answers to its name in any case, as the SQL backend's collation does
    if name is None or name.lower() in ("default", DEFAULT_DOMAIN_ID):
        return DEFAULT_DOMAIN_ID
    return name


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse_time(text: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise bad_request(f"Invalid timestamp {text!r}: use ISO 8601.") from None
