"""cinder's `os-quota-sets` (show with `usage`, defaults, update and delete by an
administrator) and `os-quota-class-sets` (the `default` class)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import path_caller
from powerbridge.emulator.backend.volume_quotas import VolumeQuotas
from powerbridge.emulator.backend.volume_records import require_volume_admin
from powerbridge.emulator.errors import bad_request, forbidden


def _quotas(call: Call) -> VolumeQuotas:
    return call.emulator.volume_quotas


def _quota_reply(call: Call, project_id: str, with_usage: bool) -> Reply:
    quotas = _quotas(call)
    limits = quotas.limits(project_id)
    quota_set: dict[str, Any] = {"id": project_id}
    if with_usage:
        usage = quotas.usage(project_id)
        for name, limit in limits.items():
            quota_set[name] = {"limit": limit, "in_use": usage.get(name, 0), "reserved": 0}
    else:
        quota_set.update(limits)
    return Reply({"quota_set": quota_set})


def _changes(call: Call, key: str) -> dict[str, Any]:
    body = call.body.get(key) if isinstance(call.body, dict) else None
    if not isinstance(body, dict):
        raise bad_request(f"Missing required element '{key}' in request body.")
    return body


def quota_defaults(call: Call) -> Reply:
    path_caller(call)
    quota_set: dict[str, Any] = {"id": call.params["target_project_id"]}
    quota_set.update(_quotas(call).class_limits())
    return Reply({"quota_set": quota_set})


def show_quota(call: Call) -> Reply:
    caller = path_caller(call)
    target = call.params["target_project_id"]
    if target != caller.project_id and not caller.is_admin:
        raise forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.")
    usage = str(call.query.get("usage", "")).lower() in ("1", "true", "yes", "on")
    return _quota_reply(call, target, with_usage=usage)


def update_quota(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "volume_extension:quotas:update")
    target = call.params["target_project_id"]
    _quotas(call).update(target, _changes(call, "quota_set"))
    return Reply({"quota_set": _quotas(call).limits(target)})


def delete_quota(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "volume_extension:quotas:delete")
    _quotas(call).reset(call.params["target_project_id"])
    return Reply(status=200)


def show_quota_class(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "volume_extension:quota_classes")
    body: dict[str, Any] = {"id": call.params["class_name"]}
    body.update(_quotas(call).class_limits())
    return Reply({"quota_class_set": body})


def update_quota_class(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "volume_extension:quota_classes")
    _quotas(call).update_class(_changes(call, "quota_class_set"))
    return Reply({"quota_class_set": _quotas(call).class_limits()})
