"""Generic volume groups (cinder 3.13+; create from a source 3.14, reset status 3.20) and
group snapshots (3.14+; reset status 3.19): PowerVC's consistency groups."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import flag, path_caller, timestamp
from powerbridge.emulator.api.volume.schema import (
    body_object,
    boolean,
    no_extra_keys,
    optional_string,
    required,
)
from powerbridge.emulator.backend.identity_records import require_writer
from powerbridge.emulator.backend.volume_groups import GroupSnapshot, VolumeGroup, VolumeGroups
from powerbridge.emulator.backend.volume_records import AVAILABILITY_ZONE, require_volume_admin
from powerbridge.emulator.errors import bad_request, not_found

CREATE_KEYS = ("name", "description", "group_type", "volume_types", "availability_zone")


def groups_of(call: Call, version: str = "3.13") -> VolumeGroups:
    if not call.at_least(version):  # cinder's VersionNotFoundForAPIMethod
        raise not_found("The resource could not be found.")
    return call.emulator.volume_groups


def group_view(call: Call, group: VolumeGroup) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "status": group.status,
        "description": group.description,
        "availability_zone": AVAILABILITY_ZONE,
        "created_at": timestamp(group.created_at),
        "group_type": group.group_type_id,
        "volume_types": list(group.volume_type_ids),
    }
    if call.at_least("3.14"):
        view["group_snapshot_id"] = group.group_snapshot_id
        view["source_group_id"] = group.source_group_id
    if call.at_least("3.25") and flag(call.query.get("list_volume")):
        view["volumes"] = call.emulator.volume_groups.members(group)
    if call.at_least("3.38"):
        view["replication_status"] = "disabled"
    return view


def _all_projects(call: Call) -> bool:
    return flag(call.query.get("all_tenants"))


def list_groups(call: Call) -> Reply:
    caller = path_caller(call)
    found = groups_of(call).list_groups(caller, _all_projects(call))
    return Reply({"groups": [{"id": g.id, "name": g.name} for g in found]})


def list_groups_detail(call: Call) -> Reply:
    caller = path_caller(call)
    found = groups_of(call).list_groups(caller, _all_projects(call))
    return Reply({"groups": [group_view(call, g) for g in found]})


def show_group(call: Call) -> Reply:
    group = groups_of(call).group(call.params["volume_group_id"], path_caller(call))
    return Reply({"group": group_view(call, group)})


def create_group(call: Call) -> Reply:
    caller = path_caller(call)
    groups = groups_of(call)
    require_writer(caller, "group:create")
    spec = body_object(call.body, "group")
    no_extra_keys("group", spec, CREATE_KEYS)
    for key in ("group_type", "volume_types"):
        if key not in spec:
            raise required("group", spec, key)
    volume_types = spec["volume_types"]
    if not isinstance(volume_types, list) or not all(isinstance(t, str) for t in volume_types):
        raise bad_request(f"Invalid input received: volume_types {volume_types!r} is not a list.")
    zone = optional_string(spec, "availability_zone")
    if zone is not None and zone != AVAILABILITY_ZONE:
        raise bad_request(f"Availability zone '{zone}' is invalid.")
    group = groups.create(
        caller,
        group_type=optional_string(spec, "group_type") or "",
        volume_types=volume_types,
        name=optional_string(spec, "name"),
        description=optional_string(spec, "description"),
    )
    return Reply({"group": {"id": group.id, "name": group.name}}, status=202)


def _id_list(spec: dict[str, Any], key: str) -> list[str]:
    """`add_volumes`/`remove_volumes`: one string of comma-separated volume ids."""
    value = optional_string(spec, key, max_length=65535)
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def update_group(call: Call) -> Reply:
    caller = path_caller(call)
    groups = groups_of(call)
    require_writer(caller, "group:update")
    spec = body_object(call.body, "group")
    no_extra_keys("group", spec, ("name", "description", "add_volumes", "remove_volumes"))
    if not spec:
        raise bad_request(
            "Name, description, add_volumes, and remove_volumes can not be all empty in the "
            "request body."
        )
    changes: dict[str, str | None] = {
        k: optional_string(spec, k) for k in ("name", "description") if k in spec
    }
    add, remove = _id_list(spec, "add_volumes"), _id_list(spec, "remove_volumes")
    groups.update(call.params["volume_group_id"], caller, changes, add, remove)
    return Reply(status=202)


def group_action(call: Call) -> Reply:
    caller = path_caller(call)
    groups = groups_of(call)
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise bad_request("Invalid request body: exactly one group action is expected.")
    ((action, spec),) = body.items()
    group_id = call.params["volume_group_id"]
    if action == "delete":
        require_writer(caller, "group:delete")
        spec = spec if isinstance(spec, dict) else {}
        no_extra_keys("delete", spec, ("delete-volumes",))
        delete_volumes = boolean(spec.get("delete-volumes", False), "delete-volumes")
        groups.delete(group_id, caller, delete_volumes, call.log_context())
        return Reply(status=202)
    if action == "reset_status" and call.at_least("3.20"):
        require_volume_admin(caller, "group:reset_status")
        groups.reset_status(group_id, caller, _status(spec))
        return Reply(status=202)
    raise bad_request(f"There is no such action: {action}")


def _status(spec: Any) -> str:
    if not isinstance(spec, dict) or not isinstance(spec.get("status"), str):
        raise bad_request("Must specify 'status' to reset.")
    return str(spec["status"])


def create_from_source(call: Call) -> Reply:
    caller = path_caller(call)
    groups = groups_of(call, "3.14")
    require_writer(caller, "group:create")
    spec = body_object(call.body, "create-from-src")
    no_extra_keys(
        "create-from-src", spec, ("name", "description", "source_group_id", "group_snapshot_id")
    )
    group = groups.create_from_source(
        caller,
        source_group_id=optional_string(spec, "source_group_id"),
        group_snapshot_id=optional_string(spec, "group_snapshot_id"),
        name=optional_string(spec, "name"),
        description=optional_string(spec, "description"),
        context=call.log_context(),
    )
    return Reply({"group": {"id": group.id, "name": group.name}}, status=202)


# -- group snapshots -----------------------------------------------------------------------
def group_snapshot_view(snapshot: GroupSnapshot) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "name": snapshot.name,
        "status": snapshot.status,
        "description": snapshot.description,
        "created_at": timestamp(snapshot.created_at),
        "group_id": snapshot.group_id,
        "group_type_id": snapshot.group_type_id,
    }


def list_group_snapshots(call: Call) -> Reply:
    caller = path_caller(call)
    found = groups_of(call, "3.14").list_group_snapshots(caller, _all_projects(call))
    return Reply({"group_snapshots": [{"id": s.id, "name": s.name} for s in found]})


def list_group_snapshots_detail(call: Call) -> Reply:
    caller = path_caller(call)
    found = groups_of(call, "3.14").list_group_snapshots(caller, _all_projects(call))
    return Reply({"group_snapshots": [group_snapshot_view(s) for s in found]})


def show_group_snapshot(call: Call) -> Reply:
    groups = groups_of(call, "3.14")
    found = groups.group_snapshot(call.params["group_snapshot_id"], path_caller(call))
    return Reply({"group_snapshot": group_snapshot_view(found)})


def create_group_snapshot(call: Call) -> Reply:
    caller = path_caller(call)
    groups = groups_of(call, "3.14")
    require_writer(caller, "group:create_group_snapshot")
    spec = body_object(call.body, "group_snapshot")
    no_extra_keys("group_snapshot", spec, ("name", "description", "group_id"))
    if "group_id" not in spec:
        raise required("group_snapshot", spec, "group_id")
    created = groups.create_snapshot(
        caller,
        optional_string(spec, "group_id") or "",
        name=optional_string(spec, "name"),
        description=optional_string(spec, "description"),
        context=call.log_context(),
    )
    view = {"id": created.id, "name": created.name, "group_type_id": created.group_type_id}
    return Reply({"group_snapshot": view}, status=202)


def delete_group_snapshot(call: Call) -> Reply:
    caller = path_caller(call)
    groups = groups_of(call, "3.14")
    require_writer(caller, "group:delete_group_snapshot")
    groups.delete_snapshot(call.params["group_snapshot_id"], caller, call.log_context())
    return Reply(status=202)


def group_snapshot_action(call: Call) -> Reply:
    caller = path_caller(call)
    groups = groups_of(call, "3.14")
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise bad_request("Invalid request body: exactly one group snapshot action is expected.")
    ((action, spec),) = body.items()
    if action == "reset_status" and call.at_least("3.19"):
        require_volume_admin(caller, "group:reset_group_snapshot_status")
        groups.reset_snapshot_status(call.params["group_snapshot_id"], caller, _status(spec))
        return Reply(status=202)
    raise bad_request(f"There is no such action: {action}")
