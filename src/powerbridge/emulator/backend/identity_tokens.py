"""Keystone authentication: password, token and application-credential methods, scopes, and
token validation and revocation.

Tokens are signed, not stored: the id carries the scope and expiry, and an HMAC with a key kept
in the data store proves it, so tokens survive restarts and validating one needs no lookup
beyond the revocation set. A successful secret check is remembered in memory (keyed by a digest
of the secret) so repeated logins do not pay the hash again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from powerbridge.emulator.backend.identity_admin_records import implied_closure
from powerbridge.emulator.backend.identity_records import (
    DEFAULT_DOMAIN_ID,
    AppCredential,
    Caller,
    IdentityDirectory,
    Project,
    User,
    invalid_field,
    mapping_field,
    text_field,
    unauthorized,
    verify_hash,
)
from powerbridge.emulator.errors import ApiError, bad_request, forbidden, not_found
from powerbridge.emulator.store import Store

TOKEN_PREFIX = "gAAAAA"


@dataclass(frozen=True)
class _Origin:
    """What a new token inherits: its methods, and from a token it rescopes, the expiry and
    audit chain (so rescoping can neither extend a token's life nor share its revocation)."""

    methods: tuple[str, ...]
    expires_at: float | None = None  # None: issued_at + token_ttl
    audit_chain_id: str | None = None
    app_cred_id: str | None = None


class TokenAuthority(IdentityDirectory):
    """Issues and checks tokens over the directory's records."""

    def __init__(
        self, store: Store, token_ttl: float, now: Callable[[], float] | None = None
    ) -> None:
        super().__init__(store, now)
        self.token_ttl = token_ttl
        # seconds of `now` a token issued now lives at most (token behaviours); None: no cap
        self.lifetime_cap: Callable[[], float | None] = lambda: None
        self.revoked: set[str] = set()
        self._verified: set[tuple[str, str, str]] = set()
        self._token_cache: dict[str, Caller] = {}
        # user id -> tokens issued before this time are revoked (a password change)
        self.revoked_before: dict[str, float] = {
            body["id"]: body["before"] for body in store.load("user_revocation")
        }
        key = store.get_meta("token_key")
        if key is None:
            key = secrets.token_hex(32)
            store.set_meta("token_key", key)
        self._key = bytes.fromhex(key)

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
        password = text_field(spec, "password", "identity/password/user/password")
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
        token_id = text_field(block, "id", "identity/token/id")
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
        user_id = text_field(spec, "id", f"{where}/id")
        if user_id is not None:
            return self.users.get(user_id)
        name = text_field(spec, "name", f"{where}/name")
        if name is None:
            raise bad_request(f"Expecting to find id or name in {where}.")
        domain = mapping_field(spec, "domain", f"{where}/domain")
        domain_id = self.domain_id_named(domain, f"{where}/domain") if domain else DEFAULT_DOMAIN_ID
        try:
            return self.user_by_name(name, domain_id)
        except ApiError:
            return None

    def _secret_ok(self, owner: str, secret: str, stored: str) -> bool:
        memo = (owner, stored, hashlib.sha256(secret.encode()).hexdigest())
        if memo in self._verified:
            return True
        if stored and verify_hash(secret, stored):
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
        secret = text_field(block, "secret", f"{where}/secret")
        if secret is None:
            raise bad_request("Expecting to find secret in application_credential.")
        cred_id = text_field(block, "id", f"{where}/id")
        cred = self.app_creds.get(cred_id) if cred_id else self._app_cred_by_name(block, where)
        if cred is None or not self._secret_ok(cred.id, secret, cred.secret_hash):
            raise unauthorized("The request you have made requires authentication.")
        if cred.expires_at is not None and cred.expires_at < self._now():
            raise unauthorized("The application credential has expired.")
        return cred

    def _app_cred_by_name(self, block: Mapping[str, Any], where: str) -> AppCredential | None:
        name = text_field(block, "name", f"{where}/name")
        spec = mapping_field(block, "user", f"{where}/user")
        if name is None or spec is None:
            raise bad_request("Expecting to find id, or name and user, in application_credential.")
        user = self._find_user(spec, f"{where}/user")
        if user is None:
            return None
        return next(
            (c for c in self.app_creds.values() if c.user_id == user.id and c.name == name), None
        )

    def _cred_roles(self, cred: AppCredential) -> tuple[str, ...]:
        return self.token_role_names(implied_closure(cred.role_ids, self.inferences.values()))

    def _scoped(self, user: User, scope: Any, origin: _Origin) -> Caller:
        if scope is None:
            return self._default_scoped(user, origin)
        if isinstance(scope, str):  # keystoneauth's explicit `"scope": "unscoped"`
            return self._mint(user, None, (), origin)
        if not isinstance(scope, Mapping):
            raise invalid_field("scope", scope, "object")
        if sum(target in scope for target in ("project", "domain", "system")) != 1:
            raise bad_request("Expecting to find exactly one of project, domain, system in scope.")
        if "project" in scope:
            return self._project_scoped(user, self._scope_project(scope["project"]), origin)
        if "domain" in scope:
            domain_id = self._scope_domain(scope["domain"])
            roles = self.token_role_names(self.held_role_ids(user.id, ("domain", domain_id)))
            if not roles:
                raise unauthorized(f"User {user.id} has no access to domain {domain_id}")
            return self._mint(user, None, roles, origin, domain_scope=domain_id)
        roles = self.token_role_names(self.held_role_ids(user.id, ("system", "all")))
        if not roles:
            raise unauthorized(f"User {user.id} has no access to the system")
        return self._mint(user, None, roles, origin, system=True)

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
        project_id = text_field(spec, "id", "scope/project/id")
        if project_id is not None:
            project = self.projects.get(project_id)
        else:
            name = text_field(spec, "name", "scope/project/name")
            if name is None:
                raise bad_request("Expecting to find id or name in project.")
            domain = mapping_field(spec, "domain", "scope/project/domain")
            project = self._project_named(
                name, self.domain_id_named(domain or {}, "scope/project/domain")
            )
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
            raise invalid_field("scope/domain", spec, "object")
        if "id" not in spec and "name" not in spec:
            raise bad_request("Expecting to find id or name in domain.")
        domain_id = self.domain_id_named(spec, "scope/domain")
        domain = self.domains.get(domain_id)
        if domain is None:
            raise unauthorized(f"Could not find domain: {domain_id}.")
        if not domain.enabled:
            raise unauthorized(f"Domain {domain_id} is disabled.")
        return domain_id

    def _mint(
        self,
        user: User,
        project: Project | None,
        roles: tuple[str, ...],
        origin: _Origin,
        domain_scope: str | None = None,
        system: bool = False,
    ) -> Caller:
        issued = self._now()
        expires = issued + self.token_ttl
        cap = self.lifetime_cap()
        if cap is not None:
            expires = min(expires, issued + cap)
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
        if system:
            payload["s"] = True
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
            system_scope=bool(payload.get("s")),
            user_domain_id=user.domain_id,
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
        if caller.issued_at < self.revoked_before.get(caller.user_id, 0.0):
            return False
        user = self.users.get(caller.user_id)
        if user is None or not user.enabled or not self._domain_enabled(user.domain_id):
            return False
        if caller.project_id is not None:
            project = self.projects.get(caller.project_id)
            if project is None or not project.enabled:
                return False
            if not self._domain_enabled(project.domain_id):
                return False
        if caller.domain_scope is not None and not self._domain_enabled(caller.domain_scope):
            return False
        return caller.app_cred_id is None or self._cred_usable(caller.app_cred_id)

    def _domain_enabled(self, domain_id: str) -> bool:
        domain = self.domains.get(domain_id)
        return domain is not None and domain.enabled

    def revoke_user_tokens(self, user_id: str) -> None:
        before = round(self._now(), 3)
        self.revoked_before[user_id] = before
        self.store.put("user_revocation", user_id, {"id": user_id, "before": before})
        self._token_cache.clear()

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
        elif project is not None:
            roles = self.role_names(user.id, project.id)
        else:
            roles = self._unprojected_roles(user.id, payload)
        return self._caller(token, payload, user, project, roles)

    def _unprojected_roles(self, user_id: str, payload: Mapping[str, Any]) -> tuple[str, ...]:
        if payload.get("s"):
            return self.token_role_names(self.held_role_ids(user_id, ("system", "all")))
        if payload["d"]:
            return self.token_role_names(self.held_role_ids(user_id, ("domain", payload["d"])))
        return ()

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


def _methods(raw: list[Any]) -> tuple[str, ...]:
    for index, method in enumerate(raw):
        if not isinstance(method, str):
            raise invalid_field(f"identity/methods/{index}", method, "string")
    return tuple(raw)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
