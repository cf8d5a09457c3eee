"""Keystone's users (with a user's own password change and projects) and application
credentials over HTTP."""

from __future__ import annotations

from powerbridge.emulator.api.identity.common import (
    Check,
    boolean,
    checked_fields,
    entity_of,
    extras,
    filtered,
    links,
    name_of,
    self_or_admin,
    string_or_null,
    text,
)
from powerbridge.emulator.api.identity.views import (
    access_rule_view,
    app_cred_view,
    project_view,
    user_view,
)
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import DEFAULT_DOMAIN_ID, require_admin
from powerbridge.emulator.errors import bad_request

USER_FIELDS: dict[str, Check] = {
    "name": name_of(255),
    "password": string_or_null,
    "email": text,
    "enabled": boolean,
    "default_project_id": string_or_null,
    "description": text,
    "domain_id": string_or_null,
}


# -- users ------------------------------------------------------------------------------
def list_users(call: Call) -> Reply:
    require_admin(call.auth, "identity:list_users")
    users = filtered(call, call.emulator.identity.users.values(), ("name", "domain_id", "enabled"))
    return Reply({"users": [user_view(call, u) for u in users], "links": links(call, "/users")})


def create_user(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_user")
    entity = entity_of(call, "user")
    fields = checked_fields(entity, USER_FIELDS, create=True)
    user = call.emulator.identity.create_user(
        fields["name"],
        fields.get("password"),
        email=fields.get("email", ""),
        domain_id=fields.get("domain_id") or DEFAULT_DOMAIN_ID,
        enabled=fields.get("enabled", True),
        default_project_id=fields.get("default_project_id"),
        description=fields.get("description", ""),
        extra=extras(entity, USER_FIELDS),
    )
    return Reply({"user": user_view(call, user)}, status=201)


def show_user(call: Call) -> Reply:
    self_or_admin(call, call.params["user_id"], "identity:get_user")
    return Reply({"user": user_view(call, call.emulator.identity.user(call.params["user_id"]))})


def update_user(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_user")
    entity = entity_of(call, "user")
    changes = checked_fields(entity, USER_FIELDS, create=False)
    changes["extra"] = extras(entity, USER_FIELDS)
    user = call.emulator.identity.user(call.params["user_id"])
    if changes.get("domain_id", user.domain_id) != user.domain_id:
        raise bad_request("Cannot change Domain ID")
    user = call.emulator.identity.update_user(call.params["user_id"], changes)
    return Reply({"user": user_view(call, user)})


def delete_user(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_user")
    call.emulator.identity.delete_user(call.params["user_id"])
    return Reply(status=204)


def change_password(call: Call) -> Reply:
    """`POST /v3/users/{user_id}/password`: keystone enforces no policy here (the original
    password is the proof), so it needs no token."""
    entity = entity_of(call, "user")
    for key in ("original_password", "password"):
        if not isinstance(entity.get(key), str):
            raise bad_request(f"Invalid input for field '{key}': a string is required.")
    identity = call.emulator.identity
    identity.change_password(
        call.params["user_id"], entity["original_password"], entity["password"]
    )
    return Reply(status=204)


def list_user_projects(call: Call) -> Reply:
    self_or_admin(call, call.params["user_id"], "identity:list_user_projects")
    identity = call.emulator.identity
    identity.user(call.params["user_id"])
    projects = identity.user_projects(call.params["user_id"])
    projects = filtered(call, projects, ("name", "domain_id", "enabled"))
    return Reply(
        {
            "projects": [project_view(call, p) for p in projects],
            "links": links(call, f"/users/{call.params['user_id']}/projects"),
        }
    )


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


# -- access rules -----------------------------------------------------------------------
ACCESS_RULES = "/v3/users/{user_id}/access_rules"


def list_access_rules(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:list_access_rules")
    rules = call.emulator.identity.rules_of(user_id)
    for key in ("service", "path", "method"):
        wanted = call.query.get(key)
        if wanted is not None:
            rules = [r for r in rules if getattr(r, key) == wanted]
    return Reply(
        {
            "access_rules": [access_rule_view(r, call) for r in rules],
            "links": links(call, f"/users/{user_id}/access_rules"),
        }
    )


def show_access_rule(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:get_access_rule")
    rule = call.emulator.identity.access_rule(user_id, call.params["access_rule_id"])
    return Reply({"access_rule": access_rule_view(rule, call)})


def delete_access_rule(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:delete_access_rule")
    call.emulator.identity.delete_access_rule(user_id, call.params["access_rule_id"])
    return Reply(status=204)
