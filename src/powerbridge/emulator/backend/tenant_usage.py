"""nova's simple tenant usage: per project, the hours each server ran inside a period and
the totals weighted by its flavor (nova's simple_tenant_usage.py `_tenant_usages_for_period`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

HOUR = 3600.0


@dataclass
class ProjectUsage:
    project_id: str
    total_hours: float = 0.0
    total_vcpus_usage: float = 0.0
    total_memory_mb_usage: float = 0.0
    total_local_gb_usage: float = 0.0
    servers: list[dict[str, Any]] = field(default_factory=list)


def _hours(launched: float, ended: float | None, start: float, stop: float) -> float:
    begin = max(launched, start)
    end = min(ended if ended is not None else stop, stop)
    return max(end - begin, 0.0) / HOUR


def usages(servers: Iterable[Any], start: float, stop: float, now: float) -> list[ProjectUsage]:
    """One ProjectUsage per project with a server alive in [start, stop], in first-seen
    order; each server row keeps nova's fields (times as epoch seconds, formatted by the API)."""
    projects: dict[str, ProjectUsage] = {}
    for server in servers:
        launched = server.launched_at or server.created
        ended = server.terminated_at if server.deleted else None
        if launched > stop or (ended is not None and ended < start):
            continue
        hours = _hours(launched, ended, start, min(stop, now))
        flavor = server.flavor
        local_gb = int(flavor.get("disk", 0)) + int(flavor.get("ephemeral", 0))
        usage = projects.setdefault(server.project_id, ProjectUsage(server.project_id))
        usage.total_hours += hours
        usage.total_vcpus_usage += hours * int(flavor["vcpus"])
        usage.total_memory_mb_usage += hours * int(flavor["ram"])
        usage.total_local_gb_usage += hours * local_gb
        usage.servers.append(
            {
                "instance_id": server.id,
                "name": server.name,
                "hours": hours,
                "memory_mb": int(flavor["ram"]),
                "local_gb": local_gb,
                "vcpus": int(flavor["vcpus"]),
                "tenant_id": server.project_id,
                "flavor": str(flavor.get("original_name") or flavor.get("name") or ""),
                "started_at": launched,
                "ended_at": ended,
                "state": "terminated" if ended is not None else server.vm_state,
                "uptime": int((ended if ended is not None else now) - launched),
            }
        )
    return list(projects.values())
