"""Volume types (PowerVC storage templates) and their extra specs."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import (
    flag,
    path_caller,
    volumes_of,
)
from powerbridge.emulator.api.volume.schema import (
    body_object,
    boolean,
    field_error,
    no_extra_keys,
    one_spec,
    optional_string,
    required,
    string_map,
    type_update,
)
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.volume_records import VolumeType, require_volume_admin
from powerbridge.emulator.errors import not_found


def type_view(
    caller: Caller, volume_type: VolumeType, *, access: bool = True, qos: bool = True
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": volume_type.id,
        "name": volume_type.name,
        "description": volume_type.description,
        "is_public": volume_type.is_public,
        "extra_specs": dict(volume_type.extra_specs),
    }
    if access:
        view["os-volume-type-access:is_public"] = volume_type.is_public
    if qos and caller.is_admin:
        view["qos_specs_id"] = volume_type.qos_specs_id
    return view


def _visible_type(call: Call, caller: Caller, type_id: str) -> VolumeType:
    volume_type = volumes_of(call).volume_type_by_id(type_id)
    if not volume_type.usable_by(caller.project_id, caller.is_admin):
        raise not_found(f"Volume type {type_id} could not be found.")
    return volume_type


def list_types(call: Call) -> Reply:
    caller = path_caller(call)
    types = list(volumes_of(call).types.values())
    wanted = call.query.get("is_public")
    if not caller.is_admin:  # public types and the private ones shared with the project
        types = [t for t in types if t.usable_by(caller.project_id, False)]
    elif wanted is not None and wanted.lower() != "none":
        types = [t for t in types if t.is_public == flag(wanted)]
    return Reply({"volume_types": [type_view(caller, t) for t in types]})


def default_type(call: Call) -> Reply:
    caller = path_caller(call)
    found = volumes_of(call).default_volume_type()
    if found is None:
        raise not_found("Default volume type can not be found.")
    return Reply({"volume_type": type_view(caller, found)})


def show_type(call: Call) -> Reply:
    caller = path_caller(call)
    return Reply(
        {"volume_type": type_view(caller, _visible_type(call, caller, call.params["type_id"]))}
    )


def create_type(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "volume_extension:types_manage")
    spec = body_object(call.body, "volume_type")
    no_extra_keys(
        "volume_type",
        spec,
        ("name", "description", "extra_specs", "os-volume-type-access:is_public", "is_public"),
    )
    name = optional_string(spec, "name")
    if "name" not in spec:
        raise required("volume_type", spec, "name")
    if not name or not name.strip():
        raise field_error("name", name, f"{name!r} is too short")
    access = spec.get("os-volume-type-access:is_public", spec.get("is_public", True))
    created = volumes_of(call).create_type(
        name.strip(),
        description=optional_string(spec, "description"),
        extra_specs=string_map(spec.get("extra_specs"), "extra_specs", allow_null=True),
        is_public=boolean(access, "os-volume-type-access:is_public"),
    )
    return Reply({"volume_type": type_view(caller, created, qos=False)})


def update_type(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "volume_extension:types_manage")
    changes = type_update(body_object(call.body, "volume_type"), "volume_type")
    updated = volumes_of(call).update_type(call.params["type_id"], changes)
    return Reply({"volume_type": type_view(caller, updated, access=False, qos=False)})


def delete_type(call: Call) -> Reply:
    caller = path_caller(call)
    rule = "volume_extension:types_manage:delete"  # admin_assist deletes nothing
    require_volume_admin(caller, "volume_extension:types_manage", rule)
    volumes_of(call).delete_type(call.params["type_id"])
    return Reply(status=202)


def list_extra_specs(call: Call) -> Reply:
    caller = path_caller(call)
    volume_type = _visible_type(call, caller, call.params["type_id"])
    return Reply({"extra_specs": dict(volume_type.extra_specs)})


def create_extra_specs(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "volume_extension:types_extra_specs:create")
    specs = string_map(body_object(call.body, "extra_specs"), "extra_specs")
    volumes_of(call).set_extra_specs(call.params["type_id"], specs)
    return Reply({"extra_specs": specs})


def show_extra_spec(call: Call) -> Reply:
    caller = path_caller(call)
    _visible_type(call, caller, call.params["type_id"])
    key = call.params["key"]
    return Reply({key: volumes_of(call).extra_spec(call.params["type_id"], key)})


def update_extra_spec(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "volume_extension:types_extra_specs:update")
    spec = one_spec(call.body, call.params["key"], "extra_specs")
    volumes_of(call).set_extra_specs(call.params["type_id"], spec)
    return Reply(spec)


def delete_extra_spec(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "volume_extension:types_extra_specs:delete")
    volumes_of(call).delete_extra_spec(call.params["type_id"], call.params["key"])
    return Reply(status=202)
