"""nova's `os-services`: list (admin), update by id from 2.53, and the older enable, disable
and disable-log-reason calls by host and binary before it (nova's services.py controller)."""

from __future__ import annotations

import uuid
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.compute_services import ComputeService
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.errors import bad_request, not_found


def _services(call: Call, action: str) -> list[ComputeService]:
    require_policy_admin(call.auth, f"os_compute_api:os-services:{action}")
    zone_of = {
        host: zone
        for zone, scope in call.emulator.host_groups.scopes().items()
        for host in scope.hosts
    }
    return call.emulator.compute_services.all(zone_of)


def _body(call: Call, service: ComputeService) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": service.uuid if call.at_least("2.53") else service.number,
        "binary": service.binary,
        "disabled_reason": service.disabled_reason,
        "host": service.host,
        "state": "down" if service.forced_down else "up",
        "status": "disabled" if service.disabled else "enabled",
        "updated_at": None,
        "zone": service.zone,
    }
    if call.at_least("2.11"):
        body["forced_down"] = service.forced_down
    return body


def list_services(call: Call) -> Reply:
    services = _services(call, "list")
    host, binary = call.query.get("host"), call.query.get("binary")
    rows = [
        _body(call, s)
        for s in services
        if (host is None or s.host == host) and (binary is None or s.binary == binary)
    ]
    return Reply({"services": rows})


def update_service(call: Call) -> Reply:
    ref = call.params["service_id"]
    if not call.at_least("2.53"):
        return _legacy_update(call, ref)
    try:
        uuid.UUID(ref)
    except ValueError:
        raise bad_request(f"Invalid uuid {ref}") from None
    service = next((s for s in _services(call, "update") if s.uuid == ref), None)
    if service is None:
        raise not_found(f"Service {ref} could not be found.")
    body = call.body.get("service", call.body) if isinstance(call.body, dict) else None
    if not isinstance(body, dict) or not body:
        raise bad_request("Invalid input: give status, disabled_reason or forced_down.")
    status = body.get("status")
    if status not in (None, "enabled", "disabled"):
        raise bad_request(f"Invalid input for field/attribute status. Value: {status}.")
    if body.get("disabled_reason") and status != "disabled":
        raise bad_request("Specifying 'disabled_reason' with status 'enabled' is invalid.")
    call.emulator.compute_services.update(
        ref,
        disabled=None if status is None else status == "disabled",
        reason=body.get("disabled_reason"),
        forced_down=body.get("forced_down"),
    )
    updated = next(s for s in _services(call, "update") if s.uuid == ref)
    return Reply({"service": _body(call, updated)})


def _legacy_update(call: Call, action: str) -> Reply:
    """PUT /os-services/enable|disable|disable-log-reason|force-down with host and binary."""
    if action not in ("enable", "disable", "disable-log-reason", "force-down"):
        raise not_found("Unknown action")
    body = call.body if isinstance(call.body, dict) else {}
    host, binary = body.get("host"), body.get("binary")
    service = next(
        (s for s in _services(call, "update") if s.host == host and s.binary == binary), None
    )
    if service is None:
        raise not_found(f"Service {binary} on host {host} could not be found.")
    reason = body.get("disabled_reason")
    if action == "disable-log-reason" and not reason:
        raise bad_request("Missing disabled reason field")
    if action == "force-down":
        call.emulator.compute_services.update(
            service.uuid, forced_down=bool(body.get("forced_down"))
        )
        return Reply(
            {
                "service": {
                    "host": host,
                    "binary": binary,
                    "forced_down": bool(body.get("forced_down")),
                }
            }
        )
    disabled = action != "enable"
    call.emulator.compute_services.update(service.uuid, disabled=disabled, reason=reason)
    reply: dict[str, Any] = {
        "host": host,
        "binary": binary,
        "status": "disabled" if disabled else "enabled",
    }
    if action == "disable-log-reason":
        reply["disabled_reason"] = reason
    return Reply({"service": reply})
