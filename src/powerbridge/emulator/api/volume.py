"""Cinder v2 and v3 over HTTP: versions, volumes (with metadata and actions), volume types
(PowerVC storage templates) with extra specs, limits, pools and availability zones.

Every resource route exists under `/v2/{project_id}` (no microversions) and `/v3/{project_id}`
(microversions 3.0 to 3.59); response fields appear at the microversion that added them
(group_id 3.13, provider_id 3.21, count 3.45, service_uuid and shared_targets 3.48). Bodies are
checked the way cinder's JSON schemas do, with its `Invalid input for field/attribute` wording.
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from powerbridge.emulator.api.microversions import VOLUME_V3
from powerbridge.emulator.api.routing import Call, Handler, Reply, RouteTable, ServiceInfo
from powerbridge.emulator.backend.identity import Caller, require_writer
from powerbridge.emulator.backend.volume import (
    AVAILABILITY_ZONE,
    VALID_STATUSES,
    Attachment,
    Volume,
    VolumeBackend,
    VolumeType,
    invalid_input,
    require_volume_admin,
    volume_not_found,
)
from powerbridge.emulator.errors import ApiError, bad_request, forbidden, not_found

SERVICE = ServiceInfo("volume", "cinder-api", "cinder.api.openstack.wsgi")
routes = RouteTable(SERVICE, VOLUME_V3, trailing_slash=False)

MAX_LIMIT = 1000
DB_MAX_INT = 0x7FFFFFFF
UNLIMITED = -1
DESCRIBED_BY = {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}
BOOLEAN_ENUM: list[bool | str] = [
    True,
    "True",
    "TRUE",
    "true",
    "1",
    "ON",
    "On",
    "on",
    "YES",
    "Yes",
    "yes",
    False,
    "False",
    "FALSE",
    "false",
    "0",
    "OFF",
    "Off",
    "off",
    "NO",
    "No",
    "no",
]
TRUE_STRINGS = ("true", "1", "on", "yes", "y", "t")
KEY_PATTERN = re.compile(r"^[a-zA-Z0-9-_:. /]{1,255}$")
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
PAGING_KEYS = ("limit", "marker", "offset", "sort", "sort_key", "sort_dir", "with_count")
SORT_FIELDS: dict[str, Callable[[VolumeBackend, Volume], Any]] = {
    "id": lambda b, v: v.id,
    "name": lambda b, v: v.name,
    "display_name": lambda b, v: v.name,
    "description": lambda b, v: v.description,
    "display_description": lambda b, v: v.description,
    "created_at": lambda b, v: v.created_at,
    "updated_at": lambda b, v: v.updated_at,
    "size": lambda b, v: v.size,
    "status": lambda b, v: v.status,
    "availability_zone": lambda b, v: v.availability_zone,
    "bootable": lambda b, v: v.bootable,
    "user_id": lambda b, v: v.user_id,
    "project_id": lambda b, v: v.project_id,
    "volume_type_id": lambda b, v: v.volume_type_id,
    "multiattach": lambda b, v: v.multiattach,
}


# -- registration and common helpers ------------------------------------------------------
def both(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register one handler under v2 (no microversions) and v3 (3.0 to 3.59)."""

    def register(handler: Handler) -> Handler:
        routes.route(method, "/v2/{project_id}" + path, microversions=None)(handler)
        routes.route(method, "/v3/{project_id}" + path)(handler)
        return handler

    return register


def _caller(call: Call) -> Caller:
    """The token's identity; a token for another project than the URL's is refused."""
    caller = call.auth
    path_project = call.params.get("project_id", "")
    if path_project != caller.project_id and not caller.is_admin:
        raise forbidden(
            f"URL's project_id '{path_project}' doesn't match Context's project_id "
            f"'{caller.project_id}'"
        )
    return caller


def _backend(call: Call) -> VolumeBackend:
    return call.emulator.volumes


def _at_least(call: Call, version: str) -> bool:
    return call.microversion is not None and call.microversion.at_least(version)


def _api_version(call: Call) -> str:
    return "v2" if call.microversion is None else "v3"


def _timestamp(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _project_of(call: Call, caller: Caller) -> str:
    return caller.project_id or call.params.get("project_id", "")


def _links(call: Call, collection: str, item_id: str) -> list[dict[str, str]]:
    root = call.base_url()
    project = _project_of(call, call.auth)
    return [
        {"rel": "self", "href": f"{root}/{_api_version(call)}/{project}/{collection}/{item_id}"},
        {"rel": "bookmark", "href": f"{root}/{project}/{collection}/{item_id}"},
    ]


# -- cinder's schema checks, hand-written with its messages -------------------------------
def _show(value: Any) -> str:
    return str(value)


def field_error(name: str, value: Any, reason: str) -> ApiError:
    return bad_request(f"Invalid input for field/attribute {name}. Value: {_show(value)}. {reason}")


def _required(container: str | None, value: Any, key: str) -> ApiError:
    reason = f"'{key}' is a required property"
    return bad_request(reason) if container is None else field_error(container, value, reason)


def body_object(body: Any, key: str) -> dict[str, Any]:
    """`body[key]`, which must be a JSON object."""
    if not isinstance(body, dict):
        raise bad_request(f"{body!r} is not of type 'object'")
    if key not in body:
        raise _required(None, body, key)
    value = body[key]
    if not isinstance(value, dict):
        raise field_error(key, value, f"{value!r} is not of type 'object'")
    return value


def _no_extra_keys(name: str, value: dict[str, Any], allowed: Any) -> None:
    extra = sorted(k for k in value if k not in allowed)
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        verb = "were" if len(extra) > 1 else "was"
        raise field_error(
            name, value, f"Additional properties are not allowed ({listed} {verb} unexpected)"
        )


def optional_string(spec: Mapping[str, Any], key: str, max_length: int = 255) -> str | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise field_error(key, value, f"{value!r} is not of type 'string', 'null'")
    if len(value) > max_length:
        raise field_error(key, value, f"{value!r} is too long")
    return value


def volume_size(value: Any, name: str = "size") -> int:
    """cinder's `volume_size`: an integer, or a string of digits, of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise field_error(name, value, f"{value!r} is not of type 'integer', 'string'")
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]+", value):
            raise field_error(name, value, f"{value!r} does not match '^[0-9]+$'")
        return int(value)
    if value < 1:
        raise field_error(name, value, f"{value} is less than the minimum of 1")
    if value > DB_MAX_INT:
        raise field_error(name, value, f"{value} is greater than the maximum of {DB_MAX_INT}")
    return value


def boolean(value: Any, name: str, *, allow_null: bool = False) -> bool:
    if value is None and allow_null:
        return False
    if value not in BOOLEAN_ENUM or not isinstance(value, bool | str):
        raise field_error(name, value, f"{value!r} is not one of {BOOLEAN_ENUM!r}")
    return value is True or (isinstance(value, str) and value.lower() in TRUE_STRINGS)


def string_map(value: Any, name: str, *, allow_null: bool = False) -> dict[str, str]:
    """Metadata and extra specs: keys of 1-255 safe characters, string values up to 255."""
    if value is None and allow_null:
        return {}
    if not isinstance(value, dict):
        kinds = "'object', 'null'" if allow_null else "'object'"
        raise field_error(name, value, f"{value!r} is not of type {kinds}")
    bad_keys = [k for k in value if not KEY_PATTERN.match(k)]
    if bad_keys:
        _no_extra_keys(name, value, set(value) - set(bad_keys))
    for key, item in value.items():
        if not isinstance(item, str):
            raise field_error(key, item, f"{item!r} is not of type 'string'")
        if len(item) > 255:
            raise field_error(key, item, f"{item!r} is too long")
    return dict(value)


def _bool_param(text: str | None) -> bool:
    return text is not None and text.strip().lower() in TRUE_STRINGS


# -- versions -----------------------------------------------------------------------------
def _version_doc(call: Call, major: int) -> dict[str, Any]:
    current = major == 3
    return {
        "id": f"v{major}.0",
        "status": "CURRENT" if current else "DEPRECATED",
        "version": str(VOLUME_V3.maximum) if current else "",
        "min_version": str(VOLUME_V3.minimum) if current else "",
        "updated": "2016-02-08T12:20:21Z" if current else "2017-02-25T12:00:00Z",
        "links": [DESCRIBED_BY, {"rel": "self", "href": f"{call.base_url()}/v{major}/"}],
        "media-types": [
            {
                "base": "application/json",
                "type": f"application/vnd.openstack.volume+json;version={major}",
            }
        ],
    }


@routes.get("/", public=True, microversions=None)
def versions(call: Call) -> Reply:
    return Reply({"versions": [_version_doc(call, 2), _version_doc(call, 3)]}, status=300)


@routes.get("/v3", public=True)
def version_v3(call: Call) -> Reply:
    return Reply({"versions": [_version_doc(call, 3)]})


@routes.get("/v2", public=True, microversions=None)
def version_v2(call: Call) -> Reply:
    return Reply({"versions": [_version_doc(call, 2)]})


# -- volume views -------------------------------------------------------------------------
def _attachment_view(attachment: Attachment, is_admin: bool) -> dict[str, Any]:
    return {
        "id": attachment.volume_id,
        "attachment_id": attachment.attachment_id,
        "volume_id": attachment.volume_id,
        "server_id": attachment.server_id,
        "host_name": attachment.host_name if is_admin else None,
        "device": attachment.device,
        "attached_at": _timestamp(attachment.attached_at),
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
    backend = _backend(call)
    attachments = [a for a in backend.attachments_of_volume(volume.id) if a.visible]
    view: dict[str, Any] = {
        "id": volume.id,
        "status": volume.status,
        "size": volume.size,
        "availability_zone": volume.availability_zone,
        "created_at": _timestamp(volume.created_at),
        "updated_at": _timestamp(volume.updated_at),
        "name": volume.name,
        "description": volume.description,
        "volume_type": backend.type_name(volume),
        "snapshot_id": volume.snapshot_id,
        "source_volid": volume.source_volid,
        "metadata": _visible_metadata(volume, attachments),
        "links": _links(call, "volumes", volume.id),
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
    if _at_least(call, "3.13"):
        view["group_id"] = None
    if _at_least(call, "3.21") and call.auth.is_admin:
        view["provider_id"] = None
    if _at_least(call, "3.48"):
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
    return {"id": volume.id, "name": volume.name, "links": _links(call, "volumes", volume.id)}


# -- volume listing -----------------------------------------------------------------------
def _limit(params: dict[str, str]) -> int:
    text = params.pop("limit", None)
    if text is None:
        return MAX_LIMIT
    try:
        limit = int(text)
    except ValueError:
        raise bad_request("limit param must be an integer") from None
    if limit < 0:
        raise bad_request("limit param must be positive")
    return min(limit, MAX_LIMIT)


def _offset(params: dict[str, str]) -> int:
    text = params.pop("offset", "0")
    try:
        offset = int(text)
    except ValueError:
        raise invalid_input("offset must be an integer") from None
    if offset < 0:
        raise invalid_input("offset must be >= 0")
    return offset


def _sort_params(params: dict[str, str]) -> list[tuple[str, str]]:
    if "sort" in params and ("sort_key" in params or "sort_dir" in params):
        raise bad_request(
            "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with "
            "the 'sort' parameter."
        )
    pairs: list[tuple[str, str]] = []
    if "sort" in params:
        for item in params.pop("sort").strip().split(","):
            key, _, direction = item.partition(":")
            pairs.append((key.strip(), direction.strip() or "desc"))
    else:
        key = params.pop("sort_key", "created_at").strip()
        pairs.append((key, params.pop("sort_dir", "desc").strip()))
    for key, direction in pairs:
        if direction not in ("asc", "desc"):
            raise invalid_input("Unknown sort direction, must be 'desc' or 'asc'")
        if key not in SORT_FIELDS:
            raise invalid_input("Invalid sort key")
    first_direction = pairs[0][1]
    for default_key in ("created_at", "id"):
        if all(key != default_key for key, _ in pairs):
            pairs.append((default_key, first_direction))
    return pairs


def _sorted(
    backend: VolumeBackend, volumes: list[Volume], pairs: list[tuple[str, str]]
) -> list[Volume]:
    ordered = list(volumes)
    for key, direction in reversed(pairs):
        getter = SORT_FIELDS[key]

        def sort_key(volume: Volume, getter: Any = getter) -> tuple[bool, Any]:
            value = getter(backend, volume)
            return (value is not None, value if value is not None else 0)

        ordered.sort(key=sort_key, reverse=direction == "desc")
    return ordered


def _metadata_filter(text: str) -> dict[str, str]:
    """cinder takes `metadata={'k': 'v'}` (a Python or JSON object literal)."""
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
    raise invalid_input(f"Invalid metadata filter {text}: it must be an object, e.g. {{'k': 'v'}}")


def _filters(call: Call, caller: Caller, params: dict[str, str]) -> list[Callable[[Volume], bool]]:
    """Turn the remaining query parameters into predicates (cinder's filter rules)."""
    if not caller.is_admin and _at_least(call, "3.31"):
        like = {f"{k}~" for k in USER_FILTERS} if _at_least(call, "3.34") else set()
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
    if key in ("name~", "display_name~") and _at_least(call, "3.34"):
        return lambda v: text.lower() in (v.name or "").lower()
    if key == "status":
        return lambda v: v.status == text
    if key == "metadata":
        wanted = _metadata_filter(text)
        return lambda v: all(v.metadata.get(k) == value for k, value in wanted.items())
    if key == "bootable":
        return lambda v: v.bootable == _bool_param(text)
    if key == "availability_zone":
        return lambda v: v.availability_zone == text
    if key == "size":
        return lambda v: str(v.size) == text
    if key in ("group_id", "migration_status"):
        return lambda v: False  # no volume is in a group or migrating
    return None


def _page(call: Call, caller: Caller) -> tuple[list[Volume], int, int]:
    """The filtered, sorted page of volumes, the total count, and the limit used."""
    backend = _backend(call)
    params = dict(call.query.items())
    all_tenants = _bool_param(params.pop("all_tenants", None)) and caller.is_admin
    limit, marker, offset = _limit(params), params.pop("marker", None), _offset(params)
    pairs = _sort_params(params)
    params.pop("with_count", None)
    checks = _filters(call, caller, params)
    ordered = _sorted(backend, backend.list_volumes(caller, all_projects=all_tenants), pairs)
    matching = [v for v in ordered if all(check(v) for check in checks)]
    if marker is not None:
        positions = [i for i, v in enumerate(ordered) if v.id == marker]
        if not positions:
            raise not_found(f"Marker {marker} could not be found.")
        after = {v.id for v in ordered[positions[0] + 1 :]}
        remaining = [v for v in matching if v.id in after]
    else:
        remaining = matching
    return remaining[offset : offset + limit], len(matching), limit


def _list_reply(call: Call, detailed: bool) -> Reply:
    caller = _caller(call)
    page, total, limit = _page(call, caller)
    view = volume_view if detailed else _summary_view
    body: dict[str, Any] = {"volumes": [view(call, v) for v in page]}
    if page and len(page) >= limit:
        body["volumes_links"] = [{"rel": "next", "href": _next_link(call, page[-1].id, detailed)}]
    if _at_least(call, "3.45") and _bool_param(call.query.get("with_count")):
        body["count"] = total
    return Reply(body)


def _next_link(call: Call, marker: str, detailed: bool) -> str:
    params = [(k, v) for k, v in call.query.multi_items() if k != "marker"]
    params.append(("marker", marker))
    collection = "volumes/detail" if detailed else "volumes"
    project = _project_of(call, call.auth)
    root = f"{call.base_url()}/{_api_version(call)}/{project}/{collection}"
    return f"{root}?{urlencode(params)}"


@both("GET", "/volumes")
def list_volumes(call: Call) -> Reply:
    return _list_reply(call, detailed=False)


@both("GET", "/volumes/detail")
def list_volumes_detail(call: Call) -> Reply:
    return _list_reply(call, detailed=True)


@both("GET", "/volumes/summary")
def volume_summary(call: Call) -> Reply:
    caller = _caller(call)
    if not _at_least(call, "3.12"):
        raise volume_not_found("summary")
    all_tenants = _bool_param(call.query.get("all_tenants")) and caller.is_admin
    volumes = _backend(call).list_volumes(caller, all_projects=all_tenants)
    summary: dict[str, Any] = {
        "total_size": sum(v.size for v in volumes),
        "total_count": len(volumes),
    }
    if _at_least(call, "3.36"):
        values: dict[str, list[str]] = {}
        for volume in volumes:
            for key, value in volume.metadata.items():
                if value not in values.setdefault(key, []):
                    values[key].append(value)
        summary["metadata"] = values
    return Reply({"volume-summary": summary})


# -- volume create, show, update, delete --------------------------------------------------
def _image_ref(spec: Mapping[str, Any]) -> str | None:
    ref = optional_string(spec, "imageRef") or optional_string(spec, "image_id")
    if not ref:
        return None
    return ref.rstrip("/").rsplit("/", 1)[-1]  # a glance URL names the image last


def _check_create_references(spec: Mapping[str, Any]) -> None:
    consistency_group = optional_string(spec, "consistencygroup_id")
    if consistency_group:
        raise not_found(f"ConsistencyGroup {consistency_group} could not be found.")
    group_id = optional_string(spec, "group_id")
    if group_id:
        raise not_found(f"Group {group_id} could not be found.")
    backup_id = optional_string(spec, "backup_id")
    if backup_id:
        raise not_found(f"Backup {backup_id} could not be found.")
    zone = optional_string(spec, "availability_zone")
    if zone is not None and zone != AVAILABILITY_ZONE:
        raise bad_request(f"Availability zone '{zone}' is invalid.")


@both("POST", "/volumes")
def create_volume(call: Call) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:create")
    body = call.body
    spec = body_object(body, "volume")
    _no_extra_keys_top(body)
    if _at_least(call, "3.53"):
        _no_extra_keys("volume", spec, CREATE_KEYS | {"group_id", "backup_id"})
    _check_create_references(spec)
    source_volid = optional_string(spec, "source_volid")
    snapshot_id = optional_string(spec, "snapshot_id")
    if spec.get("size") is None and not (source_volid or snapshot_id):
        raise invalid_input("Volume size 'None' must be an integer and greater than 0")
    volume = _backend(call).create(
        caller,
        size=volume_size(spec["size"]) if spec.get("size") is not None else 0,
        name=_name(spec, "name", "display_name"),
        description=_name(spec, "description", "display_description"),
        volume_type=optional_string(spec, "volume_type"),
        image_id=_image_ref(spec),
        multiattach=boolean(spec.get("multiattach"), "multiattach", allow_null=True),
        metadata=string_map(spec.get("metadata"), "metadata", allow_null=True),
        context=call.log_context(),
        source_volid=source_volid,
        snapshot_id=snapshot_id,
    )
    return Reply({"volume": volume_view(call, volume, extended=False)}, status=202)


def _no_extra_keys_top(body: dict[str, Any]) -> None:
    extra = sorted(k for k in body if k not in ("volume", "OS-SCH-HNT:scheduler_hints"))
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        raise bad_request(
            f"Additional properties are not allowed ({listed} "
            f"{'were' if len(extra) > 1 else 'was'} unexpected)"
        )


def _name(spec: Mapping[str, Any], key: str, legacy: str) -> str | None:
    """v2 accepts `display_name`/`display_description`; the new name wins."""
    value = optional_string(spec, key)
    return value if key in spec else optional_string(spec, legacy)


@both("GET", "/volumes/{volume_id}")
def show_volume(call: Call) -> Reply:
    volume = _backend(call).volume(call.params["volume_id"], _caller(call))
    return Reply({"volume": volume_view(call, volume)})


@both("PUT", "/volumes/{volume_id}")
def update_volume(call: Call) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:update")
    spec = body_object(call.body, "volume")
    _no_extra_keys("volume", spec, UPDATE_KEYS)
    if _at_least(call, "3.53") and not spec:
        raise field_error("volume", spec, "{} is not valid under any of the given schemas")
    changes: dict[str, Any] = {}
    if "name" in spec or "display_name" in spec:
        changes["name"] = _name(spec, "name", "display_name")
    if "description" in spec or "display_description" in spec:
        changes["description"] = _name(spec, "description", "display_description")
    if "metadata" in spec:
        changes["metadata"] = string_map(spec["metadata"], "metadata")
    volume = _backend(call).update(call.params["volume_id"], caller, changes)
    return Reply({"volume": volume_view(call, volume, extended=False)})


@both("DELETE", "/volumes/{volume_id}")
def delete_volume(call: Call) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:delete")
    cascade = _bool_param(call.query.get("cascade"))
    _backend(call).delete(call.params["volume_id"], caller, call.log_context(), cascade=cascade)
    return Reply(status=202)


# -- volume metadata ----------------------------------------------------------------------
@both("GET", "/volumes/{volume_id}/metadata")
def show_metadata(call: Call) -> Reply:
    volume = _backend(call).volume(call.params["volume_id"], _caller(call))
    return Reply({"metadata": dict(volume.metadata)})


def _write_metadata(call: Call, *, replace: bool) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:update_volume_metadata")
    items = string_map(body_object(call.body, "metadata"), "metadata")
    merged = _backend(call).set_metadata(call.params["volume_id"], caller, items, replace=replace)
    return Reply({"metadata": merged})


@both("POST", "/volumes/{volume_id}/metadata")
def create_metadata(call: Call) -> Reply:
    return _write_metadata(call, replace=False)


@both("PUT", "/volumes/{volume_id}/metadata")
def replace_metadata(call: Call) -> Reply:
    return _write_metadata(call, replace=True)


@both("GET", "/volumes/{volume_id}/metadata/{key}")
def show_metadata_item(call: Call) -> Reply:
    volume = _backend(call).volume(call.params["volume_id"], _caller(call))
    key = call.params["key"]
    if key not in volume.metadata:
        raise not_found("Metadata item was not found")
    return Reply({"meta": {key: volume.metadata[key]}})


@both("PUT", "/volumes/{volume_id}/metadata/{key}")
def update_metadata_item(call: Call) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:update_volume_metadata")
    item = string_map(body_object(call.body, "meta"), "meta")
    key = call.params["key"]
    if key not in item:
        raise bad_request("Request body and URI mismatch")
    if len(item) > 1:
        raise bad_request("Request body contains too many items")
    _backend(call).set_metadata(call.params["volume_id"], caller, item, replace=False)
    return Reply({"meta": item})


@both("DELETE", "/volumes/{volume_id}/metadata/{key}")
def delete_metadata_item(call: Call) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:delete_volume_metadata")
    _backend(call).delete_metadata(call.params["volume_id"], caller, call.params["key"])
    return Reply(status=200)


# -- volume actions -----------------------------------------------------------------------
def _action_extend(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_writer(caller, "volume:extend")
    if not isinstance(args, dict):
        raise field_error("os-extend", args, f"{args!r} is not of type 'object'")
    if "new_size" not in args:
        raise _required("os-extend", args, "new_size")
    new_size = volume_size(args["new_size"], "new_size")
    allow_in_use = _at_least(call, "3.42")
    _backend(call).extend(
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
    _backend(call).reset_status(
        volume_id,
        caller,
        status.lower() if isinstance(status, str) else None,
        attach_status,
        call.log_context(),
    )
    return Reply(status=202)


def _action_set_bootable(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_writer(caller, "volume:update")
    if not isinstance(args, dict) or "bootable" not in args:
        raise _required("os-set_bootable", args, "bootable")
    bootable = boolean(args["bootable"], "bootable")
    _backend(call).set_bootable(volume_id, caller, bootable)
    return Reply(status=200)


def _action_readonly(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_writer(caller, "volume:update_readonly_flag")
    if not isinstance(args, dict) or "readonly" not in args:
        raise _required("os-update_readonly_flag", args, "readonly")
    readonly = boolean(args["readonly"], "readonly")
    _backend(call).set_readonly(volume_id, caller, readonly)
    return Reply(status=202)


def _simple_action(
    method: Callable[[VolumeBackend, str, Caller], None], policy: str
) -> Callable[[Call, Caller, str, Any], Reply]:
    def run(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
        require_writer(caller, policy)
        method(_backend(call), volume_id, caller)
        return Reply(status=202)

    return run


ACTIONS: dict[str, Callable[[Call, Caller, str, Any], Reply]] = {
    "os-extend": _action_extend,
    "os-reset_status": _action_reset_status,
    "os-set_bootable": _action_set_bootable,
    "os-update_readonly_flag": _action_readonly,
    "os-reserve": _simple_action(VolumeBackend.legacy_reserve, "volume:reserve_volume"),
    "os-unreserve": _simple_action(VolumeBackend.legacy_unreserve, "volume:unreserve_volume"),
    "os-begin_detaching": _simple_action(VolumeBackend.begin_detaching, "volume:begin_detaching"),
    "os-roll_detaching": _simple_action(VolumeBackend.roll_detaching, "volume:roll_detaching"),
}


@both("POST", "/volumes/{volume_id}/action")
def volume_action(call: Call) -> Reply:
    caller = _caller(call)
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
    _backend(call).volume(volume_id, caller)  # 404 before any policy or body complaint
    return action(call, caller, volume_id, args)


# -- volume types (storage templates) -----------------------------------------------------
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
    volume_type = _backend(call).volume_type_by_id(type_id)
    if not volume_type.is_public and not caller.is_admin:
        raise not_found(f"Volume type {type_id} could not be found.")
    return volume_type


@both("GET", "/types")
def list_types(call: Call) -> Reply:
    caller = _caller(call)
    types = list(_backend(call).types.values())
    wanted = call.query.get("is_public")
    if not caller.is_admin:
        types = [t for t in types if t.is_public]
    elif wanted is not None and wanted.lower() != "none":
        types = [t for t in types if t.is_public == _bool_param(wanted)]
    return Reply({"volume_types": [type_view(caller, t) for t in types]})


@both("GET", "/types/default")
def default_type(call: Call) -> Reply:
    caller = _caller(call)
    found = _backend(call).default_volume_type()
    if found is None:
        raise not_found("Default volume type can not be found.")
    return Reply({"volume_type": type_view(caller, found)})


@both("GET", "/types/{type_id}")
def show_type(call: Call) -> Reply:
    caller = _caller(call)
    return Reply(
        {"volume_type": type_view(caller, _visible_type(call, caller, call.params["type_id"]))}
    )


@both("POST", "/types")
def create_type(call: Call) -> Reply:
    caller = _caller(call)
    require_volume_admin(caller, "volume_extension:types_manage")
    spec = body_object(call.body, "volume_type")
    _no_extra_keys(
        "volume_type",
        spec,
        ("name", "description", "extra_specs", "os-volume-type-access:is_public", "is_public"),
    )
    name = optional_string(spec, "name")
    if "name" not in spec:
        raise _required("volume_type", spec, "name")
    if not name or not name.strip():
        raise field_error("name", name, f"{name!r} is too short")
    access = spec.get("os-volume-type-access:is_public", spec.get("is_public", True))
    created = _backend(call).create_type(
        name.strip(),
        description=optional_string(spec, "description"),
        extra_specs=string_map(spec.get("extra_specs"), "extra_specs", allow_null=True),
        is_public=boolean(access, "os-volume-type-access:is_public"),
    )
    return Reply({"volume_type": type_view(caller, created, qos=False)})


@both("PUT", "/types/{type_id}")
def update_type(call: Call) -> Reply:
    caller = _caller(call)
    require_volume_admin(caller, "volume_extension:types_manage")
    spec = body_object(call.body, "volume_type")
    _no_extra_keys("volume_type", spec, ("name", "description", "is_public"))
    if not spec:
        raise bad_request(
            "Specify volume type name, description, is_public or a combination thereof."
        )
    changes: dict[str, Any] = {}
    if spec.get("name") is not None:
        name = optional_string(spec, "name") or ""
        if not name.strip():
            raise bad_request("Volume type name can not be empty.")
        changes["name"] = name.strip()
    if "description" in spec:
        changes["description"] = optional_string(spec, "description")
    if spec.get("is_public") is not None:
        changes["is_public"] = boolean(spec["is_public"], "is_public")
    updated = _backend(call).update_type(call.params["type_id"], changes)
    return Reply({"volume_type": type_view(caller, updated, access=False, qos=False)})


@both("DELETE", "/types/{type_id}")
def delete_type(call: Call) -> Reply:
    caller = _caller(call)
    require_volume_admin(caller, "volume_extension:types_manage")
    _backend(call).delete_type(call.params["type_id"])
    return Reply(status=202)


@both("GET", "/types/{type_id}/extra_specs")
def list_extra_specs(call: Call) -> Reply:
    caller = _caller(call)
    volume_type = _visible_type(call, caller, call.params["type_id"])
    return Reply({"extra_specs": dict(volume_type.extra_specs)})


@both("POST", "/types/{type_id}/extra_specs")
def create_extra_specs(call: Call) -> Reply:
    caller = _caller(call)
    require_volume_admin(caller, "volume_extension:types_extra_specs:create")
    specs = string_map(body_object(call.body, "extra_specs"), "extra_specs")
    _backend(call).set_extra_specs(call.params["type_id"], specs)
    return Reply({"extra_specs": specs})


@both("GET", "/types/{type_id}/extra_specs/{key}")
def show_extra_spec(call: Call) -> Reply:
    caller = _caller(call)
    _visible_type(call, caller, call.params["type_id"])
    key = call.params["key"]
    return Reply({key: _backend(call).extra_spec(call.params["type_id"], key)})


@both("PUT", "/types/{type_id}/extra_specs/{key}")
def update_extra_spec(call: Call) -> Reply:
    caller = _caller(call)
    require_volume_admin(caller, "volume_extension:types_extra_specs:update")
    body = call.body
    if not isinstance(body, dict):
        raise bad_request(f"{body!r} is not of type 'object'")
    key = call.params["key"]
    if key not in body:
        raise bad_request("Request body and URI mismatch")
    if len(body) > 1:
        raise bad_request("Request body contains too many items")
    spec = string_map(body, "extra_specs")
    _backend(call).set_extra_specs(call.params["type_id"], spec)
    return Reply(spec)


@both("DELETE", "/types/{type_id}/extra_specs/{key}")
def delete_extra_spec(call: Call) -> Reply:
    caller = _caller(call)
    require_volume_admin(caller, "volume_extension:types_extra_specs:delete")
    _backend(call).delete_extra_spec(call.params["type_id"], call.params["key"])
    return Reply(status=202)


# -- limits, pools, zones -----------------------------------------------------------------
@both("GET", "/limits")
def limits(call: Call) -> Reply:
    caller = _caller(call)
    count, gigabytes = _backend(call).project_usage(_project_of(call, caller))
    absolute = {
        "maxTotalVolumes": UNLIMITED,
        "maxTotalSnapshots": UNLIMITED,
        "maxTotalVolumeGigabytes": UNLIMITED,
        "maxTotalBackups": UNLIMITED,
        "maxTotalBackupGigabytes": UNLIMITED,
        "totalVolumesUsed": count,
        "totalGigabytesUsed": gigabytes,
        "totalSnapshotsUsed": 0,
        "totalBackupsUsed": 0,
        "totalBackupGigabytesUsed": 0,
    }
    return Reply({"limits": {"rate": [], "absolute": absolute}})


@both("GET", "/scheduler-stats/get_pools")
def get_pools(call: Call) -> Reply:
    caller = _caller(call)
    require_volume_admin(caller, "scheduler_extension:scheduler_stats:get_pools")
    detailed = _bool_param(call.query.get("detail"))
    now = _timestamp(call.emulator.clock.now())
    pools = []
    for usage in _backend(call).pool_usage():
        pool: dict[str, Any] = {"name": usage.name}
        if detailed:
            pool["capabilities"] = {
                "pool_name": usage.pool,
                "total_capacity_gb": float(usage.capacity_gb),
                "free_capacity_gb": float(usage.free_gb),
                "allocated_capacity_gb": usage.used_gb,
                "provisioned_capacity_gb": usage.used_gb,
                "max_over_subscription_ratio": "20.0",
                "thin_provisioning_support": True,
                "thick_provisioning_support": True,
                "multiattach": True,
                "QoS_support": False,
                "reserved_percentage": 0,
                "volume_backend_name": usage.provider,
                "vendor_name": "IBM",
                "driver_version": "2.0",
                "storage_protocol": "FC",
                "timestamp": now,
            }
        pools.append(pool)
    return Reply({"pools": pools})


@both("GET", "/os-availability-zone")
def availability_zones(call: Call) -> Reply:
    _caller(call)
    zone = {"zoneName": AVAILABILITY_ZONE, "zoneState": {"available": True}}
    return Reply({"availabilityZoneInfo": [zone]})


# -- services and quotas (read-only: what `openstack volume service list` and
# `openstack quota show` ask for) ---------------------------------------------------------
def _service(call: Call, binary: str, host: str, now: str | None) -> dict[str, Any]:
    service: dict[str, Any] = {
        "binary": binary,
        "host": host,
        "zone": AVAILABILITY_ZONE,
        "status": "enabled",
        "state": "up",
        "updated_at": now,
        "disabled_reason": None,
    }
    if binary == "cinder-volume":
        service.update(replication_status="disabled", active_backend_id=None, frozen=False)
        if _at_least(call, "3.49"):
            service["backend_state"] = "up"
    if _at_least(call, "3.7"):
        service["cluster"] = None
    return service


@both("GET", "/os-services")
def list_services(call: Call) -> Reply:
    caller = _caller(call)
    require_volume_admin(caller, "volume_extension:services:index")
    now = _timestamp(call.emulator.clock.now())
    services = [_service(call, "cinder-scheduler", "powervc", now)]
    services += [
        _service(call, "cinder-volume", f"{name}@{name}", now) for name in _backend(call).providers
    ]
    wanted_binary, wanted_host = call.query.get("binary"), call.query.get("host")
    services = [
        s
        for s in services
        if (wanted_binary is None or s["binary"] == wanted_binary)
        and (wanted_host is None or s["host"] == wanted_host)
    ]
    return Reply({"services": services})


def _quota_usage(call: Call, project_id: str) -> dict[str, int]:
    """In-use amounts per quota resource, including the per-volume-type ones."""
    backend = _backend(call)
    owned = [v for v in backend.volumes.values() if v.project_id == project_id]
    usage = {"volumes": len(owned), "gigabytes": sum(v.size for v in owned)}
    for name in ("snapshots", "backups", "groups", "per_volume_gigabytes", "backup_gigabytes"):
        usage[name] = 0
    for volume_type in backend.types.values():
        typed = [v for v in owned if v.volume_type_id == volume_type.id]
        usage[f"volumes_{volume_type.name}"] = len(typed)
        usage[f"gigabytes_{volume_type.name}"] = sum(v.size for v in typed)
        usage[f"snapshots_{volume_type.name}"] = 0
    return usage


def _quota_reply(call: Call, project_id: str, with_usage: bool) -> Reply:
    quota_set: dict[str, Any] = {"id": project_id}
    for name, in_use in _quota_usage(call, project_id).items():
        if with_usage:
            quota_set[name] = {"limit": UNLIMITED, "in_use": in_use, "reserved": 0}
        else:
            quota_set[name] = UNLIMITED
    return Reply({"quota_set": quota_set})


@both("GET", "/os-quota-sets/{target_project_id}/defaults")
def quota_defaults(call: Call) -> Reply:
    _caller(call)
    return _quota_reply(call, call.params["target_project_id"], with_usage=False)


@both("GET", "/os-quota-sets/{target_project_id}")
def show_quota(call: Call) -> Reply:
    caller = _caller(call)
    target = call.params["target_project_id"]
    if target != caller.project_id and not caller.is_admin:
        raise forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.")
    return _quota_reply(call, target, with_usage=_bool_param(call.query.get("usage")))
