"""`/os-quota-sets`: nova's quota sets (show, detail, defaults, update, reset).

Keys follow the microversion: the nova-network quotas (floating_ips, fixed_ips,
security_groups, security_group_rules) go at 2.36, the injected-file ones at 2.57. Anyone in the
project may read its quotas; only an admin changes them.
"""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.backend.quotas import DEFAULTS, FILE_QUOTAS, NETWORK_QUOTAS
from powerbridge.emulator.errors import bad_request, forbidden

PATH = "/os-quota-sets/{tenant_id}"


def _shown_keys(call: Call) -> list[str]:
    hidden: set[str] = set()
    if call.at_least("2.36"):
        hidden.update(NETWORK_QUOTAS)
    if call.at_least("2.57"):
        hidden.update(FILE_QUOTAS)
    return [key for key in DEFAULTS if key not in hidden]


def _project(call: Call, action: str) -> str:
    project_id = call.params["tenant_id"]
    caller = call.auth
    if not caller.is_admin and project_id != caller.project_id:
        raise forbidden(
            f"Policy doesn't allow os_compute_api:os-quota-sets:{action} to be performed."
        )
    return project_id


def _usage(call: Call, project_id: str, user_id: str | None) -> dict[str, int]:
    usage = dict(call.emulator.compute.usage(project_id))
    usage["key_pairs"] = call.emulator.keypairs.count(user_id or call.auth.user_id)
    return usage


def _quota_set(call: Call, limits: dict[str, int], project_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": project_id} if project_id is not None else {}
    body.update({key: limits[key] for key in _shown_keys(call)})
    return {"quota_set": body}


def show_quotas(call: Call) -> Reply:
    project_id = _project(call, "show")
    limits = call.emulator.quotas.limits(project_id, call.query.get("user_id"))
    return Reply(_quota_set(call, limits, project_id))


def show_defaults(call: Call) -> Reply:
    project_id = _project(call, "defaults")
    return Reply(_quota_set(call, call.emulator.quotas.defaults(), project_id))


def show_detail(call: Call) -> Reply:
    project_id = _project(call, "detail")
    user_id = call.query.get("user_id")
    limits = call.emulator.quotas.limits(project_id, user_id)
    usage = _usage(call, project_id, user_id)
    body: dict[str, Any] = {"id": project_id}
    for key in _shown_keys(call):
        body[key] = {"limit": limits[key], "in_use": usage.get(key, 0), "reserved": 0}
    return Reply({"quota_set": body})


def update_quotas(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-quota-sets:update")
    project_id = call.params["tenant_id"]
    user_id = call.query.get("user_id")
    changes, force = _parse_update(call)
    limits = call.emulator.quotas.update(
        project_id, user_id, changes, _usage(call, project_id, user_id), force=force
    )
    return Reply(_quota_set(call, limits, None))


def _parse_update(call: Call) -> tuple[dict[str, int], bool]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("quota_set"), dict):
        raise bad_request("Invalid input for field/attribute quota_set. 'quota_set' is required")
    extra = sorted(set(body) - {"quota_set"})
    if extra:
        raise bad_request(f"Additional properties are not allowed ({', '.join(extra)})")
    allowed = set(_shown_keys(call))
    changes: dict[str, int] = {}
    force = False
    for key, value in body["quota_set"].items():
        if key == "force":
            if not isinstance(value, bool):
                raise bad_request(
                    f"Invalid input for field/attribute force. Value: {value}. "
                    f"{value!r} is not of type 'boolean'"
                )
            force = value
            continue
        if key not in allowed:
            raise bad_request(f"Bad key(s) {key} in quota_set")
        changes[key] = _quota_value(key, value)
    return changes, force


def _quota_value(key: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise bad_request(
        f"Invalid input for field/attribute {key}. Value: {value}. "
        f"{value!r} is not of type 'integer', 'string'"
    )


def reset_quotas(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-quota-sets:delete")
    call.emulator.quotas.reset(call.params["tenant_id"], call.query.get("user_id"))
    return Reply(status=202)


# -- os-quota-class-sets: only the `default` class, as nova uses it --------------------------
def _class_keys(call: Call) -> list[str]:
    keys = _shown_keys(call)
    if call.at_least("2.50"):  # server groups in, nova-network quotas out
        keys = [k for k in keys if k not in NETWORK_QUOTAS]
    return keys


def show_quota_class(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-quota-class-sets:show")
    limits = call.emulator.quotas.defaults()
    body: dict[str, Any] = {"id": call.params["class_id"]}
    body.update({key: limits[key] for key in _class_keys(call)})
    if not call.at_least("2.50"):
        body = {k: v for k, v in body.items() if k not in ("server_groups", "server_group_members")}
    return Reply({"quota_class_set": body})


def update_quota_class(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-quota-class-sets:update")
    spec = call.body.get("quota_class_set") if isinstance(call.body, dict) else None
    if not isinstance(spec, dict):
        raise bad_request("Invalid input: give quota_class_set.")
    try:
        changes = {str(k): int(v) for k, v in spec.items()}
    except (TypeError, ValueError):
        raise bad_request("Invalid input for field/attribute quota_class_set.") from None
    limits = call.emulator.quotas.update_class(changes)
    body = {key: limits[key] for key in _class_keys(call)}
    if not call.at_least("2.50"):
        body = {k: v for k, v in body.items() if k not in ("server_groups", "server_group_members")}
    return Reply({"quota_class_set": body})
