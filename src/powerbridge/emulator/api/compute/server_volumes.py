"""`/servers/<id>/os-volume_attachments[/<volume_id>]`: attach, list, show and detach."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.errors import not_found

ATTACH_BODY = Schema(
    "volumeAttachment",
    {
        "type": "object",
        "properties": {
            "volumeAttachment": {
                "type": "object",
                "properties": {
                    "volumeId": {"type": "string", "minLength": 1},
                    "device": {"type": ["string", "null"]},
                    "tag": {"type": "string"},
                    "delete_on_termination": {"type": "boolean"},
                },
                "required": ["volumeId"],
                "additionalProperties": False,
            }
        },
        "required": ["volumeAttachment"],
        "additionalProperties": False,
    },
)


def _attachment(
    server_id: str, volume_id: str, device: str, call: Call, delete_on_termination: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": volume_id,
        "serverId": server_id,
        "volumeId": volume_id,
        "device": device,
    }
    if call.at_least("2.79"):
        body["delete_on_termination"] = delete_on_termination
    return body


def list_attachments(call: Call) -> Reply:
    server = call.emulator.compute.server(call.params["server_id"], call.auth)
    rows = [
        _attachment(server.id, m.volume_id, m.device, call, m.delete_on_termination)
        for m in server.mappings()
    ]
    return Reply({"volumeAttachments": rows})


def attach_volume(call: Call) -> Reply:
    ATTACH_BODY.check(call.body)
    spec = call.body["volumeAttachment"]
    allowed = call.at_least("2.60")
    mapping = call.emulator.volume_attachments.attach(
        call.params["server_id"],
        spec["volumeId"],
        call.auth,
        call.request_id,
        spec.get("device"),
        multiattach_allowed=allowed,
    )
    body = _attachment(call.params["server_id"], mapping.volume_id, mapping.device, call)
    return Reply({"volumeAttachment": body})


def show_attachment(call: Call) -> Reply:
    server = call.emulator.compute.server(call.params["server_id"], call.auth)
    volume_id = call.params["volume_id"]
    for mapping in server.mappings():
        if mapping.volume_id == volume_id:
            body = _attachment(
                server.id, volume_id, mapping.device, call, mapping.delete_on_termination
            )
            return Reply({"volumeAttachment": body})
    raise not_found(f"Instance {server.id} is not attached to volume {volume_id}.")


def detach_volume(call: Call) -> Reply:
    call.emulator.volume_attachments.detach(
        call.params["server_id"], call.params["volume_id"], call.auth, call.request_id
    )
    return Reply(status=202)


SWAP_BODY = Schema(
    "volumeAttachment",
    {
        "type": "object",
        "properties": {
            "volumeAttachment": {
                "type": "object",
                "properties": {"volumeId": {"type": "string", "minLength": 1}},
                "required": ["volumeId"],
                "additionalProperties": False,
            }
        },
        "required": ["volumeAttachment"],
        "additionalProperties": False,
    },
)


def swap_volume(call: Call) -> Reply:
    """nova's swap volume (an administrator's): accepted, then failed by the PowerVM driver."""
    SWAP_BODY.check(call.body)
    call.emulator.volume_attachments.swap(
        call.params["server_id"],
        call.params["volume_id"],
        call.body["volumeAttachment"]["volumeId"],
        call.auth,
        call.request_id,
    )
    return Reply(status=202)
