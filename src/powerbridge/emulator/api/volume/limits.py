"""Read-only views of the volume service: limits, scheduler pools, availability zones and
services (what `openstack volume service list` asks for)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import (
    UNLIMITED,
    flag,
    path_caller,
    project_of,
    timestamp,
    volumes_of,
)
from powerbridge.emulator.backend.volume_records import AVAILABILITY_ZONE, require_volume_admin


def limits(call: Call) -> Reply:
    caller = path_caller(call)
    count, gigabytes = volumes_of(call).project_usage(project_of(call, caller))
    absolute = {
        "maxTotalVolumes": UNLIMITED,
        "maxTotalSnapshots": UNLIMITED,
        "maxTotalVolumeGigabytes": UNLIMITED,
        "maxTotalBackups": UNLIMITED,
        "maxTotalBackupGigabytes": UNLIMITED,
        "totalVolumesUsed": count,
        "totalGigabytesUsed": gigabytes,
        "totalSnapshotsUsed": 0,
        "totalBackupsUsed": 0,
        "totalBackupGigabytesUsed": 0,
    }
    return Reply({"limits": {"rate": [], "absolute": absolute}})


def get_pools(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "scheduler_extension:scheduler_stats:get_pools")
    detailed = flag(call.query.get("detail"))
    now = timestamp(call.emulator.clock.now())
    pools = []
    for usage in volumes_of(call).pool_usage():
        pool: dict[str, Any] = {"name": usage.name}
        if detailed:
            pool["capabilities"] = {
                "pool_name": usage.pool,
                "total_capacity_gb": float(usage.capacity_gb),
                "free_capacity_gb": float(usage.free_gb),
                "allocated_capacity_gb": usage.used_gb,
                "provisioned_capacity_gb": usage.used_gb,
                "max_over_subscription_ratio": "20.0",
                "thin_provisioning_support": True,
                "thick_provisioning_support": True,
                "multiattach": True,
                "QoS_support": False,
                "reserved_percentage": 0,
                "volume_backend_name": usage.provider,
                "vendor_name": "IBM",
                "driver_version": "2.0",
                "storage_protocol": "FC",
                "timestamp": now,
            }
        pools.append(pool)
    return Reply({"pools": pools})


def availability_zones(call: Call) -> Reply:
    path_caller(call)
    zone = {"zoneName": AVAILABILITY_ZONE, "zoneState": {"available": True}}
    return Reply({"availabilityZoneInfo": [zone]})


def _service(call: Call, binary: str, host: str, now: str | None) -> dict[str, Any]:
    service: dict[str, Any] = {
        "binary": binary,
        "host": host,
        "zone": AVAILABILITY_ZONE,
        "status": "enabled",
        "state": "up",
        "updated_at": now,
        "disabled_reason": None,
    }
    state = call.emulator.volume_services
    disabled, reason = state.disabled_reason(binary, host)
    if disabled:
        service.update(status="disabled", disabled_reason=reason)
    if binary == "cinder-volume":
        frozen = state.is_frozen(host)
        service.update(replication_status="disabled", active_backend_id=None, frozen=frozen)
        if call.at_least("3.49"):
            service["backend_state"] = "up"
    if call.at_least("3.7"):
        service["cluster"] = None
    return service


def list_services(call: Call) -> Reply:
    caller = path_caller(call)
    require_volume_admin(caller, "volume_extension:services:index")
    now = timestamp(call.emulator.clock.now())
    services = [_service(call, "cinder-scheduler", "powervc", now)]
    services += [
        _service(call, "cinder-volume", f"{name}@{name}", now)
        for name in volumes_of(call).providers
    ]
    wanted_binary, wanted_host = call.query.get("binary"), call.query.get("host")
    services = [
        s
        for s in services
        if (wanted_binary is None or s["binary"] == wanted_binary)
        # cinder's host filter: the host itself or any of its backends, "<host>@<backend>"
        and (wanted_host is None or wanted_host in (s["host"], s["host"].split("@")[0]))
    ]
    return Reply({"services": services})
