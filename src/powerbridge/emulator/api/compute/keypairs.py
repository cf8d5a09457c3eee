"""`/os-keypairs`: nova's key pairs, shaped per microversion.

2.1: create answers 200, delete 202, no `type`. 2.2: `type` (ssh or x509), create 201, delete
204. 2.10: an admin may act for another user (`user_id`). 2.35: `limit`/`marker` paging, with
`keypairs_links`, ordered by name.
"""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.compute.common import iso_micro, paginate
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.identity_records import require_policy_admin, require_writer
from powerbridge.emulator.backend.keypairs import KEY_TYPES, Keypair, KeypairBackend

_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_KEYPAIR_21 = {"name": _NAME, "public_key": {"type": "string"}}
_KEYPAIR_22 = {**_KEYPAIR_21, "type": {"type": "string", "enum": list(KEY_TYPES)}}
_KEYPAIR_210 = {**_KEYPAIR_22, "user_id": {"type": "string"}}


def _create_schema(properties: dict[str, Any]) -> Schema:
    keypair = {
        "type": "object",
        "properties": properties,
        "required": ["name"],
        "additionalProperties": False,
    }
    return Schema(
        "keypair",
        {
            "type": "object",
            "properties": {"keypair": keypair},
            "required": ["keypair"],
            "additionalProperties": False,
        },
    )


CREATE_21 = _create_schema(_KEYPAIR_21)
CREATE_22 = _create_schema(_KEYPAIR_22)
CREATE_210 = _create_schema(_KEYPAIR_210)


def _backend(call: Call) -> KeypairBackend:
    return call.emulator.keypairs


def _target_user(call: Call, requested: Any = None) -> str:
    """The user whose key pairs are meant: the caller's, or (2.10, admin) `user_id`."""
    wanted = requested if requested is not None else call.query.get("user_id")
    if wanted is None or not call.at_least("2.10") or wanted == call.auth.user_id:
        return call.auth.user_id
    require_policy_admin(call.auth, "os_compute_api:os-keypairs:index")
    return str(wanted)


def _summary(call: Call, keypair: Keypair) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": keypair.name,
        "public_key": keypair.public_key,
        "fingerprint": keypair.fingerprint,
    }
    if call.at_least("2.2"):
        body["type"] = keypair.type
    return body


def list_keypairs(call: Call) -> Reply:
    keypairs = sorted(_backend(call).list_keypairs(_target_user(call)), key=lambda k: k.name)
    links: list[dict[str, str]] = []
    if call.at_least("2.35"):
        keypairs, links = paginate(call, keypairs, "os-keypairs", _name)
    body: dict[str, Any] = {"keypairs": [{"keypair": _summary(call, k)} for k in keypairs]}
    if links:
        body["keypairs_links"] = links
    return Reply(body)


def create_keypair(call: Call) -> Reply:
    require_writer(call.auth, "os_compute_api:os-keypairs:create")
    _create_schema_for(call).check(call.body)
    spec = call.body["keypair"]
    user_id = _target_user(call, spec.get("user_id"))
    limit = call.emulator.quotas.limits(call.auth.project_id or "", user_id)["key_pairs"]
    keypair, private_key = _backend(call).create(
        user_id,
        spec["name"],
        key_type=spec.get("type", "ssh"),
        public_key=spec.get("public_key"),
        limit=limit,
    )
    body = {**_summary(call, keypair), "user_id": keypair.user_id}
    if private_key is not None:
        body["private_key"] = private_key
    return Reply({"keypair": body}, status=201 if call.at_least("2.2") else 200)


def _create_schema_for(call: Call) -> Schema:
    if call.at_least("2.10"):
        return CREATE_210
    return CREATE_22 if call.at_least("2.2") else CREATE_21


def show_keypair(call: Call) -> Reply:
    keypair = _backend(call).get(_target_user(call), call.params["name"])
    body: dict[str, Any] = {
        **_summary(call, keypair),
        "user_id": keypair.user_id,
        "deleted": False,
        "created_at": iso_micro(keypair.created_at),
        "updated_at": None,
        "deleted_at": None,
        "id": keypair.id,
    }
    return Reply({"keypair": body})


def delete_keypair(call: Call) -> Reply:
    require_writer(call.auth, "os_compute_api:os-keypairs:delete")
    _backend(call).delete(_target_user(call), call.params["name"])
    return Reply(status=204 if call.at_least("2.2") else 202)


def _name(keypair: Keypair) -> str:
    return keypair.name
