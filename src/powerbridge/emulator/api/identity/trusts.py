"""OS-TRUST over HTTP: `/v3/OS-TRUST/trusts` (create, list with `?trustor_user_id=` or
`?trustee_user_id=`, show, delete) and a trust's delegated roles
(`/v3/OS-TRUST/trusts/{trust_id}/roles[/{role_id}]`)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.identity.common import entity_of, iso, links, v3_url
from powerbridge.emulator.api.identity.views import role_view
from powerbridge.emulator.api.routing import Call, Endpoint, Reply
from powerbridge.emulator.backend.identity_admin_records import Trust
from powerbridge.emulator.errors import forbidden, not_found

TRUSTS = "/v3/OS-TRUST/trusts"


def trust_view(call: Call, trust: Trust) -> dict[str, Any]:
    identity = call.emulator.identity
    url = f"{v3_url(call)}/OS-TRUST/trusts/{trust.id}"
    return {
        "id": trust.id,
        "trustor_user_id": trust.trustor_user_id,
        "trustee_user_id": trust.trustee_user_id,
        "project_id": trust.project_id,
        "impersonation": trust.impersonation,
        "expires_at": iso(trust.expires_at) if trust.expires_at is not None else None,
        "remaining_uses": trust.remaining_uses,
        "allow_redelegation": trust.allow_redelegation,
        "redelegation_count": 0,
        "redelegated_trust_id": None,
        "roles": [
            role_view(call, identity.roles[r]) for r in trust.role_ids if r in identity.roles
        ],
        "roles_links": {"self": f"{url}/roles", "previous": None, "next": None},
        "links": {"self": url},
    }


def create_trust(call: Call) -> Reply:
    body = call.body if isinstance(call.body, dict) else {}
    asked = body.get("trust")
    trustor = asked.get("trustor_user_id") if isinstance(asked, dict) else None
    if trustor != call.auth.user_id:  # the policy first, then the body
        raise forbidden(
            "You are not authorized to perform the requested action: identity:create_trust."
        )
    entity = entity_of(call, "trust")
    trust = call.emulator.identity.create_trust(call.auth, entity)
    return Reply({"trust": trust_view(call, trust)}, status=201)


def list_trusts(call: Call) -> Reply:
    trusts = call.emulator.identity.list_trusts(
        call.auth, call.query.get("trustor_user_id"), call.query.get("trustee_user_id")
    )
    return Reply(
        {"trusts": [trust_view(call, t) for t in trusts], "links": links(call, "/OS-TRUST/trusts")}
    )


def show_trust(call: Call) -> Reply:
    trust = call.emulator.identity.visible_trust(call.auth, call.params["trust_id"])
    return Reply({"trust": trust_view(call, trust)})


def delete_trust(call: Call) -> Reply:
    call.emulator.identity.delete_trust(call.auth, call.params["trust_id"])
    return Reply(status=204)


def list_trust_roles(call: Call) -> Reply:
    identity = call.emulator.identity
    trust = identity.visible_trust(call.auth, call.params["trust_id"])
    roles = [identity.roles[r] for r in trust.role_ids if r in identity.roles]
    return Reply(
        {
            "roles": [role_view(call, r) for r in roles],
            "links": links(call, f"/OS-TRUST/trusts/{trust.id}/roles"),
        }
    )


def show_trust_role(call: Call) -> Reply:
    identity = call.emulator.identity
    trust = identity.visible_trust(call.auth, call.params["trust_id"])
    role_id = call.params["role_id"]
    if role_id not in trust.role_ids or role_id not in identity.roles:
        raise not_found(f"Could not find role: {role_id}.")
    return Reply({"role": role_view(call, identity.roles[role_id])})


def trust_routes() -> list[Endpoint]:
    one = TRUSTS + "/{trust_id}"
    return [
        Endpoint("GET", TRUSTS, list_trusts),
        Endpoint("POST", TRUSTS, create_trust),
        Endpoint("GET", one, show_trust),
        Endpoint("DELETE", one, delete_trust),
        Endpoint("GET", one + "/roles", list_trust_roles),
        Endpoint("GET", one + "/roles/{role_id}", show_trust_role),
    ]
