"""Keystone discovery and tokens: version documents, issue, validate and revoke, and the
`/v3/auth/*` views of the token's scope and catalog."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.identity.catalog import token_catalog
from powerbridge.emulator.api.identity.common import domain_ref, iso, links, v3_url
from powerbridge.emulator.api.identity.views import domain_view, project_view
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import DEFAULT_DOMAIN_ID, Caller
from powerbridge.emulator.errors import forbidden

VERSION_ID = "v3.14"
VERSION_UPDATED = "2020-04-07T00:00:00Z"


# -- discovery --------------------------------------------------------------------------
def _version_doc(call: Call) -> dict[str, Any]:
    return {
        "id": VERSION_ID,
        "status": "stable",
        "updated": VERSION_UPDATED,
        "links": [{"rel": "self", "href": v3_url(call) + "/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


def versions(call: Call) -> Reply:
    return Reply({"versions": {"values": [_version_doc(call)]}}, status=300)


def version_v3(call: Call) -> Reply:
    return Reply({"version": _version_doc(call)})


# -- tokens -----------------------------------------------------------------------------
def token_body(call: Call, caller: Caller, *, with_catalog: bool) -> dict[str, Any]:
    identity = call.emulator.identity
    token: dict[str, Any] = {
        "methods": list(caller.methods),
        "user": {
            "domain": domain_ref(call, caller.user_domain_id),
            "id": caller.user_id,
            "name": caller.user_name,
            "password_expires_at": None,
        },
        "audit_ids": list(caller.audit_ids),
        "expires_at": iso(caller.expires_at),
        "issued_at": iso(caller.issued_at),
    }
    if caller.project_id:
        project = identity.projects.get(caller.project_id)
        token["project"] = {
            "domain": domain_ref(call, project.domain_id if project else DEFAULT_DOMAIN_ID),
            "id": caller.project_id,
            "name": caller.project_name,
        }
        token["is_domain"] = False
    elif caller.domain_scope:
        token["domain"] = domain_ref(call, caller.domain_scope)
    elif caller.system_scope:
        token["system"] = {"all": True}
    if caller.project_id or caller.domain_scope or caller.system_scope:
        token["roles"] = [
            {"id": identity.role_by_name(n).id, "name": n}
            for n in caller.roles
            if _known_role(call, n)
        ]
    if caller.app_cred_id:
        cred = identity.app_creds[caller.app_cred_id]
        token["application_credential"] = {
            "id": cred.id,
            "name": cred.name,
            "restricted": not cred.unrestricted,
        }
    if with_catalog and caller.project_id:
        token["catalog"] = token_catalog(call, caller)
    return {"token": token}


def _known_role(call: Call, name: str) -> bool:
    return any(r.name == name for r in call.emulator.identity.roles.values())


def issue_token(call: Call) -> Reply:
    caller = call.emulator.identity.issue(call.body)
    body = token_body(call, caller, with_catalog="nocatalog" not in call.query)
    return Reply(body, status=201, headers={"x-subject-token": caller.token})


def validate_token(call: Call) -> Reply:
    subject = _subject(call)
    body = token_body(call, subject, with_catalog="nocatalog" not in call.query)
    return Reply(body, headers={"x-subject-token": subject.token})


def revoke_token(call: Call) -> Reply:
    call.emulator.identity.revoke(call.auth, call.request.headers.get("x-subject-token"))
    return Reply(status=204)


def _subject(call: Call) -> Caller:
    subject = call.emulator.identity.subject(call.request.headers.get("x-subject-token"))
    if not call.auth.is_admin and subject.user_id != call.auth.user_id:
        raise forbidden(
            "You are not authorized to perform the requested action: identity:validate_token."
        )
    return subject


def auth_catalog(call: Call) -> Reply:
    if not call.auth.project_id:
        raise forbidden("The authenticated token is not scoped to a project: no catalog.")
    return Reply({"catalog": token_catalog(call, call.auth), "links": links(call, "/auth/catalog")})


def auth_projects(call: Call) -> Reply:
    projects = call.emulator.identity.user_projects(call.auth.user_id)
    return Reply(
        {
            "projects": [project_view(call, p) for p in projects],
            "links": links(call, "/auth/projects"),
        }
    )


def auth_domains(call: Call) -> Reply:
    domains = call.emulator.identity.user_domains(call.auth.user_id)
    return Reply(
        {
            "domains": [domain_view(call, d) for d in domains if d.enabled],
            "links": links(call, "/auth/domains"),
        }
    )


def auth_system(call: Call) -> Reply:
    """`GET /v3/auth/system`: the system, when the user holds a role on it."""
    identity = call.emulator.identity
    held = identity.held_role_ids(call.auth.user_id, ("system", "all"))
    return Reply({"system": [{"all": True}] if held else [], "links": links(call, "/auth/system")})
