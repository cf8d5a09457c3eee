"""Keystone's credentials over HTTP (`/v3/credentials`, and a user's EC2 credentials under
`/v3/users/{user_id}/credentials/OS-EC2`) and policy blobs (`/v3/policies`). An admin manages
every credential; a user their own, as keystone's default policy has it. Policies are
admin-only."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.identity.common import (
    Check,
    checked_fields,
    entity_of,
    links,
    self_or_admin,
    string_or_null,
    v3_url,
)
from powerbridge.emulator.api.identity.views import credential_view, policy_view
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_admin_records import Credential
from powerbridge.emulator.backend.identity_credentials import ec2_blob
from powerbridge.emulator.backend.identity_records import require_admin
from powerbridge.emulator.errors import bad_request, forbidden


def _required_string(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise bad_request(f"Invalid input for field '{key}': a non-empty string is required.")
    return value


CREDENTIAL_FIELDS: dict[str, Check] = {
    "user_id": _required_string,
    "type": _required_string,
    "blob": _required_string,
    "project_id": string_or_null,
}
POLICY_FIELDS: dict[str, Check] = {"blob": _required_string, "type": _required_string}
EC2 = "/v3/users/{user_id}/credentials/OS-EC2"


def _required(entity: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in entity:
            raise bad_request(f"Invalid input for field '{key}': '{key}' is a required property.")


# -- credentials ------------------------------------------------------------------------
def list_credentials(call: Call) -> Reply:
    identity = call.emulator.identity
    credentials = list(identity.credentials.values())
    if not call.auth.is_admin:  # a user lists its own
        credentials = [c for c in credentials if c.user_id == call.auth.user_id]
    for key in ("user_id", "type"):
        wanted = call.query.get(key)
        if wanted is not None:
            credentials = [c for c in credentials if getattr(c, key) == wanted]
    return Reply(
        {
            "credentials": [credential_view(call, c) for c in credentials],
            "links": links(call, "/credentials"),
        }
    )


def create_credential(call: Call) -> Reply:
    body = call.body if isinstance(call.body, dict) else {}
    asked = body.get("credential")
    owner = asked.get("user_id") if isinstance(asked, dict) else None
    if not call.auth.is_admin and owner != call.auth.user_id:  # the policy first, then the body
        raise forbidden(
            "You are not authorized to perform the requested action: identity:create_credential."
        )
    entity = entity_of(call, "credential")
    _required(entity, ("user_id", "type", "blob"))
    fields = checked_fields(entity, CREDENTIAL_FIELDS, create=False)
    credential = call.emulator.identity.create_credential(fields)
    return Reply({"credential": credential_view(call, credential)}, status=201)


def _owned(call: Call, action: str) -> Credential:
    credential = call.emulator.identity.credential(call.params["credential_id"])
    self_or_admin(call, credential.user_id, action)
    return credential


def show_credential(call: Call) -> Reply:
    credential = _owned(call, "identity:get_credential")
    return Reply({"credential": credential_view(call, credential)})


def update_credential(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_credential")
    fields = checked_fields(entity_of(call, "credential"), CREDENTIAL_FIELDS, create=False)
    credential = call.emulator.identity.update_credential(call.params["credential_id"], fields)
    return Reply({"credential": credential_view(call, credential)})


def delete_credential(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_credential")
    call.emulator.identity.delete_credential(call.params["credential_id"])
    return Reply(status=204)


# -- EC2 credentials --------------------------------------------------------------------
def _ec2_view(call: Call, credential: Credential) -> dict[str, Any]:
    blob = ec2_blob(credential)
    return {
        "user_id": credential.user_id,
        "tenant_id": credential.project_id,
        "access": blob.get("access"),
        "secret": blob.get("secret"),
        "trust_id": blob.get("trust_id"),
        "links": {
            "self": f"{v3_url(call)}/users/{credential.user_id}/credentials/OS-EC2/"
            f"{blob.get('access')}"
        },
    }


def list_ec2(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:ec2_list_credentials")
    credentials = call.emulator.identity.ec2_of(user_id)
    return Reply(
        {
            "credentials": [_ec2_view(call, c) for c in credentials],
            "links": links(call, f"/users/{user_id}/credentials/OS-EC2"),
        }
    )


def create_ec2(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:ec2_create_credential")
    body = call.body if isinstance(call.body, dict) else {}
    tenant_id = _required_string(body.get("tenant_id"), "tenant_id")
    credential = call.emulator.identity.create_ec2(user_id, tenant_id)
    return Reply({"credential": _ec2_view(call, credential)}, status=201)


def show_ec2(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:ec2_get_credential")
    credential = call.emulator.identity.ec2(user_id, call.params["access"])
    return Reply({"credential": _ec2_view(call, credential)})


def delete_ec2(call: Call) -> Reply:
    user_id = call.params["user_id"]
    self_or_admin(call, user_id, "identity:ec2_delete_credential")
    identity = call.emulator.identity
    identity.delete_credential(identity.ec2(user_id, call.params["access"]).id)
    return Reply(status=204)


# -- policies ---------------------------------------------------------------------------
def list_policies(call: Call) -> Reply:
    require_admin(call.auth, "identity:list_policies")
    policies = list(call.emulator.identity.policies.values())
    wanted = call.query.get("type")
    if wanted is not None:
        policies = [p for p in policies if p.type == wanted]
    return Reply(
        {"policies": [policy_view(call, p) for p in policies], "links": links(call, "/policies")}
    )


def create_policy(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_policy")
    entity = entity_of(call, "policy")
    _required(entity, ("blob", "type"))
    fields = checked_fields(entity, POLICY_FIELDS, create=False)
    policy = call.emulator.identity.create_policy(fields["blob"], fields["type"])
    return Reply({"policy": policy_view(call, policy)}, status=201)


def show_policy(call: Call) -> Reply:
    require_admin(call.auth, "identity:get_policy")
    policy = call.emulator.identity.policy(call.params["policy_id"])
    return Reply({"policy": policy_view(call, policy)})


def update_policy(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_policy")
    fields = checked_fields(entity_of(call, "policy"), POLICY_FIELDS, create=False)
    policy = call.emulator.identity.update_policy(call.params["policy_id"], fields)
    return Reply({"policy": policy_view(call, policy)})


def delete_policy(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_policy")
    call.emulator.identity.delete_policy(call.params["policy_id"])
    return Reply(status=204)
