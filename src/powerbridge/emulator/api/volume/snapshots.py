"""Cinder's volume snapshots: `/snapshots` (list, detail, create, show, update, delete).

Fields follow the microversion: `group_snapshot_id` from 3.14, `user_id` from 3.41; the
detail view adds `os-extended-snapshot-attributes:progress` and `:project_id`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import path_caller, timestamp
from powerbridge.emulator.api.volume.listing import list_body, list_query, metadata_filter, page
from powerbridge.emulator.api.volume.schema import (
    body_object,
    boolean,
    field_error,
    no_extra_keys,
    renamed_string,
    string_map,
)
from powerbridge.emulator.backend.identity_records import require_writer
from powerbridge.emulator.backend.volume_snapshots import Snapshot, SnapshotBackend
from powerbridge.emulator.errors import bad_request

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


def snapshots_of(call: Call) -> SnapshotBackend:
    return call.emulator.volumes.snapshots


def snapshot_view(call: Call, snapshot: Snapshot, *, detail: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": snapshot.id,
        "volume_id": snapshot.volume_id,
        "status": snapshot.status,
        "size": snapshot.size,
        "created_at": timestamp(snapshot.created_at),
        "updated_at": timestamp(snapshot.updated_at),
        "name": snapshot.name,
        "description": snapshot.description,
        "metadata": dict(snapshot.metadata),
    }
    if call.at_least("3.14"):
        view["group_snapshot_id"] = call.emulator.volume_groups.group_snapshot_of(snapshot.id)
    if call.at_least("3.41"):
        view["user_id"] = snapshot.user_id
    if detail:
        view["os-extended-snapshot-attributes:progress"] = snapshot.progress
        view["os-extended-snapshot-attributes:project_id"] = snapshot.project_id
    return view


def _filter(key: str, text: str) -> Callable[[Snapshot], bool] | None:
    if key in ("name", "display_name"):
        return lambda s: s.name == text
    if key == "status":
        return lambda s: s.status == text
    if key == "volume_id":
        return lambda s: s.volume_id == text
    if key == "metadata":
        wanted = metadata_filter(text)
        return lambda s: all(s.metadata.get(k) == v for k, v in wanted.items())
    if key == "project_id":
        return lambda s: s.project_id == text
    return None  # cinder ignores filters it does not know for snapshots


def list_snapshots(call: Call) -> Reply:
    return _list(call, detail=False)


def list_snapshots_detail(call: Call) -> Reply:
    return _list(call, detail=True)


def _list(call: Call, *, detail: bool) -> Reply:
    caller = path_caller(call)
    query = list_query(call, caller, SORT_FIELDS)
    checks = [c for c in (_filter(k, v) for k, v in query.filters.items()) if c is not None]
    snapshots = snapshots_of(call).list_snapshots(caller, all_projects=query.all_tenants)
    found, total = page(query, snapshots, SORT_FIELDS, checks)
    views = [snapshot_view(call, s, detail=detail) for s in found]
    return Reply(list_body(call, "snapshots", found, views, total, query, detail=detail))


def create_snapshot(call: Call) -> Reply:
    caller = path_caller(call)
    require_writer(caller, "volume:create_snapshot")
    spec = body_object(call.body, "snapshot")
    no_extra_keys("snapshot", spec, CREATE_KEYS)
    if "volume_id" not in spec:
        raise field_error("snapshot", spec, "'volume_id' is a required property")
    volume_id = spec["volume_id"]
    if volume_id is not None and not isinstance(volume_id, str):
        raise field_error("volume_id", volume_id, f"{volume_id!r} is not of type 'string', 'null'")
    snapshot = snapshots_of(call).create(
        caller,
        str(volume_id),  # null is looked up, and not found, as cinder does
        name=renamed_string(spec, "name", "display_name"),
        description=renamed_string(spec, "description", "display_description"),
        metadata=string_map(spec.get("metadata"), "metadata", allow_null=True),
        force=boolean(spec.get("force", False), "force"),
        context=call.log_context(),
    )
    return Reply({"snapshot": snapshot_view(call, snapshot, detail=False)}, status=202)


def show_snapshot(call: Call) -> Reply:
    snapshot = snapshots_of(call).snapshot(call.params["snapshot_id"], path_caller(call))
    return Reply({"snapshot": snapshot_view(call, snapshot, detail=True)})


def update_snapshot(call: Call) -> Reply:
    caller = path_caller(call)
    require_writer(caller, "volume:update_snapshot")
    spec = body_object(call.body, "snapshot")
    no_extra_keys("snapshot", spec, UPDATE_KEYS)
    if not spec:
        raise bad_request("Snapshot update: specify name and/or description.")
    changes: dict[str, Any] = {}
    if "name" in spec or "display_name" in spec:
        changes["name"] = renamed_string(spec, "name", "display_name")
    if "description" in spec or "display_description" in spec:
        changes["description"] = renamed_string(spec, "description", "display_description")
    snapshot = snapshots_of(call).update(call.params["snapshot_id"], caller, changes)
    return Reply({"snapshot": snapshot_view(call, snapshot, detail=False)})


def delete_snapshot(call: Call) -> Reply:
    caller = path_caller(call)
    require_writer(caller, "volume:delete_snapshot")
    snapshots_of(call).delete(call.params["snapshot_id"], caller, call.log_context())
    return Reply(status=202)
