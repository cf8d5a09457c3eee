"""Keystone's domains, projects, users, roles, grants, role assignments and application
credentials over HTTP."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.identity.common import (
    Check,
    boolean,
    checked_fields,
    domain_ref,
    entity_of,
    links,
    name_of,
    query_flag,
    self_or_admin,
    string_or_null,
    tags,
    text,
    v3_url,
)
from powerbridge.emulator.api.identity.views import (
    app_cred_view,
    domain_view,
    project_view,
    role_view,
    user_view,
)
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import DEFAULT_DOMAIN_ID, require_admin
from powerbridge.emulator.errors import forbidden, not_found

PROJECT_FIELDS: dict[str, Check] = {
    "name": name_of(64),
    "description": text,
    "enabled": boolean,
    "tags": tags,
}
USER_FIELDS: dict[str, Check] = {
    "name": name_of(255),
    "password": string_or_null,
    "email": text,
    "enabled": boolean,
    "default_project_id": string_or_null,
    "description": text,
}
ROLE_FIELDS: dict[str, Check] = {"name": name_of(255), "description": text}


# -- domains ----------------------------------------------------------------------------
def list_domains(call: Call) -> Reply:
    return Reply({"domains": [domain_view(call)], "links": links(call, "/domains")})


def show_domain(call: Call) -> Reply:
    if call.params["domain_id"] != DEFAULT_DOMAIN_ID:
        raise not_found(f"Could not find domain: {call.params['domain_id']}.")
    return Reply({"domain": domain_view(call)})


# -- projects ---------------------------------------------------------------------------
def list_projects(call: Call) -> Reply:
    identity = call.emulator.identity
    if call.auth.is_admin:
        projects = list(identity.projects.values())
    else:
        projects = identity.user_projects(call.auth.user_id)
    name = call.query.get("name")
    if name is not None:
        projects = [p for p in projects if p.name == name]
    return Reply(
        {"projects": [project_view(call, p) for p in projects], "links": links(call, "/projects")}
    )


def create_project(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_project")
    fields = checked_fields(entity_of(call, "project"), PROJECT_FIELDS, create=True)
    project = call.emulator.identity.create_project(
        fields["name"],
        description=fields.get("description", ""),
        enabled=fields.get("enabled", True),
        tags=fields.get("tags", []),
    )
    return Reply({"project": project_view(call, project)}, status=201)


def show_project(call: Call) -> Reply:
    project = call.emulator.identity.project(call.params["project_id"])
    if not call.auth.is_admin and project.id != call.auth.project_id:
        raise forbidden(
            "You are not authorized to perform the requested action: identity:get_project."
        )
    return Reply({"project": project_view(call, project)})


def update_project(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_project")
    changes = checked_fields(entity_of(call, "project"), PROJECT_FIELDS, create=False)
    project = call.emulator.identity.update_project(call.params["project_id"], changes)
    return Reply({"project": project_view(call, project)})


def delete_project(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_project")
    call.emulator.identity.delete_project(call.params["project_id"])
    return Reply(status=204)


# -- users ------------------------------------------------------------------------------
def list_users(call: Call) -> Reply:
    require_admin(call.auth, "identity:list_users")
    users = list(call.emulator.identity.users.values())
    name = call.query.get("name")
    if name is not None:
        users = [u for u in users if u.name == name]
    return Reply({"users": [user_view(call, u) for u in users], "links": links(call, "/users")})


def create_user(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_user")
    fields = checked_fields(entity_of(call, "user"), USER_FIELDS, create=True)
    user = call.emulator.identity.create_user(
        fields["name"],
        fields.get("password"),
        email=fields.get("email", ""),
        enabled=fields.get("enabled", True),
        default_project_id=fields.get("default_project_id"),
        description=fields.get("description", ""),
    )
    return Reply({"user": user_view(call, user)}, status=201)


def show_user(call: Call) -> Reply:
    self_or_admin(call, call.params["user_id"], "identity:get_user")
    return Reply({"user": user_view(call, call.emulator.identity.user(call.params["user_id"]))})


def update_user(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_user")
    changes = checked_fields(entity_of(call, "user"), USER_FIELDS, create=False)
    user = call.emulator.identity.update_user(call.params["user_id"], changes)
    return Reply({"user": user_view(call, user)})


def delete_user(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_user")
    call.emulator.identity.delete_user(call.params["user_id"])
    return Reply(status=204)


def list_user_projects(call: Call) -> Reply:
    self_or_admin(call, call.params["user_id"], "identity:list_user_projects")
    projects = call.emulator.identity.user_projects(call.params["user_id"])
    return Reply(
        {
            "projects": [project_view(call, p) for p in projects],
            "links": links(call, f"/users/{call.params['user_id']}/projects"),
        }
    )


# -- roles and grants -------------------------------------------------------------------
def list_roles(call: Call) -> Reply:
    roles = list(call.emulator.identity.roles.values())
    name = call.query.get("name")
    if name is not None:
        roles = [r for r in roles if r.name == name]
    return Reply({"roles": [role_view(call, r) for r in roles], "links": links(call, "/roles")})


def create_role(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_role")
    fields = checked_fields(entity_of(call, "role"), ROLE_FIELDS, create=True)
    role = call.emulator.identity.create_role(fields["name"])
    return Reply({"role": role_view(call, role)}, status=201)


def show_role(call: Call) -> Reply:
    return Reply({"role": role_view(call, call.emulator.identity.role(call.params["role_id"]))})


def delete_role(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_role")
    call.emulator.identity.delete_role(call.params["role_id"])
    return Reply(status=204)


GRANT = "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"


def grant_role(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_grant")
    p = call.params
    call.emulator.identity.grant(p["user_id"], p["project_id"], p["role_id"])
    return Reply(status=204)


def check_grant(call: Call) -> Reply:
    p = call.params
    if not call.emulator.identity.has_grant(p["user_id"], p["project_id"], p["role_id"]):
        raise not_found(f"Could not find role assignment with role: {p['role_id']}.")
    return Reply(status=204)


def revoke_grant(call: Call) -> Reply:
    require_admin(call.auth, "identity:revoke_grant")
    p = call.params
    call.emulator.identity.revoke_grant(p["user_id"], p["project_id"], p["role_id"])
    return Reply(status=204)


def list_grants(call: Call) -> Reply:
    identity = call.emulator.identity
    p = call.params
    self_or_admin(call, p["user_id"], "identity:list_grants")
    roles = [
        identity.roles[a.role_id]
        for a in identity.assignments.values()
        if a.user_id == p["user_id"]
        and a.project_id == p["project_id"]
        and a.role_id in identity.roles
    ]
    return Reply(
        {
            "roles": [role_view(call, r) for r in roles],
            "links": links(call, f"/projects/{p['project_id']}/users/{p['user_id']}/roles"),
        }
    )


def list_role_assignments(call: Call) -> Reply:
    identity = call.emulator.identity
    query = call.query
    user_id = query.get("user.id")
    project_id = query.get("scope.project.id")
    if not call.auth.is_admin and user_id != call.auth.user_id:
        raise forbidden(
            "You are not authorized to perform the requested action: "
            "identity:list_role_assignments."
        )
    include_names = query_flag(call, "include_names")
    rows = []
    for a in identity.assignments.values():
        if (user_id and a.user_id != user_id) or (project_id and a.project_id != project_id):
            continue
        role = identity.roles.get(a.role_id)
        if role is None:
            continue
        row: dict[str, Any] = {
            "role": {"id": role.id},
            "user": {"id": a.user_id},
            "scope": {"project": {"id": a.project_id}},
            "links": {
                "assignment": f"{v3_url(call)}/projects/{a.project_id}/users/{a.user_id}"
                f"/roles/{role.id}"
            },
        }
        if include_names:
            row["role"]["name"] = role.name
            user = identity.users.get(a.user_id)
            project = identity.projects.get(a.project_id)
            row["user"].update({"name": user.name if user else None, "domain": domain_ref()})
            row["scope"]["project"].update(
                {"name": project.name if project else None, "domain": domain_ref()}
            )
        rows.append(row)
    return Reply({"role_assignments": rows, "links": links(call, "/role_assignments")})


# -- application credentials ------------------------------------------------------------
APP_CREDS = "/v3/users/{user_id}/application_credentials"


def list_app_creds(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:list_application_credentials")
    creds = [c for c in call.emulator.identity.app_creds.values() if c.user_id == user_id]
    name = call.query.get("name")
    if name is not None:
        creds = [c for c in creds if c.name == name]
    return Reply(
        {
            "application_credentials": [app_cred_view(call, c) for c in creds],
            "links": links(call, f"/users/{user_id}/application_credentials"),
        }
    )


def create_app_cred(call: Call) -> Reply:
    entity = entity_of(call, "application_credential")
    cred, secret = call.emulator.identity.create_app_cred(call.auth, call.params["user_id"], entity)
    return Reply({"application_credential": app_cred_view(call, cred, secret)}, status=201)


def show_app_cred(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:get_application_credential")
    cred = call.emulator.identity.app_cred(user_id, call.params["cred_id"])
    return Reply({"application_credential": app_cred_view(call, cred)})


def delete_app_cred(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:delete_application_credential")
    call.emulator.identity.refuse_restricted(call.auth)
    call.emulator.identity.delete_app_cred(user_id, call.params["cred_id"])
    return Reply(status=204)
