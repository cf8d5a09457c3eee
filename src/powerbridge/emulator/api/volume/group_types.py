"""Group types and their group specs (cinder 3.11+): an admin's, as cinder's policy has it."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import flag, path_caller
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
from powerbridge.emulator.backend.volume_group_types import GroupType, GroupTypes
from powerbridge.emulator.backend.volume_records import require_volume_admin
from powerbridge.emulator.errors import not_found

MANAGE = "group:group_types_manage"
SPECS = "group:group_types_specs"


def types_of(call: Call) -> GroupTypes:
    if not call.at_least("3.11"):  # cinder's VersionNotFoundForAPIMethod
        raise not_found("The resource could not be found.")
    return call.emulator.volume_groups.types


def group_type_view(group_type: GroupType, *, specs: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": group_type.id,
        "name": group_type.name,
        "description": group_type.description,
        "is_public": group_type.is_public,
    }
    if specs:
        view["group_specs"] = dict(group_type.group_specs)
    return view


def _sorted(call: Call, found: list[GroupType]) -> list[GroupType]:
    sort = call.query.get("sort", "")
    key, _, direction = sort.partition(":")
    if key in ("name", "id", "description"):
        found.sort(key=lambda t: str(getattr(t, key) or ""), reverse=direction == "desc")
    return found


def list_group_types(call: Call) -> Reply:
    caller = path_caller(call)
    found = list(types_of(call).types.values())
    wanted = call.query.get("is_public")
    if not caller.is_admin:
        found = [t for t in found if t.is_public]
    elif wanted is not None and wanted.lower() != "none":
        found = [t for t in found if t.is_public == flag(wanted)]
    elif wanted is None:
        found = [t for t in found if t.is_public]  # cinder lists public types by default
    return Reply({"group_types": [group_type_view(t) for t in _sorted(call, found)]})


def default_group_type(call: Call) -> Reply:
    path_caller(call)
    return Reply({"group_type": group_type_view(types_of(call).default())})


def show_group_type(call: Call) -> Reply:
    caller = path_caller(call)
    found = types_of(call).get(call.params["group_type_id"])
    if not (found.is_public or caller.is_admin):
        raise not_found(f"Group type with id {found.id} could not be found.")
    return Reply({"group_type": group_type_view(found)})


def create_group_type(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, MANAGE)
    spec = body_object(call.body, "group_type")
    no_extra_keys("group_type", spec, ("name", "description", "group_specs", "is_public"))
    if "name" not in spec:
        raise required("group_type", spec, "name")
    name = optional_string(spec, "name")
    if not name or not name.strip():
        raise field_error("name", name, f"{name!r} is too short")
    created = types_of(call).create(
        name.strip(),
        description=optional_string(spec, "description"),
        is_public=boolean(spec.get("is_public", True), "is_public"),
        group_specs=string_map(spec.get("group_specs"), "group_specs", allow_null=True),
    )
    return Reply({"group_type": group_type_view(created)}, status=202)


def update_group_type(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, MANAGE)
    changes = type_update(body_object(call.body, "group_type"), "group_type")
    updated = types_of(call).update(call.params["group_type_id"], changes)
    return Reply({"group_type": group_type_view(updated)})


def delete_group_type(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, MANAGE)
    type_id = types_of(call).get(call.params["group_type_id"]).id
    in_use = call.emulator.volume_groups.type_in_use(type_id)
    types_of(call).delete(type_id, in_use)
    return Reply(status=202)


def list_group_specs(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, SPECS)
    found = types_of(call).get(call.params["group_type_id"])
    return Reply({"group_specs": dict(found.group_specs)})


def create_group_specs(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, SPECS)
    specs = string_map(body_object(call.body, "group_specs"), "group_specs")
    types_of(call).set_specs(call.params["group_type_id"], specs)
    return Reply({"group_specs": specs}, status=202)


def show_group_spec(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, SPECS)
    key = call.params["key"]
    return Reply({key: types_of(call).spec(call.params["group_type_id"], key)})


def update_group_spec(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, SPECS)
    spec = one_spec(call.body, call.params["key"], "group_specs")
    types_of(call).set_specs(call.params["group_type_id"], spec)
    return Reply(spec)


def delete_group_spec(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, SPECS)
    types_of(call).delete_spec(call.params["group_type_id"], call.params["key"])
    return Reply(status=202)
