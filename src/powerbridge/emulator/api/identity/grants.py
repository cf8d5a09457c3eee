"""Keystone's grants over HTTP: a role for a user or a group on a project, a domain or the
system (`PUT`, `HEAD`/`GET`, `DELETE .../roles/{role_id}`, `GET .../roles`), OS-INHERIT's
grants inherited to the projects below a domain or a project, and `GET /v3/role_assignments`.

One handler set per (actor, target, inherited) shape, built by `grant_routes`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from powerbridge.emulator.api.identity.common import (
    domain_ref,
    links,
    query_flag,
    self_or_admin,
    v3_url,
)
from powerbridge.emulator.api.identity.views import role_view
from powerbridge.emulator.api.routing import Call, Endpoint, Reply
from powerbridge.emulator.backend.identity_grants import (
    Actor,
    AssignmentFilter,
    AssignmentRow,
    Target,
)
from powerbridge.emulator.backend.identity_records import require_admin
from powerbridge.emulator.errors import forbidden

Handler = Callable[[Call], Reply]
TARGETS = {"project": "/v3/projects/{project_id}", "domain": "/v3/domains/{domain_id}"}
INHERIT = "/inherited_to_projects"


def _actor(call: Call, kind: str) -> Actor:
    return (kind, call.params[f"{kind}_id"])


def _target(call: Call, kind: str) -> Target:
    return ("system", "all") if kind == "system" else (kind, call.params[f"{kind}_id"])


def _action(verb: str, target_kind: str, actor_kind: str) -> str:
    """Keystone's policy names: identity:create_grant, ...; the system's are their own."""
    if target_kind == "system":
        return f"identity:{verb}_system_grant_for_{actor_kind}"
    return f"identity:{verb}_grant" if verb != "list" else "identity:list_grants"


def _handlers(actor_kind: str, target_kind: str, inherited: bool) -> dict[str, Handler]:
    def grant(call: Call) -> Reply:
        require_admin(call.auth, _action("create", target_kind, actor_kind))
        identity = call.emulator.identity
        actor, target = _actor(call, actor_kind), _target(call, target_kind)
        identity.grant_role(actor, target, call.params["role_id"], inherited)
        return Reply(status=204)

    def check(call: Call) -> Reply:
        _may_read(call, actor_kind, _action("check", target_kind, actor_kind))
        actor, target = _actor(call, actor_kind), _target(call, target_kind)
        call.emulator.identity.require_grant(actor, target, call.params["role_id"], inherited)
        return Reply(status=204)

    def revoke(call: Call) -> Reply:
        require_admin(call.auth, _action("revoke", target_kind, actor_kind))
        actor, target = _actor(call, actor_kind), _target(call, target_kind)
        call.emulator.identity.revoke_role(actor, target, call.params["role_id"], inherited)
        return Reply(status=204)

    def listed(call: Call) -> Reply:
        _may_read(call, actor_kind, _action("list", target_kind, actor_kind))
        identity = call.emulator.identity
        actor, target = _actor(call, actor_kind), _target(call, target_kind)
        identity.check_actor(actor)
        identity.check_target(target)
        roles = [identity.roles[r] for r in identity.roles_granted(actor, target, inherited)]
        path = call.request.url.path.split("/v3", 1)[-1]
        return Reply({"roles": [role_view(call, r) for r in roles], "links": links(call, path)})

    return {"grant": grant, "check": check, "revoke": revoke, "list": listed}


def _may_read(call: Call, actor_kind: str, action: str) -> None:
    if actor_kind == "user":
        self_or_admin(call, call.params["user_id"], action)
    else:
        require_admin(call.auth, action)


def _base(actor_kind: str, target_kind: str, inherited: bool) -> str:
    target = "/v3/system" if target_kind == "system" else TARGETS[target_kind]
    prefix = target.replace("/v3/", "/v3/OS-INHERIT/") if inherited else target
    return f"{prefix}/{actor_kind}s/{{{actor_kind}_id}}/roles"


def grant_routes() -> list[Endpoint]:
    """Every grant route keystone serves (the inherited list exists only under domains)."""
    routes: list[Endpoint] = []
    shapes = [(a, t, False) for t in ("project", "domain", "system") for a in ("user", "group")]
    shapes += [(a, t, True) for t in ("domain", "project") for a in ("user", "group")]
    for actor_kind, target_kind, inherited in shapes:
        handlers = _handlers(actor_kind, target_kind, inherited)
        base = _base(actor_kind, target_kind, inherited)
        one = f"{base}/{{role_id}}" + (INHERIT if inherited else "")
        routes += [
            Endpoint("PUT", one, handlers["grant"]),
            Endpoint("GET", one, handlers["check"]),
            Endpoint("DELETE", one, handlers["revoke"]),
        ]
        if not inherited or target_kind == "domain":
            routes.append(Endpoint("GET", base + (INHERIT if inherited else ""), handlers["list"]))
    return routes


# -- GET /v3/role_assignments -----------------------------------------------------------
def list_role_assignments(call: Call) -> Reply:
    query = _assignment_filter(call)
    if not call.auth.is_admin and query.user_id != call.auth.user_id:
        raise forbidden(
            "You are not authorized to perform the requested action: "
            "identity:list_role_assignments."
        )
    rows = call.emulator.identity.list_assignments(query)
    names = query_flag(call, "include_names")
    return Reply(
        {
            "role_assignments": [_row_view(call, row, names) for row in rows],
            "links": links(call, "/role_assignments"),
        }
    )


def _assignment_filter(call: Call) -> AssignmentFilter:
    query = call.query
    inherited_to = query.get("scope.OS-INHERIT:inherited_to")
    return AssignmentFilter(
        user_id=query.get("user.id"),
        group_id=query.get("group.id"),
        role_id=query.get("role.id"),
        project_id=query.get("scope.project.id"),
        domain_id=query.get("scope.domain.id"),
        system=query.get("scope.system") is not None,
        inherited=None if inherited_to is None else inherited_to == "projects",
        effective=query_flag(call, "effective"),
        include_subtree=query_flag(call, "include_subtree"),
    )


def _row_view(call: Call, row: AssignmentRow, names: bool) -> dict[str, Any]:
    """Keystone's `_format_entity`: the scope, actor and role, and the link of the grant
    the row comes from (`/OS-INHERIT/...inherited_to_projects` for an inherited one)."""
    identity = call.emulator.identity
    kind, target_id = row.target
    body: dict[str, Any] = {"scope": _scope_view(call, row.target, names)}
    inherited = row.inherited
    if kind == "project" and "domain_id" in row.indirect:
        inherited, link = True, f"/domains/{row.indirect['domain_id']}"
    elif kind == "project" and "project_id" in row.indirect:
        inherited, link = True, f"/projects/{row.indirect['project_id']}"
    else:
        link = "/system" if kind == "system" else f"/{kind}s/{target_id}"
    actor_kind, actor_id = row.actor
    body[actor_kind] = _actor_view(call, row.actor, names)
    if "group_id" in row.indirect:  # an effective row through a group: link the group's grant
        link += f"/groups/{row.indirect['group_id']}"
    else:
        link += f"/{actor_kind}s/{actor_id}"
    body["role"] = {"id": row.role_id}
    if names:
        role = identity.roles[row.role_id]
        body["role"]["name"] = role.name
        if role.domain_id:
            body["role"]["domain"] = domain_ref(call, role.domain_id)
    prior = row.indirect.get("role_id")
    link += f"/roles/{prior or row.role_id}"
    if inherited:
        body["scope"]["OS-INHERIT:inherited_to"] = "projects"
        link = f"/OS-INHERIT{link}{INHERIT}"
    body["links"] = {"assignment": v3_url(call) + link}
    if prior:  # keystone's own order of the two ids in this link, kept as it answers it
        body["links"]["prior_role"] = f"{v3_url(call)}/prior_role/{row.role_id}/implies/{prior}"
    if "group_id" in row.indirect:
        body["links"]["membership"] = (
            f"{v3_url(call)}/groups/{row.indirect['group_id']}/users/{actor_id}"
        )
    return body


def _scope_view(call: Call, target: Target, names: bool) -> dict[str, Any]:
    kind, target_id = target
    if kind == "system":
        return {"system": {"all": True}}
    view: dict[str, Any] = {"id": target_id}
    identity = call.emulator.identity
    if names and kind == "project":
        project = identity.projects.get(target_id)
        view["name"] = project.name if project else None
        view["domain"] = domain_ref(call, project.domain_id) if project else None
    elif names:
        view["name"] = domain_ref(call, target_id)["name"]
    return {kind: view}


def _actor_view(call: Call, actor: Actor, names: bool) -> dict[str, Any]:
    kind, actor_id = actor
    view: dict[str, Any] = {"id": actor_id}
    if names:
        identity = call.emulator.identity
        record = identity.users.get(actor_id) if kind == "user" else identity.groups.get(actor_id)
        view["name"] = record.name if record else None
        view["domain"] = domain_ref(call, record.domain_id) if record else None
    return view
