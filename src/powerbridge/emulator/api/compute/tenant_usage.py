"""nova's `os-simple-tenant-usage`: all projects (admin) or one (its members or an admin),
over `start`..`end` (default: the last day to now), `detailed=1` adding each server's row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from powerbridge.emulator.api.compute.common import iso_micro
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.backend.tenant_usage import ProjectUsage, usages
from powerbridge.emulator.errors import bad_request, forbidden

DAY = 86400.0


def _moment(call: Call, name: str, default: float) -> float:
    raw = call.query.get(name)
    if raw is None:
        return default
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"):
        try:
            return datetime.strptime(raw, pattern).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise bad_request(f"Invalid {name} time. The time format should be %Y-%m-%dT%H:%M:%S.%f")


def _period(call: Call) -> tuple[float, float, float]:
    now = call.emulator.clock.now()
    start = _moment(call, "start", now - DAY)
    stop = _moment(call, "end", now)
    if start > stop:
        raise bad_request("Invalid start time. The start time cannot occur after the end time.")
    return start, stop, now


def _body(usage: ProjectUsage, start: float, stop: float, detailed: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenant_id": usage.project_id,
        "total_hours": usage.total_hours,
        "total_vcpus_usage": usage.total_vcpus_usage,
        "total_memory_mb_usage": usage.total_memory_mb_usage,
        "total_local_gb_usage": usage.total_local_gb_usage,
        "start": iso_micro(start),
        "stop": iso_micro(stop),
    }
    if detailed:
        body["server_usages"] = [
            {
                **row,
                "started_at": iso_micro(row["started_at"]),
                "ended_at": iso_micro(row["ended_at"]),
            }
            for row in usage.servers
        ]
    return body


def list_usages(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-simple-tenant-usage:list")
    start, stop, now = _period(call)
    detailed = call.query.get("detailed") == "1"
    servers = call.emulator.server_registry.in_creation_order()
    rows = [_body(u, start, stop, detailed) for u in usages(servers, start, stop, now)]
    return Reply({"tenant_usages": rows})


def show_usage(call: Call) -> Reply:
    project_id = call.params["tenant_id"]
    caller = call.auth
    if not caller.is_admin and caller.project_id != project_id:
        raise forbidden(
            "Policy doesn't allow os_compute_api:os-simple-tenant-usage:show to be performed."
        )
    start, stop, now = _period(call)
    servers = call.emulator.server_registry.in_creation_order(project_id)
    found = usages(servers, start, stop, now)
    return Reply({"tenant_usage": _body(found[0], start, stop, True) if found else {}})
