"""cinder's volume type access: `GET /types/{id}/os-volume-type-access` and the type actions
`addProjectAccess` / `removeProjectAccess` (administrators only)."""

from __future__ import annotations

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import path_caller, volumes_of
from powerbridge.emulator.backend.volume_records import require_volume_admin
from powerbridge.emulator.errors import bad_request, not_found


def list_access(call: Call) -> Reply:
    require_volume_admin(path_caller(call), "volume_extension:volume_type_access")
    volume_type = volumes_of(call).volume_type_by_id(call.params["type_id"])
    if volume_type.is_public:
        raise not_found("Access list not available for public volume types.")
    rows = [{"volume_type_id": volume_type.id, "project_id": p} for p in volume_type.projects]
    return Reply({"volume_type_access": rows})


def type_action(call: Call) -> Reply:
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise bad_request("Malformed request body: give one action.")
    action, argument = next(iter(body.items()))
    if action not in ("addProjectAccess", "removeProjectAccess"):
        raise bad_request(f"There is no such action: {action}")
    suffix = "addProjectAccess" if action == "addProjectAccess" else "removeProjectAccess"
    require_volume_admin(path_caller(call), f"volume_extension:volume_type_access:{suffix}")
    project = argument.get("project") if isinstance(argument, dict) else None
    if not isinstance(project, str) or not project:
        raise bad_request("Missing required element 'project' in request body.")
    volumes_of(call).set_type_access(
        call.params["type_id"], project, allowed=action == "addProjectAccess"
    )
    return Reply(status=202)
