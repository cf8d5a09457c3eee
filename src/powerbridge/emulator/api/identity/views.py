"""Wire shapes of keystone's projects, users, roles, domains, groups, credentials, policies and
application credentials."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from powerbridge.emulator.api.identity.common import v3_url
from powerbridge.emulator.api.routing import Call
from powerbridge.emulator.backend.identity_admin_records import (
    AccessRule,
    Credential,
    Domain,
    Group,
    Policy,
)
from powerbridge.emulator.backend.identity_records import (
    AppCredential,
    Project,
    Role,
    User,
)


def naive_iso(ts: float) -> str:
    """A time as keystone's SQL rows serialize it: naive UTC, microseconds only when set."""
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None).isoformat()


def project_view(call: Call, project: Project) -> dict[str, Any]:
    return {
        **project.extra,
        "id": project.id,
        "name": project.name,
        "domain_id": project.domain_id,
        "description": project.description,
        "enabled": project.enabled,
        "parent_id": project.parent_id or project.domain_id,
        "is_domain": False,
        "tags": list(project.tags),
        "options": {},
        "links": {"self": f"{v3_url(call)}/projects/{project.id}"},
    }


def user_view(call: Call, user: User) -> dict[str, Any]:
    body: dict[str, Any] = {
        **user.extra,
        "id": user.id,
        "name": user.name,
        "domain_id": user.domain_id,
        "enabled": user.enabled,
        "password_expires_at": None,
        "options": {},
        "links": {"self": f"{v3_url(call)}/users/{user.id}"},
    }
    if user.email:
        body["email"] = user.email
    if user.description:
        body["description"] = user.description
    if user.default_project_id:
        body["default_project_id"] = user.default_project_id
    return body


def role_view(call: Call, role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "domain_id": role.domain_id,
        "description": role.description or None,
        "options": {},
        "links": {"self": f"{v3_url(call)}/roles/{role.id}"},
    }


def domain_view(call: Call, domain: Domain) -> dict[str, Any]:
    return {
        "id": domain.id,
        "name": domain.name,
        "enabled": domain.enabled,
        "description": domain.description,
        "tags": list(domain.tags),
        "options": {},
        "links": {"self": f"{v3_url(call)}/domains/{domain.id}"},
    }


def group_view(call: Call, group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "domain_id": group.domain_id,
        "description": group.description,
        "links": {"self": f"{v3_url(call)}/groups/{group.id}"},
    }


def credential_view(call: Call, credential: Credential) -> dict[str, Any]:
    return {
        "id": credential.id,
        "user_id": credential.user_id,
        "project_id": credential.project_id,
        "type": credential.type,
        "blob": credential.blob,
        "links": {"self": f"{v3_url(call)}/credentials/{credential.id}"},
    }


def policy_view(call: Call, policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "blob": policy.blob,
        "type": policy.type,
        "links": {"self": f"{v3_url(call)}/policies/{policy.id}"},
    }


def access_rule_view(rule: AccessRule, call: Call | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": rule.id,
        "service": rule.service,
        "path": rule.path,
        "method": rule.method,
    }
    if call is not None:  # the access-rule API links each; a credential's list does not
        body["links"] = {"self": f"{v3_url(call)}/users/{rule.user_id}/access_rules/{rule.id}"}
    return body


def app_cred_view(call: Call, cred: AppCredential, secret: str | None = None) -> dict[str, Any]:
    identity = call.emulator.identity
    body: dict[str, Any] = {
        "id": cred.id,
        "name": cred.name,
        "description": cred.description or None,
        "user_id": cred.user_id,
        "project_id": cred.project_id,
        "roles": [
            {"id": r, "name": identity.roles[r].name, "domain_id": None}
            for r in cred.role_ids
            if r in identity.roles
        ],
        "expires_at": naive_iso(cred.expires_at) if cred.expires_at else None,
        "unrestricted": cred.unrestricted,
        "access_rules": [
            access_rule_view(identity.access_rules[r])
            for r in cred.access_rule_ids
            if r in identity.access_rules
        ],
        "links": {"self": f"{v3_url(call)}/users/{cred.user_id}/application_credentials/{cred.id}"},
    }
    if secret is not None:
        body["secret"] = secret
    return body
