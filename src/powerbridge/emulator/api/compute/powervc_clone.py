"""PowerVC's `clone-vm` server action and its progress (IBM PowerVC 2.x, "Clone virtual
machine API"): `POST /servers/<id>/action {"clone-vm": {"server": {"name", "networks",
"availability_zone", "key_name", "block_device_mapping_v2", "flavor"}}}` answers 202 with
`{"clone-vm": {"task_uri": ".../servers/get_progress?action=clone-vm&task_id=<id>"}}`;
`GET /servers/get_progress?action=clone-vm&task_id=<id>` tells how the clone's deploy goes."""

from __future__ import annotations

import dataclasses
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.vm_clones import ACTION, inline_flavor_of
from powerbridge.emulator.errors import bad_request

CLONE = Schema(
    "clone-vm",
    {
        "type": "object",
        "properties": {
            "server": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 255},
                    "networks": {"type": "array", "minItems": 1, "items": {"type": "object"}},
                    "availability_zone": {"type": "string", "maxLength": 255},
                    "key_name": {"type": "string", "minLength": 1, "maxLength": 255},
                    "block_device_mapping_v2": {"type": "array", "items": {"type": "object"}},
                    "flavor": {"type": "object"},
                    "metadata": {"type": "object"},
                },
                "required": ["name", "networks"],
                "additionalProperties": False,
            },
            "os:scheduler_hints": {"type": "object"},
        },
        "required": ["server"],
        "additionalProperties": False,
    },
)


def clone_vm(call: Call, argument: Any) -> Reply:
    # imported here: `servers` imports the action tables this handler is one of
    from powerbridge.emulator.api.compute.servers import _server_request

    CLONE.check(argument)
    clones = call.emulator.vm_clones
    source = clones.source(call.params["server_id"], call.auth)
    wanted = dict(argument["server"])
    wanted.setdefault("flavor", inline_flavor_of(source))
    hints = argument.get("os:scheduler_hints")
    body = {"server": wanted, **({"os:scheduler_hints": hints} if hints else {})}
    request = _server_request(dataclasses.replace(call, body=body))
    task = clones.clone(source, request, call.auth, call.request_id)
    return Reply({ACTION: {"task_uri": _task_uri(call, task.id)}}, status=202)


def _task_uri(call: Call, task_id: str) -> str:
    root = call.base_url()
    project = call.auth.project_id
    return f"{root}/v2.1/{project}/servers/get_progress?action={ACTION}&task_id={task_id}"


def get_progress(call: Call) -> Reply:
    action, task_id = call.query.get("action"), call.query.get("task_id")
    if action != ACTION or not task_id:
        raise bad_request("Give ?action=clone-vm&task_id=<id> (the task_uri a clone-vm answered).")
    task = call.emulator.powervc_tasks.task(task_id, ACTION, call.auth)
    progress, server = call.emulator.vm_clones.progress(task)
    body = {
        "task_id": task.id,
        "action": ACTION,
        "status": progress.status,
        "progress": progress.percent,
        "message": progress.message,
        "source_server_id": task.source_id,
        "server_id": server.id if server else None,
        "server_name": server.name if server else None,
    }
    return Reply({ACTION: body})
