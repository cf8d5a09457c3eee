"""`POST /volumes/<id>/action`: one handler per cinder volume action, found in `ACTIONS`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import (
    path_caller,
    volumes_of,
)
from powerbridge.emulator.api.volume.image_upload import upload_image
from powerbridge.emulator.api.volume.schema import (
    boolean,
    field_error,
    required,
    volume_size,
)
from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.backend.volume_records import VALID_STATUSES, require_volume_admin
from powerbridge.emulator.errors import bad_request


def _action_extend(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_writer(caller, "volume:extend")
    if not isinstance(args, dict):
        raise field_error("os-extend", args, f"{args!r} is not of type 'object'")
    if "new_size" not in args:
        raise required("os-extend", args, "new_size")
    new_size = volume_size(args["new_size"], "new_size")
    allow_in_use = call.at_least("3.42")
    volumes_of(call).extend(
        volume_id, caller, new_size, call.log_context(), allow_in_use=allow_in_use
    )
    return Reply(status=202)


def _action_reset_status(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_volume_admin(caller, "volume_extension:volume_admin_actions:reset_status")
    if not isinstance(args, dict) or not args:
        raise bad_request(
            "Must specify 'status', 'attach_status' or 'migration_status' for update."
        )
    status = args.get("status")
    if status is not None and (not isinstance(status, str) or status.lower() not in VALID_STATUSES):
        raise bad_request("Must specify a valid status")
    attach_status = args.get("attach_status")
    if attach_status is not None and attach_status not in ("attached", "detached"):
        raise bad_request("Must specify a valid attach status")
    volumes_of(call).reset_status(
        volume_id,
        caller,
        status.lower() if isinstance(status, str) else None,
        attach_status,
        call.log_context(),
    )
    return Reply(status=202)


def _action_force_delete(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_volume_admin(caller, "volume_extension:volume_admin_actions:force_delete")
    volumes_of(call).force_delete(volume_id, caller, call.log_context())
    return Reply(status=202)


def _action_attach(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_writer(caller, "volume:attach")
    if not isinstance(args, dict) or not isinstance(args.get("mountpoint"), str):
        raise required("os-attach", args, "mountpoint")
    server_id = args.get("instance_uuid") or args.get("host_name")
    if not isinstance(server_id, str) or not server_id:
        raise bad_request("Invalid request to attach volume to an invalid target")
    mode = args.get("mode", "rw")
    if mode not in ("rw", "ro"):
        raise bad_request(
            "Invalid request to attach volume with an invalid mode. "
            "Attaching mode should be 'rw' or 'ro'"
        )
    volumes_of(call).legacy_attach(
        volume_id, caller, server_id, args["mountpoint"], call.log_context()
    )
    return Reply(status=202)


def _detach(policy: str, admin: bool) -> Callable[[Call, Caller, str, Any], Reply]:
    def run(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
        if admin:
            require_volume_admin(caller, policy)
        else:
            require_writer(caller, policy)
        attachment = args.get("attachment_id") if isinstance(args, dict) else None
        volumes_of(call).legacy_detach(
            volume_id, caller, attachment, call.log_context(), force=admin
        )
        return Reply(status=202)

    return run


def _action_image_metadata(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    """os-set_image_metadata {"metadata": {...}}, os-unset_image_metadata {"key": k},
    os-show_image_metadata: the action's name is the one the body gave."""
    name = next(iter(call.body))
    backend = volumes_of(call)
    if name == "os-show_image_metadata":
        return Reply({"metadata": dict(backend.volume(volume_id, caller).image_metadata)})
    require_writer(caller, "volume:update_volume_metadata")
    if name == "os-unset_image_metadata":
        key = args.get("key") if isinstance(args, dict) else None
        if not isinstance(key, str):
            raise required(name, args, "key")
        backend.change_image_metadata(volume_id, caller, {}, key)
        return Reply(status=200)
    metadata = args.get("metadata") if isinstance(args, dict) else None
    if not isinstance(metadata, dict):
        raise required(name, args, "metadata")
    changes = {str(k): str(v) for k, v in metadata.items()}
    return Reply({"metadata": backend.change_image_metadata(volume_id, caller, changes, None)})


def _action_retype(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_writer(caller, "volume:retype")
    if not isinstance(args, dict) or not isinstance(args.get("new_type"), str):
        raise required("os-retype", args, "new_type")
    policy = args.get("migration_policy", "never")
    if policy not in ("never", "on-demand"):
        raise bad_request(f"Invalid input received: Invalid migration_policy {policy}.")
    volumes_of(call).retype(volume_id, caller, args["new_type"], migrate=policy == "on-demand")
    return Reply(status=202)


def _action_set_bootable(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_writer(caller, "volume:update")
    if not isinstance(args, dict) or "bootable" not in args:
        raise required("os-set_bootable", args, "bootable")
    bootable = boolean(args["bootable"], "bootable")
    volumes_of(call).set_bootable(volume_id, caller, bootable)
    return Reply(status=200)


def _action_readonly(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_writer(caller, "volume:update_readonly_flag")
    if not isinstance(args, dict) or "readonly" not in args:
        raise required("os-update_readonly_flag", args, "readonly")
    readonly = boolean(args["readonly"], "readonly")
    volumes_of(call).set_readonly(volume_id, caller, readonly)
    return Reply(status=202)


def _simple_action(
    method: Callable[[VolumeBackend, str, Caller], None], policy: str
) -> Callable[[Call, Caller, str, Any], Reply]:
    def run(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
        require_writer(caller, policy)
        method(volumes_of(call), volume_id, caller)
        return Reply(status=202)

    return run


ACTIONS: dict[str, Callable[[Call, Caller, str, Any], Reply]] = {
    "os-extend": _action_extend,
    "os-reset_status": _action_reset_status,
    "os-force_delete": _action_force_delete,
    "os-attach": _action_attach,
    "os-retype": _action_retype,
    "os-set_image_metadata": _action_image_metadata,
    "os-unset_image_metadata": _action_image_metadata,
    "os-show_image_metadata": _action_image_metadata,
    "os-detach": _detach("volume:detach", admin=False),
    "os-force_detach": _detach("volume_extension:volume_admin_actions:force_detach", admin=True),
    "os-set_bootable": _action_set_bootable,
    "os-update_readonly_flag": _action_readonly,
    "os-reserve": _simple_action(VolumeBackend.legacy_reserve, "volume:reserve_volume"),
    "os-unreserve": _simple_action(VolumeBackend.legacy_unreserve, "volume:unreserve_volume"),
    "os-begin_detaching": _simple_action(VolumeBackend.begin_detaching, "volume:begin_detaching"),
    "os-roll_detaching": _simple_action(VolumeBackend.roll_detaching, "volume:roll_detaching"),
    "os-volume_upload_image": upload_image,
}


def volume_action(call: Call) -> Reply:
    caller = path_caller(call)
    body = call.body
    if not isinstance(body, dict) or not body:
        raise bad_request("Malformed request body: cannot understand JSON")
    if len(body) != 1:
        raise bad_request("Malformed request body: too many body keys")
    name, args = next(iter(body.items()))
    action = ACTIONS.get(name)
    if action is None:
        raise bad_request(f"There is no such action: {name}")
    volume_id = call.params["volume_id"]
    volumes_of(call).volume(volume_id, caller)  # 404 before any policy or body complaint
    return action(call, caller, volume_id, args)
