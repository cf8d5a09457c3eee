"""Keystone's roles over HTTP: global and domain-specific roles (`/v3/roles`, `?domain_id=`
lists a domain's), and the role inference rules (`/v3/roles/{prior}/implies/{implied}`,
`/v3/role_inferences`). Reads are open to any token, writes admin-only."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.identity.common import (
    Check,
    checked_fields,
    entity_of,
    links,
    name_of,
    string_or_null,
    text,
    v3_url,
)
from powerbridge.emulator.api.identity.views import role_view
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import Role, require_admin

ROLE_FIELDS: dict[str, Check] = {
    "name": name_of(255),
    "description": text,
    "domain_id": string_or_null,
}
IMPLIES = "/v3/roles/{prior_role_id}/implies"


def list_roles(call: Call) -> Reply:
    domain_id = call.query.get("domain_id")  # absent: the global roles only, as keystone lists
    roles = [r for r in call.emulator.identity.roles.values() if r.domain_id == domain_id]
    name = call.query.get("name")
    if name is not None:
        roles = [r for r in roles if r.name == name]
    return Reply({"roles": [role_view(call, r) for r in roles], "links": links(call, "/roles")})


def create_role(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_role")
    fields = checked_fields(entity_of(call, "role"), ROLE_FIELDS, create=True)
    role = call.emulator.identity.create_role(
        fields["name"],
        domain_id=fields.get("domain_id"),
        description=fields.get("description", ""),
    )
    return Reply({"role": role_view(call, role)}, status=201)


def show_role(call: Call) -> Reply:
    return Reply({"role": role_view(call, call.emulator.identity.role(call.params["role_id"]))})


def update_role(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_role")
    identity = call.emulator.identity
    fields = checked_fields(entity_of(call, "role"), ROLE_FIELDS, create=False)
    fields.pop("domain_id", None)  # a role never moves between domains
    role = identity.update_role(call.params["role_id"], fields)
    return Reply({"role": role_view(call, role)})


def delete_role(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_role")
    call.emulator.identity.delete_role(call.params["role_id"])
    return Reply(status=204)


# -- role inference rules ---------------------------------------------------------------
def _role_ref(call: Call, role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "links": {"self": f"{v3_url(call)}/roles/{role.id}"},
        "name": role.name,
    }


def _inference_body(call: Call, prior_id: str, implied_id: str) -> dict[str, Any]:
    identity = call.emulator.identity
    return {
        "role_inference": {
            "prior_role": _role_ref(call, identity.role(prior_id)),
            "implies": _role_ref(call, identity.role(implied_id)),
        },
        "links": {"self": f"{v3_url(call)}/roles/{prior_id}/implies/{implied_id}"},
    }


def create_inference(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_implied_role")
    prior, implied = call.params["prior_role_id"], call.params["implied_role_id"]
    call.emulator.identity.create_inference(prior, implied)
    return Reply(_inference_body(call, prior, implied), status=201)


def show_inference(call: Call) -> Reply:
    prior, implied = call.params["prior_role_id"], call.params["implied_role_id"]
    call.emulator.identity.inference(prior, implied)
    return Reply(_inference_body(call, prior, implied))


def check_inference(call: Call) -> Reply:
    """HEAD answers 204, not GET's 200: keystone documents and implements it so."""
    call.emulator.identity.inference(call.params["prior_role_id"], call.params["implied_role_id"])
    return Reply(status=204)


def delete_inference(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_implied_role")
    prior, implied = call.params["prior_role_id"], call.params["implied_role_id"]
    call.emulator.identity.delete_inference(prior, implied)
    return Reply(status=204)


def list_implied(call: Call) -> Reply:
    identity = call.emulator.identity
    prior = identity.role(call.params["prior_role_id"])
    implies = [_role_ref(call, identity.roles[r]) for r in identity.implied_by(prior.id)]
    return Reply(
        {
            "role_inference": {"prior_role": _role_ref(call, prior), "implies": implies},
            "links": {"self": f"{v3_url(call)}/roles/{prior.id}/implies"},
        }
    )


def list_inferences(call: Call) -> Reply:
    identity = call.emulator.identity
    rules: dict[str, list[dict[str, Any]]] = {}
    for rule in identity.inferences.values():
        implied = identity.roles.get(rule.implied_role_id)
        if implied is not None and rule.prior_role_id in identity.roles:
            rules.setdefault(rule.prior_role_id, []).append(_role_ref(call, implied))
    inferences = [
        {"prior_role": _role_ref(call, identity.roles[prior]), "implies": implies}
        for prior, implies in rules.items()
    ]
    return Reply({"role_inferences": inferences, "links": links(call, "/role_inferences")})
