"""Cinder's volume snapshots over HTTP: `/snapshots` (list, detail, create, show, update,
delete), their metadata, and the admin actions `os-reset_status`, `os-update_snapshot_status`
and `os-force_delete`. Registered on the volume route table (v2 and v3) when imported.

Fields follow the microversion: `group_snapshot_id` from 3.14, `user_id` from 3.41; the
detail view adds `os-extended-snapshot-attributes:progress` and `:project_id`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume import (
    _api_version,
    _at_least,
    _bool_param,
    _caller,
    _limit,
    _metadata_filter,
    _no_extra_keys,
    _offset,
    _project_of,
    _timestamp,
    body_object,
    boolean,
    both,
    field_error,
    optional_string,
    string_map,
)
from powerbridge.emulator.backend.identity import Caller, require_writer
from powerbridge.emulator.backend.volume import invalid_input, require_volume_admin
from powerbridge.emulator.backend.volume_snapshots import STATUSES, Snapshot, SnapshotBackend
from powerbridge.emulator.errors import bad_request, not_found

CREATE_KEYS = (
    "volume_id",
    "force",
    "name",
    "display_name",
    "description",
    "display_description",
    "metadata",
)
UPDATE_KEYS = ("name", "display_name", "description", "display_description")
SORT_FIELDS: dict[str, Callable[[Snapshot], Any]] = {
    "id": lambda s: s.id,
    "name": lambda s: s.name,
    "display_name": lambda s: s.name,
    "status": lambda s: s.status,
    "size": lambda s: s.size,
    "volume_id": lambda s: s.volume_id,
    "created_at": lambda s: s.created_at,
    "updated_at": lambda s: s.updated_at,
    "project_id": lambda s: s.project_id,
}


def _backend(call: Call) -> SnapshotBackend:
    return call.emulator.volumes.snapshots


# -- views --------------------------------------------------------------------------------
def snapshot_view(call: Call, snapshot: Snapshot, *, detail: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": snapshot.id,
        "volume_id": snapshot.volume_id,
        "status": snapshot.status,
        "size": snapshot.size,
        "created_at": _timestamp(snapshot.created_at),
        "updated_at": _timestamp(snapshot.updated_at),
        "name": snapshot.name,
        "description": snapshot.description,
        "metadata": dict(snapshot.metadata),
    }
    if _at_least(call, "3.14"):
        view["group_snapshot_id"] = None
    if _at_least(call, "3.41"):
        view["user_id"] = snapshot.user_id
    if detail:
        view["os-extended-snapshot-attributes:progress"] = snapshot.progress
        view["os-extended-snapshot-attributes:project_id"] = snapshot.project_id
    return view


# -- listing ------------------------------------------------------------------------------
def _sort_pairs(params: dict[str, str]) -> list[tuple[str, str]]:
    if "sort" in params and ("sort_key" in params or "sort_dir" in params):
        raise bad_request(
            "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with "
            "the 'sort' parameter."
        )
    if "sort" in params:
        pairs = []
        for item in params.pop("sort").split(","):
            key, _, direction = item.partition(":")
            pairs.append((key.strip(), direction.strip() or "desc"))
    else:
        pairs = [(params.pop("sort_key", "created_at").strip(), params.pop("sort_dir", "desc"))]
    for key, direction in pairs:
        if direction not in ("asc", "desc"):
            raise invalid_input("Unknown sort direction, must be 'desc' or 'asc'")
        if key not in SORT_FIELDS:
            raise invalid_input("Invalid sort key")
    for default_key in ("created_at", "id"):
        if all(key != default_key for key, _ in pairs):
            pairs.append((default_key, pairs[0][1]))
    return pairs


def _sorted(snapshots: list[Snapshot], pairs: list[tuple[str, str]]) -> list[Snapshot]:
    ordered = list(snapshots)
    for key, direction in reversed(pairs):
        getter = SORT_FIELDS[key]

        def sort_key(snapshot: Snapshot, getter: Any = getter) -> tuple[bool, Any]:
            value = getter(snapshot)
            return (value is not None, value if value is not None else 0)

        ordered.sort(key=sort_key, reverse=direction == "desc")
    return ordered


def _filter(key: str, text: str) -> Callable[[Snapshot], bool] | None:
    if key in ("name", "display_name"):
        return lambda s: s.name == text
    if key == "status":
        return lambda s: s.status == text
    if key == "volume_id":
        return lambda s: s.volume_id == text
    if key == "metadata":
        wanted = _metadata_filter(text)
        return lambda s: all(s.metadata.get(k) == v for k, v in wanted.items())
    if key == "project_id":
        return lambda s: s.project_id == text
    return None  # cinder ignores filters it does not know for snapshots


def _list(call: Call, *, detail: bool) -> Reply:
    caller = _caller(call)
    params = dict(call.query.items())
    all_tenants = _bool_param(params.pop("all_tenants", None)) and caller.is_admin
    limit, marker, offset = _limit(params), params.pop("marker", None), _offset(params)
    pairs = _sort_pairs(params)
    params.pop("with_count", None)
    checks = [c for c in (_filter(k, v) for k, v in params.items()) if c is not None]
    ordered = _sorted(_backend(call).list_snapshots(caller, all_projects=all_tenants), pairs)
    matching = [s for s in ordered if all(check(s) for check in checks)]
    if marker is not None:
        ids = [s.id for s in matching]
        if marker not in ids:
            raise not_found(f"Marker {marker} could not be found.")
        matching = matching[ids.index(marker) + 1 :]
    page = matching[offset : offset + limit]
    body: dict[str, Any] = {"snapshots": [snapshot_view(call, s, detail=detail) for s in page]}
    if page and len(page) >= limit:
        body["snapshots_links"] = [{"rel": "next", "href": _next(call, page[-1].id, detail)}]
    if _at_least(call, "3.45") and _bool_param(call.query.get("with_count")):
        body["count"] = len(matching)
    return Reply(body)


def _next(call: Call, marker: str, detail: bool) -> str:
    query = [(k, v) for k, v in call.query.multi_items() if k != "marker"]
    query.append(("marker", marker))
    collection = "snapshots/detail" if detail else "snapshots"
    project = _project_of(call, call.auth)
    return f"{call.base_url()}/{_api_version(call)}/{project}/{collection}?{urlencode(query)}"


@both("GET", "/snapshots")
def list_snapshots(call: Call) -> Reply:
    return _list(call, detail=False)


@both("GET", "/snapshots/detail")
def list_snapshots_detail(call: Call) -> Reply:
    return _list(call, detail=True)


# -- create, show, update, delete ---------------------------------------------------------
def _text(spec: dict[str, Any], key: str, legacy: str) -> str | None:
    """The new name wins over the v1 `display_*` one."""
    return optional_string(spec, key) if key in spec else optional_string(spec, legacy)


@both("POST", "/snapshots")
def create_snapshot(call: Call) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:create_snapshot")
    spec = body_object(call.body, "snapshot")
    _no_extra_keys("snapshot", spec, CREATE_KEYS)
    if "volume_id" not in spec:
        raise field_error("snapshot", spec, "'volume_id' is a required property")
    volume_id = spec["volume_id"]
    if volume_id is not None and not isinstance(volume_id, str):
        raise field_error("volume_id", volume_id, f"{volume_id!r} is not of type 'string', 'null'")
    snapshot = _backend(call).create(
        caller,
        str(volume_id),  # null is looked up, and not found, as cinder does
        name=_text(spec, "name", "display_name"),
        description=_text(spec, "description", "display_description"),
        metadata=string_map(spec.get("metadata"), "metadata", allow_null=True),
        force=boolean(spec.get("force", False), "force"),
        context=call.log_context(),
    )
    return Reply({"snapshot": snapshot_view(call, snapshot, detail=False)}, status=202)


@both("GET", "/snapshots/{snapshot_id}")
def show_snapshot(call: Call) -> Reply:
    snapshot = _backend(call).snapshot(call.params["snapshot_id"], _caller(call))
    return Reply({"snapshot": snapshot_view(call, snapshot, detail=True)})


@both("PUT", "/snapshots/{snapshot_id}")
def update_snapshot(call: Call) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:update_snapshot")
    spec = body_object(call.body, "snapshot")
    _no_extra_keys("snapshot", spec, UPDATE_KEYS)
    if not spec:
        raise bad_request("Snapshot update: specify name and/or description.")
    changes: dict[str, Any] = {}
    if "name" in spec or "display_name" in spec:
        changes["name"] = _text(spec, "name", "display_name")
    if "description" in spec or "display_description" in spec:
        changes["description"] = _text(spec, "description", "display_description")
    snapshot = _backend(call).update(call.params["snapshot_id"], caller, changes)
    return Reply({"snapshot": snapshot_view(call, snapshot, detail=False)})


@both("DELETE", "/snapshots/{snapshot_id}")
def delete_snapshot(call: Call) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:delete_snapshot")
    _backend(call).delete(call.params["snapshot_id"], caller, call.log_context())
    return Reply(status=202)


# -- metadata -----------------------------------------------------------------------------
@both("GET", "/snapshots/{snapshot_id}/metadata")
def show_metadata(call: Call) -> Reply:
    snapshot = _backend(call).snapshot(call.params["snapshot_id"], _caller(call))
    return Reply({"metadata": dict(snapshot.metadata)})


def _write_metadata(call: Call, *, replace: bool) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:update_snapshot_metadata")
    items = string_map(body_object(call.body, "metadata"), "metadata")
    merged = _backend(call).set_metadata(call.params["snapshot_id"], caller, items, replace=replace)
    return Reply({"metadata": merged})


@both("POST", "/snapshots/{snapshot_id}/metadata")
def create_metadata(call: Call) -> Reply:
    return _write_metadata(call, replace=False)


@both("PUT", "/snapshots/{snapshot_id}/metadata")
def replace_metadata(call: Call) -> Reply:
    return _write_metadata(call, replace=True)


@both("GET", "/snapshots/{snapshot_id}/metadata/{key}")
def show_metadata_item(call: Call) -> Reply:
    snapshot = _backend(call).snapshot(call.params["snapshot_id"], _caller(call))
    key = call.params["key"]
    if key not in snapshot.metadata:
        raise not_found(f"Metadata item was not found: {key}")
    return Reply({"meta": {key: snapshot.metadata[key]}})


@both("PUT", "/snapshots/{snapshot_id}/metadata/{key}")
def update_metadata_item(call: Call) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:update_snapshot_metadata")
    item = string_map(body_object(call.body, "meta"), "meta")
    key = call.params["key"]
    if key not in item:
        raise bad_request("Request body and URI mismatch")
    if len(item) > 1:
        raise bad_request("Request body contains too many items")
    _backend(call).set_metadata(call.params["snapshot_id"], caller, item, replace=False)
    return Reply({"meta": item})


@both("DELETE", "/snapshots/{snapshot_id}/metadata/{key}")
def delete_metadata_item(call: Call) -> Reply:
    caller = _caller(call)
    require_writer(caller, "volume:delete_snapshot_metadata")
    _backend(call).delete_metadata(call.params["snapshot_id"], caller, call.params["key"])
    return Reply(status=200)


# -- admin actions ------------------------------------------------------------------------
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
    _backend(call).reset_status(snapshot_id, caller, status)
    return Reply(status=202)


def _update_status(call: Call, caller: Caller, snapshot_id: str, args: Any) -> Reply:
    require_writer(caller, "snapshot_extension:snapshot_actions:update_snapshot_status")
    status = _status_argument(args, "os-update_snapshot_status")
    snapshot = _backend(call).snapshot(snapshot_id, caller)
    allowed = {"creating": ("available", "error"), "deleting": ("error_deleting",)}
    if status not in allowed.get(snapshot.status, ()):
        raise bad_request(
            f"Snapshot status {snapshot.status} not allowed for update_snapshot_status"
        )
    _backend(call).reset_status(snapshot_id, caller, status)
    return Reply(status=202)


def _force_delete(call: Call, caller: Caller, snapshot_id: str, args: Any) -> Reply:
    require_volume_admin(caller, "volume_extension:snapshot_admin_actions:force_delete")
    backend = _backend(call)
    backend.reset_status(snapshot_id, caller, "error")
    backend.delete(snapshot_id, caller, call.log_context())
    return Reply(status=202)


ACTIONS: dict[str, Callable[[Call, Caller, str, Any], Reply]] = {
    "os-reset_status": _reset_status,
    "os-update_snapshot_status": _update_status,
    "os-force_delete": _force_delete,
}


@both("POST", "/snapshots/{snapshot_id}/action")
def snapshot_action(call: Call) -> Reply:
    caller = _caller(call)
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise bad_request("Malformed request body: exactly one action is expected")
    name, args = next(iter(body.items()))
    action = ACTIONS.get(name)
    if action is None:
        raise bad_request(f"There is no such action: {name}")
    snapshot_id = call.params["snapshot_id"]
    _backend(call).snapshot(snapshot_id, caller)  # 404 before any policy or body complaint
    return action(call, caller, snapshot_id, args)
