"""`os-quota-sets`: every quota unlimited, with the project's usage (what `openstack quota
show` asks for)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import (
    UNLIMITED,
    flag,
    path_caller,
    volumes_of,
)
from powerbridge.emulator.errors import forbidden


def _quota_usage(call: Call, project_id: str) -> dict[str, int]:
    """In-use amounts per quota resource, including the per-volume-type ones."""
    backend = volumes_of(call)
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


def quota_defaults(call: Call) -> Reply:
    path_caller(call)
    return _quota_reply(call, call.params["target_project_id"], with_usage=False)


def show_quota(call: Call) -> Reply:
    caller = path_caller(call)
    target = call.params["target_project_id"]
    if target != caller.project_id and not caller.is_admin:
        raise forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.")
    return _quota_reply(call, target, with_usage=flag(call.query.get("usage")))
