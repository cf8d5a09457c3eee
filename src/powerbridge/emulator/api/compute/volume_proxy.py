"""nova's proxies to cinder, `os-volumes` and `os-snapshots` (nova's volumes.py; deprecated
at microversion 2.36, where nova answers 404): the volume service's records in nova's camelCase
views, with nova's `limit`/`offset` paging."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.compute.common import iso
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.identity_records import require_writer
from powerbridge.emulator.backend.volume_records import Volume
from powerbridge.emulator.backend.volume_snapshots import Snapshot
from powerbridge.emulator.errors import ApiError, bad_request, not_found

_SIZE = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1}
CREATE_VOLUME = Schema(
    "volume",
    {
        "type": "object",
        "properties": {
            "volume": {
                "type": "object",
                "properties": {
                    "volume_type": {"type": "string"},
                    "metadata": {"type": "object"},
                    "snapshot_id": {"type": "string"},
                    "size": _SIZE,
                    "availability_zone": {"type": "string"},
                    "display_name": {"type": "string"},
                    "display_description": {"type": "string"},
                },
                "required": ["size"],
                "additionalProperties": False,
            }
        },
        "required": ["volume"],
        "additionalProperties": False,
    },
)
CREATE_SNAPSHOT = Schema(
    "snapshot",
    {
        "type": "object",
        "properties": {
            "snapshot": {
                "type": "object",
                "properties": {
                    "volume_id": {"type": "string"},
                    "force": {"type": ["boolean", "string"]},
                    "display_name": {"type": "string"},
                    "display_description": {"type": "string"},
                },
                "required": ["volume_id"],
                "additionalProperties": False,
            }
        },
        "required": ["snapshot"],
        "additionalProperties": False,
    },
)


def _proxied(call: Call) -> None:
    if call.at_least("2.36"):
        raise not_found("The resource could not be found.")


def _volume_view(call: Call, volume: Volume) -> dict[str, Any]:
    backend = call.emulator.volumes
    attachments: list[dict[str, Any]] = [
        {
            "id": a.volume_id,
            "volumeId": a.volume_id,
            "serverId": a.server_id,
            **({"device": a.device} if a.device else {}),
        }
        for a in backend.attachments_of_volume(volume.id)
        if a.attach_status == "attached"
    ]
    type_name = None
    if volume.volume_type_id:
        type_name = backend.types[volume.volume_type_id].name
    return {
        "id": volume.id,
        "status": volume.status,
        "size": volume.size,
        "availabilityZone": volume.availability_zone,
        "createdAt": iso(volume.created_at),
        "attachments": attachments or [{}],
        "displayName": volume.name,
        "displayDescription": volume.description,
        "volumeType": type_name,
        "snapshotId": volume.snapshot_id,
        "metadata": dict(volume.metadata),
    }


def _snapshot_view(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "volumeId": snapshot.volume_id,
        "status": snapshot.status,
        "size": snapshot.size,
        "createdAt": iso(snapshot.created_at),
        "displayName": snapshot.name,
        "displayDescription": snapshot.description,
    }


def _limited(call: Call, items: list[Any]) -> list[Any]:
    """nova's common.limited: `offset` then `limit` (both non-negative integers)."""
    bounds = {}
    for name in ("offset", "limit"):
        raw = call.query.get(name)
        try:
            bounds[name] = int(raw) if raw is not None else None
        except ValueError:
            raise bad_request(f"{name} param must be an integer") from None
        if bounds[name] is not None and bounds[name] < 0:  # type: ignore[operator]
            raise bad_request(f"{name} param must be positive")
    start = bounds["offset"] or 0
    end = None if bounds["limit"] is None else start + bounds["limit"]
    return items[start:end]


def _volumes(call: Call) -> list[Volume]:
    _proxied(call)
    listed = call.emulator.volumes.list_volumes(call.auth)
    return _limited(call, sorted(listed, key=lambda v: (-v.created_at, v.id)))


def list_volumes(call: Call) -> Reply:
    return Reply({"volumes": [_volume_view(call, v) for v in _volumes(call)]})


def _volume(call: Call) -> Volume:
    _proxied(call)
    try:
        return call.emulator.volumes.volume(call.params["volume_id"], call.auth)
    except ApiError:
        raise not_found(f"Volume {call.params['volume_id']} could not be found.") from None


def show_volume(call: Call) -> Reply:
    return Reply({"volume": _volume_view(call, _volume(call))})


def create_volume(call: Call) -> Reply:
    _proxied(call)
    CREATE_VOLUME.check(call.body)
    require_writer(call.auth, "os_compute_api:os-volumes:create")
    spec = call.body["volume"]
    volume = call.emulator.volumes.create(
        call.auth,
        size=int(spec["size"]),
        name=spec.get("display_name"),
        description=spec.get("display_description"),
        volume_type=spec.get("volume_type"),
        metadata={str(k): str(v) for k, v in (spec.get("metadata") or {}).items()},
        snapshot_id=spec.get("snapshot_id"),
        context=call.log_context(),
    )
    return Reply({"volume": _volume_view(call, volume)})


def delete_volume(call: Call) -> Reply:
    _proxied(call)
    require_writer(call.auth, "os_compute_api:os-volumes:delete")
    volume = _volume(call)
    call.emulator.volumes.delete(volume.id, call.auth, call.log_context())
    return Reply(status=202)


def list_snapshots(call: Call) -> Reply:
    _proxied(call)
    listed = call.emulator.volumes.snapshots.list_snapshots(call.auth)
    rows = _limited(call, sorted(listed, key=lambda s: (-s.created_at, s.id)))
    return Reply({"snapshots": [_snapshot_view(s) for s in rows]})


def _snapshot(call: Call) -> Snapshot:
    _proxied(call)
    ref = call.params["snapshot_id"]
    try:
        return call.emulator.volumes.snapshots.snapshot(ref, call.auth)
    except ApiError:
        raise not_found(f"Snapshot {ref} could not be found.") from None


def show_snapshot(call: Call) -> Reply:
    return Reply({"snapshot": _snapshot_view(_snapshot(call))})


def create_snapshot(call: Call) -> Reply:
    _proxied(call)
    CREATE_SNAPSHOT.check(call.body)
    require_writer(call.auth, "os_compute_api:os-volumes:snapshots:create")
    spec = call.body["snapshot"]
    force = str(spec.get("force", False)).lower() in ("true", "1", "yes", "y", "on")
    snapshot = call.emulator.volumes.snapshots.create(
        call.auth,
        spec["volume_id"],
        name=spec.get("display_name"),
        description=spec.get("display_description"),
        metadata={},
        force=force,
        context=call.log_context(),
    )
    return Reply({"snapshot": _snapshot_view(snapshot)})


def delete_snapshot(call: Call) -> Reply:
    _proxied(call)
    require_writer(call.auth, "os_compute_api:os-volumes:snapshots:delete")
    snapshot = _snapshot(call)
    call.emulator.volumes.snapshots.delete(snapshot.id, call.auth, call.log_context())
    return Reply(status=202)
