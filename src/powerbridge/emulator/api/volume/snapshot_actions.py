"""`POST /snapshots/<id>/action`: the admin actions `os-reset_status`,
`os-update_snapshot_status` and `os-force_delete`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import path_caller
from powerbridge.emulator.api.volume.schema import field_error
from powerbridge.emulator.api.volume.snapshots import snapshots_of
from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.backend.volume_records import require_volume_admin
from powerbridge.emulator.backend.volume_snapshots import STATUSES
from powerbridge.emulator.errors import bad_request


def _status_argument(args: Any, action: str) -> str:
    if not isinstance(args, dict) or "status" not in args:
        raise field_error(action, args, "'status' is a required property")
    status = args["status"]
    if not isinstance(status, str) or status.lower() not in STATUSES:
        raise bad_request("Must specify a valid status")
    return status.lower()


def _reset_status(call: Call, caller: Caller, snapshot_id: str, args: Any) -> Reply:
    require_volume_admin(caller, "volume_extension:snapshot_admin_actions:reset_status")
    status = _status_argument(args, "os-reset_status")
    snapshots_of(call).reset_status(snapshot_id, caller, status)
    return Reply(status=202)


def _update_status(call: Call, caller: Caller, snapshot_id: str, args: Any) -> Reply:
    require_writer(caller, "snapshot_extension:snapshot_actions:update_snapshot_status")
    status = _status_argument(args, "os-update_snapshot_status")
    snapshot = snapshots_of(call).snapshot(snapshot_id, caller)
    allowed = {"creating": ("available", "error"), "deleting": ("error_deleting",)}
    if status not in allowed.get(snapshot.status, ()):
        raise bad_request(
            f"Snapshot status {snapshot.status} not allowed for update_snapshot_status"
        )
    progress = args.get("progress")
    if progress is not None and not isinstance(progress, str):
        raise field_error("progress", progress, f"{progress!r} is not of type 'string'")
    snapshots_of(call).reset_status(snapshot_id, caller, status, progress=progress)
    return Reply(status=202)


def _force_delete(call: Call, caller: Caller, snapshot_id: str, args: Any) -> Reply:
    require_volume_admin(caller, "volume_extension:snapshot_admin_actions:force_delete")
    backend = snapshots_of(call)
    backend.reset_status(snapshot_id, caller, "error")
    backend.delete(snapshot_id, caller, call.log_context())
    return Reply(status=202)


ACTIONS: dict[str, Callable[[Call, Caller, str, Any], Reply]] = {
    "os-reset_status": _reset_status,
    "os-update_snapshot_status": _update_status,
    "os-force_delete": _force_delete,
}


def snapshot_action(call: Call) -> Reply:
    caller = path_caller(call)
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise bad_request("Malformed request body: exactly one action is expected")
    name, args = next(iter(body.items()))
    action = ACTIONS.get(name)
    if action is None:
        raise bad_request(f"There is no such action: {name}")
    snapshot_id = call.params["snapshot_id"]
    snapshots_of(call).snapshot(snapshot_id, caller)  # 404 before any policy or body complaint
    return action(call, caller, snapshot_id, args)
