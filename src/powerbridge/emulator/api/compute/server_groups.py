"""`os-server-groups`: PowerVC collocation rules (`affinity`, `anti-affinity`; the `soft-`
variants from microversion 2.15; `project_id`/`user_id` in bodies from 2.13)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.compute.common import int_param
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.server_groups import ServerGroup

CREATE = Schema(
    "server_group",
    {
        "type": "object",
        "properties": {
            "server_group": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 255},
                    "policies": {
                        "type": "array",
                        "items": {"type": "string"},
                        "minItems": 1,
                        "maxItems": 1,
                        "uniqueItems": True,
                    },
                },
                "required": ["name", "policies"],
                "additionalProperties": False,
            }
        },
        "required": ["server_group"],
        "additionalProperties": False,
    },
)


def group_body(call: Call, group: ServerGroup) -> dict[str, Any]:
    servers = call.emulator.compute.servers
    body: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "policies": [group.policy],
        "members": [m for m in group.members if m in servers and not servers[m].deleted],
        "metadata": dict(group.metadata),
    }
    if call.at_least("2.13"):
        body["project_id"] = group.project_id
        body["user_id"] = group.user_id
    return body


def list_server_groups(call: Call) -> Reply:
    all_projects = call.query.get("all_projects", "").lower() in ("1", "true", "yes", "t")
    groups = call.emulator.server_groups.list_groups(call.auth, all_projects=all_projects)
    offset = int_param(call, "offset") or 0
    limit = int_param(call, "limit")
    page = groups[offset:] if limit is None else groups[offset : offset + limit]
    return Reply({"server_groups": [group_body(call, g) for g in page]})


def create_server_group(call: Call) -> Reply:
    CREATE.check(call.body)
    spec = call.body["server_group"]
    group = call.emulator.server_groups.create(
        call.auth, spec["name"], spec["policies"][0], soft_allowed=call.at_least("2.15")
    )
    return Reply({"server_group": group_body(call, group)})


def show_server_group(call: Call) -> Reply:
    group = call.emulator.server_groups.get(call.params["group_id"], call.auth)
    return Reply({"server_group": group_body(call, group)})


def delete_server_group(call: Call) -> Reply:
    call.emulator.server_groups.delete(call.params["group_id"], call.auth)
    return Reply(status=204)
