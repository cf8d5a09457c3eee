"""PowerVC's `vm-snapshot` server action (IBM PowerVC 2.x, "Virtual machine snapshot and
restore API"; the body as IBM's Ansible collection sends it):
`{"vm-snapshot": {"name", "description", "volumes": [ids]}}` (no `volumes`: every attached
one) answers 202 with `{"vm-snapshot": {"task_uri": "<volume service>/v3/<project>/
instance-snapshots/get_progress?action=snapshot&task_id=<task>&id=<instance snapshot>"}}`."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.vm_snapshots import ACTION

VM_SNAPSHOT = Schema(
    ACTION,
    {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": {"type": ["string", "null"], "maxLength": 255},
            "volumes": {"type": ["array", "null"], "items": {"type": "string", "minLength": 1}},
        },
        "required": ["name"],
        "additionalProperties": False,
    },
)


def vm_snapshot(call: Call, argument: Any) -> Reply:
    VM_SNAPSHOT.check(argument)
    record, task = call.emulator.vm_snapshots.create(
        call.params["server_id"],
        call.auth,
        name=argument["name"],
        description=argument.get("description") or "",
        volume_ids=argument.get("volumes") or None,
        request_id=call.request_id,
    )
    root = call.emulator.service_url("volume", call.request)
    uri = (
        f"{root}/v3/{call.auth.project_id}/instance-snapshots/get_progress"
        f"?action=snapshot&task_id={task.id}&id={record.id}"
    )
    return Reply({ACTION: {"task_uri": uri, "instance_snapshot_id": record.id}}, status=202)
