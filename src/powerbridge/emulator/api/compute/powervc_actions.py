"""PowerVC's own server actions (`POST /servers/<id>/action`), kept apart from nova's:
`bulkVolumeAttach` `{"volumeAttachment": [{"volumeId", "primaryBoot"}]}` and
`bulkVolumeDetach` `{"volume_ids": [...]}` (IBM PowerVC 2.x, "Bulk attach and detach volume
APIs"), and nova's `evacuate` (PowerVC's remote restart of one VM), each answering 202."""

from __future__ import annotations

import secrets
from typing import Any

from powerbridge.emulator.api.compute import powervc_clone, powervc_snapshot
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema

BULK_ATTACH = Schema(
    "bulkVolumeAttach",
    {
        "type": "object",
        "properties": {
            "volumeAttachment": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "volumeId": {"type": "string", "minLength": 1},
                        "primaryBoot": {"type": "boolean"},
                    },
                    "required": ["volumeId"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["volumeAttachment"],
        "additionalProperties": False,
    },
)
BULK_DETACH = Schema(
    "bulkVolumeDetach",
    {
        "type": "object",
        "properties": {
            "volume_ids": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "minLength": 1},
            }
        },
        "required": ["volume_ids"],
        "additionalProperties": False,
    },
)


def bulk_volume_attach(call: Call, argument: Any) -> Reply:
    BULK_ATTACH.check(argument)
    server_id = call.params["server_id"]
    ids = [entry["volumeId"] for entry in argument["volumeAttachment"]]
    mappings = call.emulator.bulk_volumes.attach(server_id, ids, call.auth, call.request_id)
    rows = [
        {"id": m.volume_id, "serverId": server_id, "volumeId": m.volume_id, "device": m.device}
        for m in mappings
    ]
    return Reply({"volumeAttachments": rows}, status=202)


def bulk_volume_detach(call: Call, argument: Any) -> Reply:
    BULK_DETACH.check(argument)
    call.emulator.bulk_volumes.detach(
        call.params["server_id"], list(argument["volume_ids"]), call.auth, call.request_id
    )
    return Reply(status=202)


EVACUATE = Schema(
    "evacuate",
    {
        "type": "object",
        "properties": {
            "host": {"type": ["string", "null"], "maxLength": 255},
            "onSharedStorage": {"type": ["boolean", "string"]},
            "adminPass": {"type": "string"},
            "force": {"type": ["boolean", "string"]},
        },
        "additionalProperties": False,
    },
)


def evacuate(call: Call, argument: Any) -> Reply:
    """nova's `evacuate` of one VM of a failed host (PowerVC's remote restart of it)."""
    argument = argument if argument is not None else {}
    EVACUATE.check(argument)
    call.emulator.remote_restarts.evacuate_server(
        call.params["server_id"], argument.get("host"), call.auth, call.request_id
    )
    if call.at_least("2.14"):
        return Reply(status=202)
    return Reply({"adminPass": argument.get("adminPass") or secrets.token_urlsafe(9)}, status=202)


POWERVC_ACTIONS = {
    "clone-vm": powervc_clone.clone_vm,
    "evacuate": evacuate,
    "vm-snapshot": powervc_snapshot.vm_snapshot,
    "bulkVolumeAttach": bulk_volume_attach,
    "bulkVolumeDetach": bulk_volume_detach,
}
