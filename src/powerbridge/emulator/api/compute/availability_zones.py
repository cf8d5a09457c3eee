"""`os-availability-zone[/detail]`: one zone per host group (the default group's is `nova`)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.hosts import OPERATING
from powerbridge.emulator.backend.identity_records import require_policy_admin


def _zones(call: Call) -> dict[str, list[str]]:
    """Zone -> its hosts, in host group order (nova lists no zone without hosts)."""
    scopes = call.emulator.host_groups.scopes()
    return {zone: list(scope.hosts) for zone, scope in scopes.items() if scope.hosts}


def availability_zones(call: Call) -> Reply:
    rows = [
        {"zoneName": zone, "zoneState": {"available": True}, "hosts": None} for zone in _zones(call)
    ]
    return Reply({"availabilityZoneInfo": rows})


def availability_zones_detail(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-availability-zone:detail")
    inventory = call.emulator.hosts
    rows = []
    for zone, names in _zones(call).items():
        hosts: dict[str, Any] = {}
        for name in names:
            host = inventory.hosts[name]
            hosts[name] = {
                "nova-compute": {
                    "available": host.spec.state == OPERATING and host.maintenance == "ok",
                    "active": True,
                    "updated_at": None,
                }
            }
        rows.append({"zoneName": zone, "zoneState": {"available": True}, "hosts": hosts})
    return Reply({"availabilityZoneInfo": rows})
