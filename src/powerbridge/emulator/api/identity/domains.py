"""Keystone's domains and groups over HTTP: `/v3/domains`, `/v3/groups`, a group's members
(`/v3/groups/{group_id}/users/{user_id}`) and a user's groups. Writes are admin-only; a user
reads their own domain and groups, as keystone's default policy lets them."""

from __future__ import annotations

from powerbridge.emulator.api.identity.common import (
    Check,
    boolean,
    checked_fields,
    entity_of,
    filtered,
    links,
    name_of,
    self_or_admin,
    string_or_null,
    tags,
    text,
)
from powerbridge.emulator.api.identity.views import domain_view, group_view, user_view
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_admin
from powerbridge.emulator.errors import bad_request, forbidden

DOMAIN_FIELDS: dict[str, Check] = {
    "name": name_of(64),
    "description": text,
    "enabled": boolean,
    "tags": tags,
}
GROUP_FIELDS: dict[str, Check] = {
    "name": name_of(255),
    "description": text,
    "domain_id": string_or_null,
}
MEMBER = "/v3/groups/{group_id}/users/{user_id}"


# -- domains ----------------------------------------------------------------------------
def list_domains(call: Call) -> Reply:
    identity = call.emulator.identity
    if call.auth.is_admin:
        domains = list(identity.domains.values())
    else:  # keystone lets a user read the domains it holds roles on
        domains = identity.user_domains(call.auth.user_id)
    domains = filtered(call, domains, ("name", "enabled"))
    return Reply(
        {"domains": [domain_view(call, d) for d in domains], "links": links(call, "/domains")}
    )


def create_domain(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_domain")
    entity = entity_of(call, "domain")
    fields = checked_fields(entity, DOMAIN_FIELDS, create=True)
    explicit = entity.get("explicit_domain_id")
    if explicit is not None and not isinstance(explicit, str):
        raise bad_request("Invalid input for field 'explicit_domain_id': a string is required.")
    domain = call.emulator.identity.create_domain(fields, explicit)
    return Reply({"domain": domain_view(call, domain)}, status=201)


def show_domain(call: Call) -> Reply:
    identity = call.emulator.identity
    domain_id = call.params["domain_id"]
    user = identity.users.get(call.auth.user_id)
    if not call.auth.is_admin and (user is None or user.domain_id != domain_id):
        raise forbidden(
            "You are not authorized to perform the requested action: identity:get_domain."
        )
    return Reply({"domain": domain_view(call, identity.domain(domain_id))})


def update_domain(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_domain")
    fields = checked_fields(entity_of(call, "domain"), DOMAIN_FIELDS, create=False)
    domain = call.emulator.identity.update_domain(call.params["domain_id"], fields)
    return Reply({"domain": domain_view(call, domain)})


def delete_domain(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_domain")
    call.emulator.identity.delete_domain(call.params["domain_id"])
    return Reply(status=204)


# -- groups -----------------------------------------------------------------------------
def list_groups(call: Call) -> Reply:
    require_admin(call.auth, "identity:list_groups")
    groups = filtered(call, call.emulator.identity.groups.values(), ("name", "domain_id"))
    return Reply({"groups": [group_view(call, g) for g in groups], "links": links(call, "/groups")})


def create_group(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_group")
    fields = checked_fields(entity_of(call, "group"), GROUP_FIELDS, create=True)
    group = call.emulator.identity.create_group(fields)
    return Reply({"group": group_view(call, group)}, status=201)


def show_group(call: Call) -> Reply:
    require_admin(call.auth, "identity:get_group")
    return Reply({"group": group_view(call, call.emulator.identity.group(call.params["group_id"]))})


def update_group(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_group")
    fields = checked_fields(entity_of(call, "group"), GROUP_FIELDS, create=False)
    if "domain_id" in fields:  # keystone: a group cannot move between domains
        group = call.emulator.identity.group(call.params["group_id"])
        if fields["domain_id"] != group.domain_id:
            raise bad_request("Cannot change Domain ID")
    group = call.emulator.identity.update_group(call.params["group_id"], fields)
    return Reply({"group": group_view(call, group)})


def delete_group(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_group")
    call.emulator.identity.delete_group(call.params["group_id"])
    return Reply(status=204)


def list_members(call: Call) -> Reply:
    require_admin(call.auth, "identity:list_users_in_group")
    identity = call.emulator.identity
    group = identity.group(call.params["group_id"])
    users = filtered(call, [identity.users[u] for u in group.user_ids], ("name", "enabled"))
    return Reply(
        {
            "users": [user_view(call, u) for u in users],
            "links": links(call, f"/groups/{group.id}/users"),
        }
    )


def add_member(call: Call) -> Reply:
    require_admin(call.auth, "identity:add_user_to_group")
    call.emulator.identity.add_member(call.params["group_id"], call.params["user_id"])
    return Reply(status=204)


def check_member(call: Call) -> Reply:
    require_admin(call.auth, "identity:check_user_in_group")
    call.emulator.identity.check_member(call.params["group_id"], call.params["user_id"])
    return Reply(status=204)


def remove_member(call: Call) -> Reply:
    require_admin(call.auth, "identity:remove_user_from_group")
    call.emulator.identity.remove_member(call.params["group_id"], call.params["user_id"])
    return Reply(status=204)


def list_user_groups(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:list_groups_for_user")
    groups = filtered(call, call.emulator.identity.user_groups(user_id), ("name",))
    return Reply(
        {
            "groups": [group_view(call, g) for g in groups],
            "links": links(call, f"/users/{user_id}/groups"),
        }
    )
