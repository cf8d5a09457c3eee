"""nova's flavor access for private flavors: `GET /flavors/{id}/os-flavor-access` and the
`addTenantAccess` / `removeTenantAccess` flavor actions (administrators only)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.flavors import Flavor
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.errors import bad_request, not_found


def _rows(flavor: Flavor) -> list[dict[str, str]]:
    return [{"flavor_id": flavor.id, "tenant_id": project} for project in flavor.projects]


def list_access(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-flavor-access")
    flavor = call.emulator.flavors.get(call.params["flavor_id"])
    if flavor.is_public:
        raise not_found("Access list not available for public flavors.")
    return Reply({"flavor_access": _rows(flavor)})


def flavor_action(call: Call) -> Reply:
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise bad_request('Malformed request body: give one action, e.g. {"addTenantAccess": ...}.')
    action, argument = next(iter(body.items()))
    if action not in ("addTenantAccess", "removeTenantAccess"):
        raise bad_request(f"There is no such action: {action}")
    policy = "add_tenant_access" if action == "addTenantAccess" else "remove_tenant_access"
    require_policy_admin(call.auth, f"os_compute_api:os-flavor-access:{policy}")
    project = _tenant(argument, action)
    backend = call.emulator.flavors
    if action == "addTenantAccess":
        flavor = backend.add_access(call.params["flavor_id"], project)
    else:
        flavor = backend.remove_access(call.params["flavor_id"], project)
    return Reply({"flavor_access": _rows(flavor)})


def _tenant(argument: Any, action: str) -> str:
    tenant = argument.get("tenant") if isinstance(argument, dict) else None
    if not isinstance(tenant, str) or not tenant:
        raise bad_request(
            f"Invalid input for field/attribute {action}. 'tenant' is a required property"
        )
    return tenant
