"""Volumes: cinder's detail and summary views, list (filters, sort, pages), summary, create,
show, update, delete.

Response fields appear at the microversion that added them (group_id 3.13, provider_id 3.21,
count 3.45, service_uuid and shared_targets 3.48)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import (
    flag,
    links,
    path_caller,
    timestamp,
    volumes_of,
)
from powerbridge.emulator.api.volume.listing import list_body, list_query, metadata_filter, page
from powerbridge.emulator.api.volume.schema import (
    body_object,
    boolean,
    field_error,
    no_extra_keys,
    optional_string,
    renamed_string,
    string_map,
    volume_size,
)
from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.backend.volume_records import (
    AVAILABILITY_ZONE,
    DELETE_REFUSED,
    Attachment,
    Volume,
    invalid_input,
    volume_not_found,
)
from powerbridge.emulator.errors import bad_request, not_found

CREATE_KEYS = {
    "name",
    "description",
    "display_name",
    "display_description",
    "volume_type",
    "metadata",
    "snapshot_id",
    "source_volid",
    "consistencygroup_id",
    "size",
    "availability_zone",
    "multiattach",
    "image_id",
    "imageRef",
}
UPDATE_KEYS = ("name", "description", "display_name", "display_description", "metadata")
# filters a non-admin may use (cinder's resource_filters.json for volumes)
USER_FILTERS = {
    "name",
    "status",
    "metadata",
    "bootable",
    "migration_status",
    "availability_zone",
    "group_id",
    "size",
}
SORT_FIELDS: dict[str, Callable[[Volume], Any]] = {
    "id": lambda v: v.id,
    "name": lambda v: v.name,
    "display_name": lambda v: v.name,
    "description": lambda v: v.description,
    "display_description": lambda v: v.description,
    "created_at": lambda v: v.created_at,
    "updated_at": lambda v: v.updated_at,
    "size": lambda v: v.size,
    "status": lambda v: v.status,
    "availability_zone": lambda v: v.availability_zone,
    "bootable": lambda v: v.bootable,
    "user_id": lambda v: v.user_id,
    "project_id": lambda v: v.project_id,
    "volume_type_id": lambda v: v.volume_type_id,
    "multiattach": lambda v: v.multiattach,
}


def _attachment_view(attachment: Attachment, is_admin: bool) -> dict[str, Any]:
    return {
        "id": attachment.volume_id,
        "attachment_id": attachment.attachment_id,
        "volume_id": attachment.volume_id,
        "server_id": attachment.server_id,
        "host_name": attachment.host_name if is_admin else None,
        "device": attachment.device,
        "attached_at": timestamp(attachment.attached_at),
    }


def _visible_metadata(volume: Volume, attachments: list[Attachment]) -> dict[str, str]:
    """User metadata plus the admin metadata cinder shows everyone (readonly, attached_mode)."""
    shown = dict(volume.metadata)
    if volume.readonly is not None:
        shown["readonly"] = str(volume.readonly)
    if attachments:
        shown["attached_mode"] = "ro" if volume.readonly else "rw"
    return shown


def volume_view(call: Call, volume: Volume, *, extended: bool = True) -> dict[str, Any]:
    """cinder's detail view; `extended` adds the os-vol-* extension attributes (show, list)."""
    caller = call.auth
    backend = volumes_of(call)
    attachments = [a for a in backend.attachments_of_volume(volume.id) if a.visible]
    view: dict[str, Any] = {
        "id": volume.id,
        "status": volume.status,
        "size": volume.size,
        "availability_zone": volume.availability_zone,
        "created_at": timestamp(volume.created_at),
        "updated_at": timestamp(volume.updated_at),
        "name": volume.name,
        "description": volume.description,
        "volume_type": backend.type_name(volume),
        "snapshot_id": volume.snapshot_id,
        "source_volid": volume.source_volid,
        "metadata": _visible_metadata(volume, attachments),
        "links": links(call, "volumes", volume.id),
        "user_id": volume.user_id,
        "bootable": "true" if volume.bootable else "false",
        "encrypted": False,
        "replication_status": "disabled",
        "consistencygroup_id": None,
        "multiattach": volume.multiattach,
        "attachments": [_attachment_view(a, caller.is_admin) for a in attachments],
    }
    if caller.is_admin:
        view["migration_status"] = None
    _add_versioned_fields(call, volume, view)
    if extended:
        _add_extension_fields(caller, volume, view)
    return view


def _add_versioned_fields(call: Call, volume: Volume, view: dict[str, Any]) -> None:
    if call.at_least("3.13"):
        view["group_id"] = call.emulator.volume_groups.group_of(volume.id)
    if call.at_least("3.21") and call.auth.is_admin:
        view["provider_id"] = None
    if call.at_least("3.48"):
        view["shared_targets"] = False
        view["service_uuid"] = (
            str(uuid.uuid5(uuid.NAMESPACE_DNS, f"cinder-volume.{volume.provider}"))
            if volume.host
            else None
        )


def _add_extension_fields(caller: Caller, volume: Volume, view: dict[str, Any]) -> None:
    view["os-vol-tenant-attr:tenant_id"] = volume.project_id
    if caller.is_admin:
        view["os-vol-host-attr:host"] = volume.host
        view["os-vol-mig-status-attr:migstat"] = None
        view["os-vol-mig-status-attr:name_id"] = None
    if volume.image_metadata:
        view["volume_image_metadata"] = dict(volume.image_metadata)


def _summary_view(call: Call, volume: Volume) -> dict[str, Any]:
    return {"id": volume.id, "name": volume.name, "links": links(call, "volumes", volume.id)}


def _filters(call: Call, caller: Caller, params: dict[str, str]) -> list[Callable[[Volume], bool]]:
    """Turn the remaining query parameters into predicates (cinder's filter rules)."""
    if not caller.is_admin and call.at_least("3.31"):
        like = {f"{k}~" for k in USER_FILTERS} if call.at_least("3.34") else set()
        invalid = [k for k in params if k not in USER_FILTERS | like]
        if invalid:
            raise bad_request(f"Invalid filters {','.join(invalid)} are found in query options.")
    checks: list[Callable[[Volume], bool]] = []
    for key, text in params.items():
        check = _filter_check(call, key, text)
        if check is not None:
            checks.append(check)
    return checks


def _filter_check(call: Call, key: str, text: str) -> Callable[[Volume], bool] | None:
    if key in ("name", "display_name"):
        return lambda v: v.name == text
    if key in ("name~", "display_name~") and call.at_least("3.34"):
        return lambda v: text.lower() in (v.name or "").lower()
    if key == "status":
        return lambda v: v.status == text
    if key == "metadata":
        wanted = metadata_filter(text)
        return lambda v: all(v.metadata.get(k) == value for k, value in wanted.items())
    if key == "bootable":
        return lambda v: v.bootable == flag(text)
    if key == "availability_zone":
        return lambda v: v.availability_zone == text
    if key == "size":
        return lambda v: str(v.size) == text
    if key in ("project_id", "tenant_id") and call.auth.is_admin:  # with all_tenants
        return lambda v: v.project_id == text
    if key == "group_id":
        return lambda v: call.emulator.volume_groups.group_of(v.id) == text
    if key == "migration_status":
        return lambda v: False  # no volume is migrating
    return None


def list_volumes(call: Call) -> Reply:
    return _list_reply(call, detailed=False)


def list_volumes_detail(call: Call) -> Reply:
    return _list_reply(call, detailed=True)


def _list_reply(call: Call, detailed: bool) -> Reply:
    caller = path_caller(call)
    query = list_query(call, caller, SORT_FIELDS)
    checks = _filters(call, caller, query.filters)
    volumes = volumes_of(call).list_volumes(caller, all_projects=query.all_tenants)
    found, total = page(query, volumes, SORT_FIELDS, checks)
    view = volume_view if detailed else _summary_view
    views = [view(call, v) for v in found]
    return Reply(list_body(call, "volumes", found, views, total, query, detail=detailed))


def volume_summary(call: Call) -> Reply:
    caller = path_caller(call)
    if not call.at_least("3.12"):
        raise volume_not_found("summary")
    all_tenants = flag(call.query.get("all_tenants")) and caller.is_admin
    volumes = volumes_of(call).list_volumes(caller, all_projects=all_tenants)
    summary: dict[str, Any] = {
        "total_size": sum(v.size for v in volumes),
        "total_count": len(volumes),
    }
    if call.at_least("3.36"):
        values: dict[str, list[str]] = {}
        for volume in volumes:
            for key, value in volume.metadata.items():
                if value not in values.setdefault(key, []):
                    values[key].append(value)
        summary["metadata"] = values
    return Reply({"volume-summary": summary})


def _image_ref(spec: Mapping[str, Any]) -> str | None:
    ref = optional_string(spec, "imageRef") or optional_string(spec, "image_id")
    if not ref:
        return None
    return ref.rstrip("/").rsplit("/", 1)[-1]  # a glance URL names the image last


def _check_create_references(spec: Mapping[str, Any]) -> None:
    consistency_group = optional_string(spec, "consistencygroup_id")
    if consistency_group:
        raise not_found(f"ConsistencyGroup {consistency_group} could not be found.")
    backup_id = optional_string(spec, "backup_id")
    if backup_id:
        raise not_found(f"Backup {backup_id} could not be found.")
    zone = optional_string(spec, "availability_zone")
    if zone is not None and zone != AVAILABILITY_ZONE:
        raise bad_request(f"Availability zone '{zone}' is invalid.")


def create_volume(call: Call) -> Reply:
    caller = path_caller(call)
    require_writer(caller, "volume:create")
    body = call.body
    spec = body_object(body, "volume")
    _no_extra_keys_top(body)
    if call.at_least("3.53"):
        no_extra_keys("volume", spec, CREATE_KEYS | {"group_id", "backup_id"})
    _check_create_references(spec)
    source_volid = optional_string(spec, "source_volid")
    snapshot_id = optional_string(spec, "snapshot_id")
    if spec.get("size") is None and not (source_volid or snapshot_id):
        raise invalid_input("Volume size 'None' must be an integer and greater than 0")
    group_id = _group_for(call, caller, spec)
    volume = volumes_of(call).create(
        caller,
        size=volume_size(spec["size"]) if spec.get("size") is not None else 0,
        name=renamed_string(spec, "name", "display_name"),
        description=renamed_string(spec, "description", "display_description"),
        volume_type=optional_string(spec, "volume_type"),
        image_id=_image_ref(spec),
        multiattach=boolean(spec.get("multiattach"), "multiattach", allow_null=True),
        metadata=string_map(spec.get("metadata"), "metadata", allow_null=True),
        context=call.log_context(),
        source_volid=source_volid,
        snapshot_id=snapshot_id,
    )
    if group_id:
        call.emulator.volume_groups.join(group_id, volume)
    return Reply({"volume": volume_view(call, volume, extended=False)}, status=202)


def _group_for(call: Call, caller: Caller, spec: Mapping[str, Any]) -> str | None:
    """The group a new volume joins (3.13+): it must exist and serve the volume's type."""
    group_id = optional_string(spec, "group_id")
    if not group_id:
        return None
    groups = call.emulator.volume_groups
    if not call.at_least("3.13"):
        raise not_found(f"Group {group_id} could not be found.")
    requested = optional_string(spec, "volume_type")
    volume_type = volumes_of(call).volume_type(requested) if requested else None
    groups.check_new_member(group_id, caller, volume_type.id if volume_type else None)
    return group_id


def _no_extra_keys_top(body: dict[str, Any]) -> None:
    extra = sorted(k for k in body if k not in ("volume", "OS-SCH-HNT:scheduler_hints"))
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        raise bad_request(
            f"Additional properties are not allowed ({listed} "
            f"{'were' if len(extra) > 1 else 'was'} unexpected)"
        )


def show_volume(call: Call) -> Reply:
    volume = volumes_of(call).volume(call.params["volume_id"], path_caller(call))
    return Reply({"volume": volume_view(call, volume)})


def update_volume(call: Call) -> Reply:
    caller = path_caller(call)
    require_writer(caller, "volume:update")
    spec = body_object(call.body, "volume")
    no_extra_keys("volume", spec, UPDATE_KEYS)
    if call.at_least("3.53") and not spec:
        raise field_error("volume", spec, "{} is not valid under any of the given schemas")
    changes: dict[str, Any] = {}
    if "name" in spec or "display_name" in spec:
        changes["name"] = renamed_string(spec, "name", "display_name")
    if "description" in spec or "display_description" in spec:
        changes["description"] = renamed_string(spec, "description", "display_description")
    if "metadata" in spec:
        changes["metadata"] = string_map(spec["metadata"], "metadata")
    volume = volumes_of(call).update(call.params["volume_id"], caller, changes)
    return Reply({"volume": volume_view(call, volume, extended=False)})


def delete_volume(call: Call) -> Reply:
    caller = path_caller(call)
    require_writer(caller, "volume:delete")
    cascade = flag(call.query.get("cascade"))
    if call.emulator.volume_groups.group_of(call.params["volume_id"]):
        volumes_of(call).volume(call.params["volume_id"], caller)  # another project's: a 404
        raise bad_request(DELETE_REFUSED)
    volumes_of(call).delete(call.params["volume_id"], caller, call.log_context(), cascade=cascade)
    return Reply(status=202)
