"""nova's administrator and soft-delete server actions (admin_actions.py, create_backup.py and
deferred_delete.py in nova's API): `os-resetState`, `injectNetworkInfo`, `createBackup`,
`restore`, `forceDelete`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema

ActionHandler = Callable[[Call, Any], Reply]

RESET_STATE = Schema(
    "os-resetState",
    {
        "type": "object",
        "properties": {"state": {"type": "string", "enum": ["active", "error"]}},
        "required": ["state"],
        "additionalProperties": False,
    },
)

CREATE_BACKUP = Schema(
    "createBackup",
    {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "backup_type": {"type": "string"},
            "rotation": {
                "type": ["integer", "string"],
                "pattern": "^[0-9]+$",
                "minimum": 0,
            },
            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["name", "backup_type", "rotation"],
        "additionalProperties": False,
    },
)


def reset_state(call: Call, argument: Any) -> Reply:
    RESET_STATE.check(argument)
    call.emulator.server_admin.reset_state(
        call.params["server_id"], call.auth, argument["state"], call.request_id
    )
    return Reply(status=202)


def inject_network_info(call: Call, argument: Any) -> Reply:
    call.emulator.server_admin.network_action(
        call.params["server_id"], call.auth, "inject_network_info"
    )
    return Reply(status=202)


def _soft_delete(action: str) -> ActionHandler:
    def act(call: Call, argument: Any) -> Reply:
        call.emulator.server_admin.soft_delete_action(call.params["server_id"], call.auth, action)
        return Reply(status=202)

    return act


def create_backup(call: Call, argument: Any) -> Reply:
    CREATE_BACKUP.check(argument)
    image = call.emulator.server_admin.backup(
        call.params["server_id"],
        call.auth,
        call.request_id,
        name=argument["name"],
        backup_type=argument["backup_type"],
        rotation=int(argument["rotation"]),
        metadata=dict(argument.get("metadata") or {}),
    )
    if call.at_least("2.45"):
        return Reply({"image_id": image.id}, status=202)
    location = f"{call.emulator.service_url('image', call.request)}/images/{image.id}"
    return Reply(status=202, headers={"location": location})


ADMIN_ACTIONS: dict[str, ActionHandler] = {
    "os-resetState": reset_state,
    "injectNetworkInfo": inject_network_info,
    "createBackup": create_backup,
    "restore": _soft_delete("restore"),
    "forceDelete": _soft_delete("forceDelete"),
}
